using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Emit;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// The random structured programs of <see cref="PropertyTests"/> (branches, a loop, every smooth Math group) again with
/// SecondOrder = true, 100 to a compilation, 300 in all: each one's Divergence, DivergenceVjp and Hvp pass
/// <see cref="SecondOrderCheck"/> against its own generated Jacobian and Vjp. A failure names the seed and the program.
/// </summary>
public class SecondOrderPropertyTests
{
    private const int Batches = 3, PerBatch = 100;

    public static TheoryData<int> BatchNumbers => new(Enumerable.Range(0, Batches));

    /// <summary>Program <paramref name="k"/> of the property tests' stream, marked SecondOrder = true.</summary>
    internal static string Program(int k) => StructuredPrograms.Create(PropertyTests.Seed, k)
        .Replace($"Parameters = {StructuredPrograms.Parameters})]", $"Parameters = {StructuredPrograms.Parameters}, SecondOrder = true)]", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void RandomStructuredPrograms_SecondOrder_MatchTheirFirstOrderCode(int batch)
    {
        string[] sources = Enumerable.Range(batch * PerBatch, PerBatch).Select(Program).ToArray();
        Assert.All(sources, s => Assert.Contains("SecondOrder = true", s, StringComparison.Ordinal));
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        for (int k = batch * PerBatch; k < (batch + 1) * PerBatch; k++)
        {
            Type owner = assembly.GetType($"P{k}.Program{k}")!;
            var system = (IOdeLaneSystemSecondOrder)Activator.CreateInstance(owner.GetNestedType("RhsSystem")!)!;
            var random = new Random(unchecked((PropertyTests.Seed * 13) + k));
            string context = $"seed {PropertyTests.Seed}, program {k}:\n{Program(k)}";
            SecondOrderCheck.All(system, random, context);
            AugmentedCheck.EvaluateVjp((IOdeAugmentedLaneSystem)system, random, context);
            AugmentedCheck.DivergencePairs((IOdeAugmentedLaneSystemSecondOrder)system, random, context);

            // Every fifth program's lane methods against its scalar ones (one lane bit for bit, and the widest).
            if (k % 5 == 0)
            {
                SecondOrderLaneTests.Check<OdeGen.Lanes.Lane1>(system, random, context);
                SecondOrderLaneTests.Check<OdeGen.Lanes.Lane512>(system, random, context);
            }
        }
    }
}
