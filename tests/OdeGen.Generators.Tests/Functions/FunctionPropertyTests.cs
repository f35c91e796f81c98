using System.Reflection;
using System.Text.RegularExpressions;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The random structured programs of <see cref="PropertyTests"/> (branches, loops, buffers, accumulators) made into
/// [Differentiable] functions, 100 to a compilation, 300 in all: each function's Evaluate equals the user's method bit for
/// bit, Jvp and Vjp match central differences, Vjp accumulates and passes the dot-product test, and every 10th
/// program's lane methods equal its scalar ones. A failure names the seed and the program.
/// </summary>
public class FunctionPropertyTests
{
    private const int Batches = 3, PerBatch = 100;

    public static TheoryData<int> BatchNumbers => new(Enumerable.Range(0, Batches));

    /// <summary>
    /// Program <paramref name="index"/> of <see cref="StructuredPrograms"/> as a function: no t (a const local of that
    /// name keeps the generated expressions valid), x for y, y for dydt, sizes as attribute arguments.
    /// </summary>
    internal static string Create(int seed, int index)
    {
        string source = StructuredPrograms.Create(seed, index);
        source = source.Replace(
            $"[OdeDynamics(States = {StructuredPrograms.States}, Parameters = {StructuredPrograms.Parameters})]",
            $"[Differentiable(Inputs = {StructuredPrograms.States}, Parameters = {StructuredPrograms.Parameters}, Outputs = {StructuredPrograms.States})]",
            StringComparison.Ordinal);
        source = source.Replace(
            "public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)\n    {",
            "public static void Rhs(ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)\n    {\n        const double t = 0.375;",
            StringComparison.Ordinal);
        Assert.Contains("const double t", source);
        return Regex.Replace(source, @"namespace P(\d+);", "namespace F$1;");
    }

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void RandomStructuredPrograms_AsFunctions_MatchFiniteDifferences_AndTheDotProductTest(int batch)
    {
        string[] sources = Enumerable.Range(batch * PerBatch, PerBatch).Select(k => Create(PropertyTests.Seed, k)).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        int checkedPrograms = 0;
        for (int k = batch * PerBatch; k < (batch + 1) * PerBatch; k++)
        {
            var c = new FunctionCase($"F{k}.Program{k}", "Rhs", StructuredPrograms.States, StructuredPrograms.Parameters, StructuredPrograms.States);
            FunctionUnderTest f = CompiledFunctions.Load(c, assembly);
            string context = $"seed {PropertyTests.Seed}, program {k}:\n{Create(PropertyTests.Seed, k)}";
            var random = new Random(unchecked((PropertyTests.Seed * 31) + (k * 7) + 1));
            FunctionChecks.All(f.Function, f.User, random, context, samples: 2);
            if (k % 10 == 0)
            {
                FunctionChecks.LanesEqualScalar(f.Function, random, context);
            }

            checkedPrograms++;
        }

        Assert.Equal(PerBatch, checkedPrograms);
    }
}
