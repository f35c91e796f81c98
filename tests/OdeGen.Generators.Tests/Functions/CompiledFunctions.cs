using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>The user's [Differentiable] method, callable without boxing its spans.</summary>
public delegate void UserFunction(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y);

/// <summary>The user's float [Differentiable] method.</summary>
public delegate void UserFunctionSingle(ReadOnlySpan<float> x, ReadOnlySpan<float> p, Span<float> y);

/// <summary>A generated function with the user method it was generated from.</summary>
internal sealed record FunctionUnderTest(FunctionCase Case, IDifferentiableLaneFunction Function, UserFunction User)
{
    /// <inheritdoc/>
    public override string ToString() => Case.ToString();
}

/// <summary>
/// Every scenario of <see cref="FunctionSources"/> plus a double twin of the float one, compiled once with the
/// generator's output into one in-memory assembly.
/// </summary>
internal static class CompiledFunctions
{
    private static readonly Lazy<(GeneratorRun Run, Assembly Assembly)> Compiled = new(Compile);

    private static readonly Lazy<Dictionary<string, FunctionUnderTest>> Loaded = new(() =>
        FunctionSources.Cases.ToDictionary(c => c.ToString(), c => Load(c)));

    /// <summary>The double function of <see cref="FunctionSources.Cases"/> named <paramref name="name"/> ("Owner.Method").</summary>
    public static FunctionUnderTest Get(string name) => Loaded.Value[name];

    /// <summary>The generator's run (its sources and diagnostics).</summary>
    public static GeneratorRun Run => Compiled.Value.Run;

    /// <summary>The double twin of the float scenario: the same program with double for float and Math for MathF.</summary>
    public static string FloatTwin => Regex.Replace(FunctionSources.Float.Replace("float", "double").Replace("MathF", "Math")
        .Replace("Functions.Single", "Functions.Twin"), @"(\d)f\b", "$1");

    /// <summary>The float function of <see cref="FunctionSources.Float"/> for the sizes given, its user method, and its double twin.</summary>
    public static (IDifferentiableLaneFunctionSingle Single, UserFunctionSingle User, IDifferentiableFunction Twin) Float(int inputs, int parameters, int outputs)
    {
        Assembly assembly = Compiled.Value.Assembly;
        Type single = assembly.GetType("Functions.Single.FloatLayer")!, twin = assembly.GetType("Functions.Twin.FloatLayer")!;
        object[] sizes = { inputs, parameters, outputs };
        return ((IDifferentiableLaneFunctionSingle)Activator.CreateInstance(single.GetNestedType("ForwardFunction")!, sizes)!,
            single.GetMethod("Forward")!.CreateDelegate<UserFunctionSingle>(),
            (IDifferentiableFunction)Activator.CreateInstance(twin.GetNestedType("ForwardFunction")!, sizes)!);
    }

    /// <summary>The function <paramref name="c"/> of <paramref name="assembly"/> (default: the scenarios').</summary>
    public static FunctionUnderTest Load(FunctionCase c, Assembly? assembly = null)
    {
        Type owner = (assembly ?? Compiled.Value.Assembly).GetType(c.Owner)!;
        Type generated = owner.GetNestedType(c.Method + "Function")!;
        object instance = c.ConstructorArguments.Length == 0
            ? Activator.CreateInstance(generated)!
            : Activator.CreateInstance(generated, c.ConstructorArguments.Cast<object>().ToArray())!;
        MethodInfo user = owner.GetMethod(c.Method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        return new FunctionUnderTest(c, (IDifferentiableLaneFunction)instance, user.CreateDelegate<UserFunction>());
    }

    private static (GeneratorRun, Assembly) Compile()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(FunctionSources.All.Append(FloatTwin).ToArray()));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return (run, CompiledSystems.EmitAndLoad(run.Output));
    }
}
