namespace OdeGen.Orleans.Tests;

/// <summary>The name a system travels by names no assembly or version, so client and silos of different builds agree.</summary>
public class OdeSystemNameTests
{
    [Fact]
    public void GeneratedSystem_IsItsFullTypeName() =>
        Assert.Equal("OdeGen.Orleans.Tests.Lorenz+RhsSystem", OdeSystemName.Of<Lorenz.RhsSystem>());

    // Type.FullName of a generic system carried each argument's assembly-qualified name
    // ("ProbedLorenz`1[[OdeGen.Orleans.Tests.EvaluationCounter, OdeGen.Orleans.Tests, Version=1.0.0.0, …]]"): a silo built
    // from another version of the model did not find it, and the unregistered-system error suggested that as C#.
    [Fact]
    public void GenericSystem_NamesItsArgumentsWithoutAssemblyOrVersion() =>
        Assert.Equal("OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.EvaluationCounter>", OdeSystemName.Of<CountingLorenz>());
}
