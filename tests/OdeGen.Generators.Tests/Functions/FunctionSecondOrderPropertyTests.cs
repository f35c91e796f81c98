using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The random structured programs of <see cref="FunctionPropertyTests"/> (branches, loops, buffers, accumulators, every
/// smooth Math group) as functions with SecondOrder = true, 100 to a compilation, 300 in all: each one's Hvp matches
/// central differences of its own generated Vjp and is symmetric, and every fifth one's HvpLanes equals Hvp (one lane
/// bit for bit, and the widest). A failure names the seed and the program.
/// </summary>
public class FunctionSecondOrderPropertyTests
{
    private const int Batches = 3, PerBatch = 100;

    public static TheoryData<int> BatchNumbers => new(Enumerable.Range(0, Batches));

    /// <summary>Program <paramref name="k"/> of the function property tests' stream, marked SecondOrder = true.</summary>
    internal static string Program(int k) => FunctionPropertyTests.Create(PropertyTests.Seed, k)
        .Replace($"Outputs = {StructuredPrograms.States})]", $"Outputs = {StructuredPrograms.States}, SecondOrder = true)]", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void RandomStructuredPrograms_AsFunctions_HvpMatchesTheirFirstOrderCode(int batch)
    {
        string[] sources = Enumerable.Range(batch * PerBatch, PerBatch).Select(Program).ToArray();
        Assert.All(sources, s => Assert.Contains("SecondOrder = true", s, StringComparison.Ordinal));
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        int checkedPrograms = 0;
        for (int k = batch * PerBatch; k < (batch + 1) * PerBatch; k++)
        {
            Type owner = assembly.GetType($"F{k}.Program{k}")!;
            var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(owner.GetNestedType("RhsFunction")!)!;
            var random = new Random(unchecked((PropertyTests.Seed * 17) + k));
            string context = $"seed {PropertyTests.Seed}, program {k}:\n{Program(k)}";
            FunctionSecondOrderChecks.All(g, random, context);
            if (k % 5 == 0)
            {
                FunctionSecondOrderChecks.Lanes<OdeGen.Lanes.Lane1>(g, random, context);
                FunctionSecondOrderChecks.Lanes<OdeGen.Lanes.Lane512>(g, random, context);
            }

            checkedPrograms++;
        }

        Assert.Equal(PerBatch, checkedPrograms);
    }
}
