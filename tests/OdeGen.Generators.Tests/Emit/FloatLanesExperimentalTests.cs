using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The float lane family is [Experimental] (ODEGEN001): a float [OdeDynamics] method compiles without the user
/// opting in (its generated lane file suppresses the id), while user code that names a float lane type is told.
/// </summary>
public class FloatLanesExperimentalTests
{
    private const string FloatSystem = """
        using OdeGen;
        namespace Floats;
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt) => dydt[0] = -p[0] * y[0];
        }
        """;

    [Fact]
    public void FloatSystem_CompilesWithoutOptingIn()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(FloatSystem));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Contains(run.LaneSources.Values, text => text.Contains("#pragma warning disable ODEGEN001", StringComparison.Ordinal));
    }

    [Fact]
    public void UserCodeNamingAFloatLaneType_GetsODEGEN001()
    {
        const string user = """
            namespace Floats;
            public static class Uses
            {
                public static float First() => OdeGen.Lanes.LaneSingle256.GetLane(OdeGen.Lanes.LaneSingle256.Create(1f), 0);
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(FloatSystem, user));
        Diagnostic error = Assert.Single(GeneratorHarness.Errors(run.Output).DistinctBy(d => d.Id));
        Assert.Equal("ODEGEN001", error.Id);
        Assert.Equal("Source1.cs", error.Location.SourceTree?.FilePath);
    }
}
