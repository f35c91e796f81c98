using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>A generated function with Hvp, and the user method it was generated from.</summary>
internal sealed record SecondOrderFunctionUnderTest(FunctionCase Case, IDifferentiableLaneFunctionSecondOrder Function, UserFunction User)
{
    /// <inheritdoc/>
    public override string ToString() => Case.ToString();
}

/// <summary>
/// The scenarios of <see cref="FunctionSources"/> again with <c>SecondOrder = true</c>, in namespaces of their own
/// (<c>HvpFunctions.*</c>), compiled once: every construct (straight code, runtime-sized loops, vectorized loops,
/// stackalloc buffers, a convolution, branches, an inlined helper, a custom rule, float) with Hvp. The custom rule of
/// <see cref="FunctionSources.HelpersAndRules"/> stays a rule: its Hvp differentiates the partials the generator reads
/// from the rule's forward method.
/// </summary>
internal static class FunctionSecondOrderSources
{
    /// <summary><paramref name="source"/> with SecondOrder = true on its [Differentiable] attributes, in namespace HvpFunctions.*.</summary>
    public static string WithSecondOrder(string source)
    {
        string marked = source.Replace("namespace Functions.", "namespace HvpFunctions.", StringComparison.Ordinal)
            .Replace("[Differentiable]", "[Differentiable(SecondOrder = true)]", StringComparison.Ordinal)
            .Replace("[Differentiable(", "[Differentiable(SecondOrder = true, ", StringComparison.Ordinal)
            .Replace("SecondOrder = true, SecondOrder = true)", "SecondOrder = true)", StringComparison.Ordinal);
        Assert.Contains("SecondOrder = true", marked, StringComparison.Ordinal);
        return marked;
    }

    /// <summary>Every scenario with SecondOrder = true.</summary>
    public static readonly string[] All = FunctionSources.All.Select(WithSecondOrder).ToArray();

    /// <summary>The double functions, as <see cref="FunctionSources.Cases"/> in the HvpFunctions namespaces.</summary>
    public static readonly FunctionCase[] Cases = FunctionSources.Cases.Select(c => c with { Owner = "Hvp" + c.Owner }).ToArray();

    /// <summary>The generator's run over <see cref="All"/> and the double twin of the float scenario.</summary>
    public static GeneratorRun Run => Compiled.Value.Run;

    private static readonly Lazy<(GeneratorRun Run, Assembly Assembly)> Compiled = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(All.Append(WithSecondOrder(CompiledFunctions.FloatTwin)).ToArray()));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return (run, CompiledSystems.EmitAndLoad(run.Output));
    });

    private static readonly Lazy<Dictionary<string, SecondOrderFunctionUnderTest>> Loaded = new(() => Cases.ToDictionary(c => c.ToString(), c =>
    {
        FunctionUnderTest f = CompiledFunctions.Load(c, Compiled.Value.Assembly);
        return new SecondOrderFunctionUnderTest(c, (IDifferentiableLaneFunctionSecondOrder)f.Function, f.User);
    }));

    /// <summary>The double function of <see cref="Cases"/> named <paramref name="name"/>.</summary>
    public static SecondOrderFunctionUnderTest Get(string name) => Loaded.Value[name];

    /// <summary>The float function of the float scenario for the sizes given, and its double twin.</summary>
    public static (IDifferentiableLaneFunctionSingleSecondOrder Single, IDifferentiableFunctionSecondOrder Twin) Float(int inputs, int parameters, int outputs)
    {
        Assembly assembly = Compiled.Value.Assembly;
        object[] sizes = { inputs, parameters, outputs };
        return ((IDifferentiableLaneFunctionSingleSecondOrder)Activator.CreateInstance(assembly.GetType("HvpFunctions.Single.FloatLayer+ForwardFunction")!, sizes)!,
            (IDifferentiableFunctionSecondOrder)Activator.CreateInstance(assembly.GetType("HvpFunctions.Twin.FloatLayer+ForwardFunction")!, sizes)!);
    }
}
