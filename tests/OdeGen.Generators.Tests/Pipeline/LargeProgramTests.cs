using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using Xunit.Abstractions;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Issue #22, "never a crashed compiler": the hostile shapes (<see cref="LargePrograms"/>) either generate code that
/// compiles and whose derivatives are right, or get a diagnostic with its code and location. The generator runs on a
/// thread with a small stack (the compiler's thread may have less than a test thread), so a recursive walk that would
/// need more than that fails here instead of in a user's build.
/// </summary>
public class LargeProgramTests
{
    /// <summary>
    /// The stack the generator gets for long flat programs: a quarter of the 1 MB a compiler thread has at least
    /// (Windows' default; 1.5 MB on Linux, 8 MB on a main thread). Before issue #22 a 10,000-term sum needed more.
    /// </summary>
    private const int SmallStack = 256 * 1024;

    /// <summary>
    /// The stack for deeply nested programs: the compiler's own binding of a 250-deep expression needs more than
    /// <see cref="SmallStack"/>, so these get the smallest stack a compiler thread has.
    /// </summary>
    private const int CompilerStack = 1024 * 1024;

    private readonly ITestOutputHelper _output;

    public LargeProgramTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Sum_Of10000Terms_CompilesAndIsRight_OnASmallStack()
    {
        // dydt[0] = p[0]*y[0] + … + p[999]*y[0] + p[0]*y[1] + … + p[999]*y[9]: 10,000 distinct products in one left-deep sum.
        (GeneratorRun run, Assembly assembly) = GenerateAndLoad(LargePrograms.Sum(10_000));
        string text = run.ScalarSources.Values.Single();
        // Code lines stay short (the comments above them quote the user's statement as written).
        Assert.All(text.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)),
            line => Assert.True(line.Length < 4000, "a generated line is " + line.Length + " characters long"));

        (IOdeSystem system, Dynamics user) = Load(assembly);
        var random = new Random(1);
        Point x = RandomPoint(random, system);
        AssertEvaluateAndJvpEqualTheUser(system, user, x);

        // f0 is linear: ∂f0/∂p[k] = Σ y[j] over the terms with p[k], ∂f0/∂y[j] = Σ p[k] over the terms with y[j].
        int n = system.StateCount, m = system.ParameterCount;
        double[] dfdy = new double[n * n], dfdp = new double[n * m];
        system.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
        for (int k = 0; k < m; k += 97)
        {
            double want = Enumerable.Range(0, 10).Sum(j => x.Y[j]);
            Assert.True(Math.Abs(dfdp[k] - want) <= 1e-12 * (1 + Math.Abs(want)), $"dfdp[0,{k}] {dfdp[k]:R} vs {want:R}");
        }

        for (int j = 0; j < n; j++)
        {
            double want = x.P.Sum();
            Assert.True(Math.Abs(dfdy[j] - want) <= 1e-10 * (1 + Math.Abs(want)), $"dfdy[0,{j}] {dfdy[j]:R} vs {want:R}");
        }

        AssertJacobianMatchesJvp(system, x);
        AssertLanesMatchScalar(system, random);
    }

    [Fact]
    public void Sum_AsTheTesterWroteIt_ReportsIndicesPastTheSizeLimit()
    {
        // p[0]*y[0] + … + p[9999]*y[9999]: indices of 1000 and more are ODE0008 (at most 1000 states and parameters).
        string source = LargePrograms.LiteralSum(10_000);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source));
        Diagnostic[] errors = run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.NotEmpty(errors);
        Assert.All(errors, d => Assert.Equal("ODE0008", d.Id));
        Assert.Equal("1000", source.Substring(errors[0].Location.SourceSpan.Start, errors[0].Location.SourceSpan.Length));
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NestingPastTheLimit_IsODE0025_OnTheNodeThatGoesPastIt(bool calls)
    {
        // Just past the limit: far deeper, and the compiler's own binder runs out of a 1 MB stack (it needs about
        // 2 KB a level), which no generator can help.
        int depth = (calls ? OdeDynamicsGenerator.MaxNesting / 2 : OdeDynamicsGenerator.MaxNesting) + 16;
        string source = calls ? LargePrograms.NestedCalls(depth) : LargePrograms.RightNested(depth);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source), CompilerStack);
        Diagnostic error = Assert.Single(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("ODE0025", error.Id);
        Assert.Contains(OdeDynamicsGenerator.MaxNesting.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        // The squiggle is on the node one level past the limit, deep inside the statement, not on the method.
        string at = source.Substring(error.Location.SourceSpan.Start, error.Location.SourceSpan.Length);
        Assert.True(at.StartsWith(calls ? "p[" : "(p[", StringComparison.Ordinal) || at.StartsWith("Math.Sin(", StringComparison.Ordinal), at[..Math.Min(40, at.Length)]);
        Assert.True(error.Location.SourceSpan.Start > source.IndexOf("dydt[0] =", StringComparison.Ordinal) + (OdeDynamicsGenerator.MaxNesting * 4));
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NestingBelowTheLimit_CompilesAndIsRight(bool calls)
    {
        // A call nests twice (the call, its argument); parentheses around a right operand once.
        int depth = (calls ? OdeDynamicsGenerator.MaxNesting / 2 : OdeDynamicsGenerator.MaxNesting) - 10;
        (GeneratorRun run, Assembly assembly) = GenerateAndLoad(calls ? LargePrograms.NestedCalls(depth) : LargePrograms.RightNested(depth), CompilerStack);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        (IOdeSystem system, Dynamics user) = Load(assembly);
        var random = new Random(2);
        Point x = RandomPoint(random, system);
        AssertEvaluateAndJvpEqualTheUser(system, user, x);
        AssertJacobianMatchesJvp(system, x);
        AssertJacobianMatchesFiniteDifferences(system, x, rows: 1);
        AssertLanesMatchScalar(system, random);
    }

    [Fact]
    public void NestedStatements_PastTheLimit_AreODE0025()
    {
        int depth = OdeDynamicsGenerator.MaxNesting + 50;
        string body = new string('{', depth) + "dydt[0] = y[0];" + new string('}', depth);
        string source = LargePrograms.Chain(0).Replace("dydt[0] = x0;", body, StringComparison.Ordinal);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source), CompilerStack);
        Diagnostic error = Assert.Single(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("ODE0025", error.Id);
        Assert.Equal('{', source[error.Location.SourceSpan.Start]);
    }

    [Fact]
    public void Chain_Of5000Statements_IsSmall_Compiles_AndIsRight()
    {
        // Before issue #22: a Jacobian with more than 65,534 locals (CS0204), 22 MB of C# in the scalar file, 4.4 MB in
        // the lane file, 46 s in the generator and 213 s to compile (on a loaded 2-core machine).
        var watch = Stopwatch.StartNew();
        Compilation input = GeneratorHarness.Compile(LargePrograms.Chain(5000));
        GeneratorRun run = RunOnSmallStack(input);
        double generate = watch.Elapsed.TotalSeconds;
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        foreach ((string name, string text) in run.Sources)
        {
            _output.WriteLine($"{name}: {text.Length:N0} characters; locals per method: {string.Join(", ", LocalsPerMethod(text).Select(l => $"{l.Method} {l.Locals:N0}"))}");
            Assert.True(text.Length < 6_000_000, $"{name} is {text.Length:N0} characters");
            Assert.All(LocalsPerMethod(text), l => Assert.True(l.Locals < 30_000, $"{l.Method} declares {l.Locals:N0} locals"));
        }

        watch.Restart();
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        _output.WriteLine($"generator {generate:F1} s, compile {watch.Elapsed.TotalSeconds:F1} s");

        (IOdeSystem system, Dynamics user) = Load(assembly);
        var random = new Random(3);
        Point x = RandomPoint(random, system);
        AssertEvaluateAndJvpEqualTheUser(system, user, x);
        AssertJacobianMatchesJvp(system, x);
        AssertJacobianMatchesFiniteDifferences(system, x, rows: 2);
        AssertLanesMatchScalar(system, random);
    }

    [Fact]
    public void Chain_PastTheSizeLimit_IsODE0026_OnTheMethodName()
    {
        // 9,100 statements: Evaluate alone would need 9,110 locals, its Vjp about 36,600 (this shape needs four times as
        // many; others up to six times).
        string source = LargePrograms.Chain(9_100);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source));
        Diagnostic error = Assert.Single(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("ODE0026", error.Id);
        Assert.Equal("Rhs", source.Substring(error.Location.SourceSpan.Start, error.Location.SourceSpan.Length));
        Assert.Contains("9,000 locals", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Chain_WithSecondOrder_PastTheSecondOrderLimit_IsODE0042_OnTheArgument()
    {
        // 500 statements over 10 states: first order is fine (7,718 Vjp instructions), but DivergenceVjp would hold
        // 99,624 instructions (a 7.6 MB file, 30,254 locals), more than the 60,000 OdeGen generates.
        string source = LargePrograms.Chain(500).Replace("[OdeDynamics]", "[OdeDynamics(SecondOrder = true)]", StringComparison.Ordinal);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source));
        Diagnostic error = Assert.Single(run.Result.Diagnostics);
        Assert.Equal("ODE0042", error.Id);
        Assert.Equal("SecondOrder = true", source.Substring(error.Location.SourceSpan.Start, error.Location.SourceSpan.Length));
        Assert.Contains("60,000", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Chain_WithSecondOrder_UnderTheLimit_IsMeasuredAndGenerated()
    {
        // 100 statements: past the cheap estimate, so the parser measures (DivergenceVjp: 4,413 instructions) and lets it through.
        string source = LargePrograms.Chain(100).Replace("[OdeDynamics]", "[OdeDynamics(SecondOrder = true)]", StringComparison.Ordinal);
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Contains(run.Sources.Keys, k => k.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal));
    }

    /// <summary>The declarations of locals in each generated method ("double x = …", "bool c = …", "TLane v = …", spans).</summary>
    internal static IEnumerable<(string Method, int Locals)> LocalsPerMethod(string text)
    {
        MatchCollection heads = Regex.Matches(text, @"^\s*public [^\n(]* (\w+)(<\w+>)?\(", RegexOptions.Multiline);
        for (int k = 0; k < heads.Count; k++)
        {
            int end = k + 1 < heads.Count ? heads[k + 1].Index : text.Length;
            string body = text[heads[k].Index..end];
            int locals = Regex.Matches(body, @"^\s*(double|float|bool|TLane|TLaneSingle|global::System\.Span<\w+>|var) \w+ =", RegexOptions.Multiline).Count;
            yield return (heads[k].Groups[1].Value, locals);
        }
    }

    private (GeneratorRun Run, Assembly Assembly) GenerateAndLoad(string source, int stack = SmallStack)
    {
        var watch = Stopwatch.StartNew();
        GeneratorRun run = RunOnSmallStack(GeneratorHarness.Compile(source), stack);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        double generate = watch.Elapsed.TotalSeconds;
        watch.Restart();
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        _output.WriteLine($"generator {generate:F1} s, compile {watch.Elapsed.TotalSeconds:F1} s, {run.Sources.Sum(s => s.Value.Length):N0} characters generated");
        return (run, assembly);
    }

    /// <summary>Runs the generator on a thread with <see cref="SmallStack"/>; a stack overflow would end the test run.</summary>
    internal static GeneratorRun RunOnSmallStack(Compilation input, int stack = SmallStack)
    {
        GeneratorRun? run = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                run = GeneratorHarness.Run(input);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, stack);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        GeneratorRunResult result = run!.Result.Results.Single();
        Assert.True(result.Exception is null, result.Exception?.ToString());
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");
        return run;
    }

    private static (IOdeSystem System, Dynamics User) Load(Assembly assembly)
    {
        Type owner = assembly.GetType("Large.Big")!;
        return ((IOdeSystem)Activator.CreateInstance(owner.GetNestedType("RhsSystem")!)!, owner.GetMethod("Rhs")!.CreateDelegate<Dynamics>());
    }

    private static Point RandomPoint(Random random, IOdeSystem system) => new(random.NextDouble(),
        Enumerable.Range(0, system.StateCount).Select(_ => -0.9 + (1.8 * random.NextDouble())).ToArray(),
        Enumerable.Range(0, system.ParameterCount).Select(_ => 0.5 + random.NextDouble()).ToArray(), random);

    private static void AssertEvaluateAndJvpEqualTheUser(IOdeSystem system, Dynamics user, Point x)
    {
        int n = system.StateCount;
        double[] expected = new double[n], evaluate = new double[n], jvp = new double[n], jvpDot = new double[n];
        user(x.T, x.Y, x.P, expected);
        system.Evaluate(x.T, x.Y, x.P, evaluate);
        Direction v = Direction.Random(x.Random, system);
        system.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, jvp, jvpDot);
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), evaluate.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), jvp.Select(BitConverter.DoubleToInt64Bits));
    }

    /// <summary>Every column of the Jacobian equals Jvp along the unit vector (to rounding: the two sum in different orders).</summary>
    private static void AssertJacobianMatchesJvp(IOdeSystem system, Point x)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double[] dfdy = new double[n * n], dfdp = new double[n * m], f = new double[n], column = new double[n];
        system.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
        double scale = 1 + dfdy.Concat(dfdp).Max(Math.Abs);
        for (int j = 0; j < n + m; j += j < n ? 1 : Math.Max(1, m / 7))
        {
            double[] yDot = new double[n], pDot = new double[m];
            (j < n ? yDot : pDot)[j < n ? j : j - n] = 1;
            system.Jvp(x.T, x.Y, x.P, 0, yDot, pDot, f, column);
            for (int i = 0; i < n; i++)
            {
                double entry = j < n ? dfdy[(i * n) + j] : dfdp[(i * m) + j - n];
                Assert.True(Math.Abs(entry - column[i]) <= 1e-12 * scale, $"J[{i},{j}] {entry:R} vs Jvp {column[i]:R}");
            }
        }
    }

    private static void AssertJacobianMatchesFiniteDifferences(IOdeSystem system, Point x, int rows)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double[] dfdy = new double[n * n], dfdp = new double[n * m];
        system.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
        FiniteDifferences fd = FiniteDifferences.Of(system, x);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.True(Math.Abs(fd.Dy[i, j] - dfdy[(i * n) + j]) <= 1e-5 * (1 + Math.Abs(fd.Dy[i, j])), $"dfdy[{i},{j}] {dfdy[(i * n) + j]:R} vs FD {fd.Dy[i, j]:R}");
            }

            for (int k = 0; k < m; k++)
            {
                Assert.True(Math.Abs(fd.Dp[i, k] - dfdp[(i * m) + k]) <= 1e-5 * (1 + Math.Abs(fd.Dp[i, k])), $"dfdp[{i},{k}] {dfdp[(i * m) + k]:R} vs FD {fd.Dp[i, k]:R}");
            }
        }
    }

    private static void AssertLanesMatchScalar(IOdeSystem system, Random random)
    {
        var lanes = (IOdeLaneSystem)system;
        var one = new[] { OdeGen.Testing.LanePoint.Random(random, system.StateCount, system.ParameterCount) };
        OdeGen.Testing.LaneComparison.AssertLanesMatchScalar<Lane1>(lanes, one, 0.3, 0.2, "Lane1");
        var points = Enumerable.Range(0, Lane256.Count).Select(_ => OdeGen.Testing.LanePoint.Random(random, system.StateCount, system.ParameterCount)).ToList();
        OdeGen.Testing.LaneComparison.AssertLanesMatchScalar<Lane256>(lanes, points, 0.3, 0.2, "Lane256");
    }
}
