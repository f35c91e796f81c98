using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;
using Xunit.Abstractions;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Legal C# beyond the supported subset (<see cref="LegalCSharpFuzz"/>) holds the generator to its three promises: it
/// never throws into the compiler, never emits code that does not compile, and for each program either generates
/// derivatives that agree with finite differences of the generated f (and an f equal to the user's method) or reports a
/// located ODE diagnostic. CI runs 80 programs (about 25 s); <c>ODEGEN_FUZZ_COUNT</c> and <c>ODEGEN_FUZZ_SEEDS</c>
/// (comma-separated) run a local sweep, which reports every failing program at once.
/// </summary>
public class LegalCSharpFuzzTests
{
    private readonly ITestOutputHelper output;

    public LegalCSharpFuzzTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public void FuzzedLegalPrograms_GenerateRightDerivativesOrLocatedDiagnostics()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_FUZZ_COUNT"), out int c) ? c : 80;
        int[] seeds = (Environment.GetEnvironmentVariable("ODEGEN_FUZZ_SEEDS") ?? "20261206")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        const int Batch = 60;
        var failures = new List<string>();
        var stats = new FuzzStats();
        foreach (int seed in seeds)
        {
            for (int start = 0; start < count; start += Batch)
            {
                var programs = Enumerable.Range(start, Math.Min(Batch, count - start)).Select(i => LegalCSharpFuzz.Create(seed, i)).ToList();
                failures.AddRange(CheckBatch(programs, stats));
            }
        }

        output.WriteLine(stats.ToString());
        string? report = Environment.GetEnvironmentVariable("ODEGEN_FUZZ_REPORT");
        if (report is not null)
        {
            File.WriteAllText(report, stats + "\n\n" + string.Join("\n\n========\n\n", failures));
            File.WriteAllLines(report + ".refusals", stats.Examples);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} fuzzed programs failed ({stats}); the first:\n{failures.FirstOrDefault()}");

        // The grammar has to reach the generator: most programs are legal C#, and some of them generate.
        Assert.True(stats.Legal >= stats.Programs / 2, $"too few legal programs: {stats}");
        Assert.True(stats.Generated > 0 && stats.Refused > 0, $"the programs should both generate and be refused: {stats}");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("f")]
    [InlineData("jvp")]
    [InlineData("vjp")]
    [InlineData("hvp")]
    public void TheChecks_CatchAWrongTarget(string wrong)
    {
        // f(z) = (sin(z0) z1, z0 z1²) with one of its parts off by 0.1 %: the checks the fuzzer relies on must see it.
        double off = 1.001;
        var program = new FuzzProgram(0, 0, "", "N", "T", "G", IsFunction: true, IsFloat: false, SecondOrder: true, Vectorized: false);
        void F(double[] z, double[] f)
        {
            f[0] = Math.Sin(z[0]) * z[1];
            f[1] = z[0] * z[1] * z[1];
        }

        var target = new FuzzTarget
        {
            Program = program,
            Inputs = 2,
            Outputs = 2,
            Domain = new[] { (-0.9, 0.9), (0.5, 1.5) },
            Evaluate = F,
            User = (z, f) =>
            {
                F(z, f);
                f[0] *= wrong == "f" ? off : 1;
            },
            Jvp = (z, v, f, fDot) =>
            {
                F(z, f);
                fDot[0] = ((Math.Cos(z[0]) * z[1] * v[0]) + (Math.Sin(z[0]) * v[1])) * (wrong == "jvp" ? off : 1);
                fDot[1] = (z[1] * z[1] * v[0]) + (2 * z[0] * z[1] * v[1]);
            },
            Vjp = (z, a) => new[]
            {
                (a[0] * Math.Cos(z[0]) * z[1]) + (a[1] * z[1] * z[1]),
                ((a[0] * Math.Sin(z[0])) + (a[1] * 2 * z[0] * z[1])) * (wrong == "vjp" ? off : 1),
            },
            Hvp = (z, a, v) => new[]
            {
                (-a[0] * Math.Sin(z[0]) * z[1] * v[0]) + (((a[0] * Math.Cos(z[0])) + (2 * a[1] * z[1])) * v[1]),
                (((a[0] * Math.Cos(z[0])) + (2 * a[1] * z[1])) * v[0]) + (2 * a[1] * z[0] * v[1] * (wrong == "hvp" ? off : 1)),
            },
            Lanes = _ => { },
        };
        if (wrong == "none")
        {
            FuzzCheck.All(target, new Random(1));
        }
        else
        {
            Assert.Throws<InvalidOperationException>(() => FuzzCheck.All(target, new Random(1)));
        }
    }

    /// <summary>Checks one batch in one compilation (each program has its own file and namespace); the failures' texts.</summary>
    internal static List<string> CheckBatch(IReadOnlyList<FuzzProgram> programs, FuzzStats stats)
    {
        var failures = new List<string>();
        stats.Programs += programs.Count;

        // Legal C# only: a program whose file has a compiler error of its own without the generator is discarded.
        Compilation all = GeneratorHarness.Compile(programs.Select(x => x.Source).ToArray());
        var bad = GeneratorHarness.Errors(all).Select(d => d.Location.SourceTree?.FilePath).ToHashSet();
        var legal = programs.Where((x, i) => !bad.Contains($"Source{i}.cs")).ToList();
        stats.Legal += legal.Count;

        // Generated files that do not compile fail their program; the rest are generated again without it.
        var remaining = legal;
        while (true)
        {
            Compilation input = GeneratorHarness.Compile(remaining.Select(x => x.Source).ToArray());
            GeneratorRun run;
            try
            {
                run = GeneratorHarness.Run(input);
            }
            catch (Exception e)
            {
                failures.Add($"the driver threw for batch {string.Join(", ", remaining)}: {e}");
                return failures;
            }

            GeneratorRunResult result = run.Result.Results.Single();
            if (result.Exception is not null)
            {
                failures.Add($"the generator threw for batch {string.Join(", ", remaining)}: {result.Exception}");
                return failures;
            }

            var byFile = remaining.Select((x, i) => (x, i)).ToDictionary(e => $"Source{e.i}.cs", e => e.x);
            var refused = new HashSet<FuzzProgram>();
            foreach (Diagnostic d in run.Result.Diagnostics)
            {
                string? file = d.Location.SourceTree?.FilePath;
                FuzzProgram? owner = file is not null && byFile.TryGetValue(file, out FuzzProgram? x) ? x : null;
                string? problem = DiagnosticProblem(d, owner, input);
                if (problem is not null)
                {
                    failures.Add(Describe(owner, problem + ": " + d));
                }

                if (owner is not null && d.Severity == DiagnosticSeverity.Error)
                {
                    refused.Add(owner);
                    stats.Codes[d.Id] = stats.Codes.GetValueOrDefault(d.Id) + 1;
                    stats.Examples.Add($"{d.Id} on '{d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)}': {d.GetMessage(CultureInfo.InvariantCulture)}");
                }
            }

            var generatedTrees = run.Output.SyntaxTrees.Where(tree => !input.SyntaxTrees.Contains(tree)).ToHashSet();
            var broken = new HashSet<FuzzProgram>();
            foreach (Diagnostic e in GeneratorHarness.Errors(run.Output))
            {
                SyntaxTree? tree = e.Location.SourceTree;
                FuzzProgram? owner = tree is null ? null
                    : generatedTrees.Contains(tree) ? remaining.FirstOrDefault(x => Path.GetFileName(tree.FilePath).StartsWith(x.Namespace + ".", StringComparison.Ordinal))
                    : byFile.GetValueOrDefault(tree.FilePath);
                if (owner is null || broken.Add(owner))
                {
                    failures.Add(Describe(owner, $"the output does not compile: {e}\n{GeneratedText(run, owner)}"));
                }

                if (owner is null)
                {
                    return failures;
                }
            }

            if (broken.Count > 0)
            {
                remaining = remaining.Where(x => !broken.Contains(x)).ToList();
                continue;
            }

            stats.Refused += refused.Count;
            var generated = remaining.Where(x => !refused.Contains(x)).ToList();
            stats.Generated += generated.Count;
            foreach (FuzzProgram x in generated)
            {
                stats.Kinds.AddRange(new[]
                {
                    x.IsFunction ? "function" : "dynamics", x.IsFloat ? "float" : "double", x.SecondOrder ? "second order" : "",
                    x.Vectorized ? "VectorizeLoops" : "", x.Size == 6 ? "size 6" : "", x.Source.Contains("for (", StringComparison.Ordinal) ? "loops" : "",
                }.Where(k => k.Length > 0));
            }

            if (generated.Count == 0)
            {
                return failures;
            }

            Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
            foreach (FuzzProgram x in generated)
            {
                try
                {
                    FuzzTarget target = FuzzTarget.Load(assembly, x);
                    stats.Skipped += FuzzCheck.All(target, new Random(x.Index + 1));
                }
                catch (Exception e)
                {
                    failures.Add(Describe(x, e.ToString()));
                }
            }

            return failures;
        }
    }

    /// <summary>Why a generator diagnostic breaks the rule (an ODE code on the user's method, no internal error), or null.</summary>
    private static string? DiagnosticProblem(Diagnostic d, FuzzProgram? owner, Compilation input)
    {
        if (!d.Id.StartsWith("ODE", StringComparison.Ordinal) || d.Id == "ODE0011")
        {
            return "not an ODE diagnostic or an internal error";
        }

        if (owner is null || d.Location.SourceTree is not { } tree || !input.SyntaxTrees.Contains(tree))
        {
            return "not located in the user's source";
        }

        // Inside the marked method, or inside a member of its type that the method uses (a helper, a field).
        SyntaxNode root = tree.GetRoot();
        MethodDeclarationSyntax method = root.DescendantNodes().OfType<MethodDeclarationSyntax>().First(m => m.Identifier.Text == owner.Method);
        TypeDeclarationSyntax type = (TypeDeclarationSyntax)method.Parent!;
        return type.Span.Contains(d.Location.SourceSpan) && d.Location.SourceSpan.Length > 0 ? null : "located outside the user's type or empty";
    }

    private static string GeneratedText(GeneratorRun run, FuzzProgram? owner) => owner is null ? "" : string.Join("\n",
        run.Sources.Where(s => s.Key.StartsWith(owner.Namespace + ".", StringComparison.Ordinal)).Select(s => $"// {s.Key}\n{s.Value}").Take(1));

    private static string Describe(FuzzProgram? x, string problem) =>
        x is null ? problem : $"{x}: {problem}\n--- source ---\n{x.Source}";
}

/// <summary>Counts of one sweep.</summary>
internal sealed class FuzzStats
{
    public int Programs { get; set; }

    public int Legal { get; set; }

    public int Generated { get; set; }

    public int Refused { get; set; }

    /// <summary>Derivative samples skipped because the point was within a step of a kink or a jump.</summary>
    public int Skipped { get; set; }

    /// <summary>What the generated programs were (function, float, second order, loops, …), one entry per trait.</summary>
    public List<string> Kinds { get; } = new();

    /// <summary>How often each error code refused a program.</summary>
    public Dictionary<string, int> Codes { get; } = new();

    /// <summary>Each refusal: its code, the text it is on and its message (for the sweep's report).</summary>
    public List<string> Examples { get; } = new();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Programs} programs, {Legal} legal C#, {Generated} generated, {Refused} refused with a diagnostic, {Skipped} samples near a kink skipped; generated "
        + string.Join(", ", Kinds.GroupBy(k => k).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")) + "; errors "
        + string.Join(", ", Codes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ×{c.Value}"));
}

/// <summary>
/// A generated system or function seen as a map of one input vector z to an output vector (dynamics: z = (t, y, p);
/// functions: z = (x, p)), with the user's method, and float ones widened to double.
/// </summary>
internal sealed class FuzzTarget
{
    public required FuzzProgram Program { get; init; }

    public required int Inputs { get; init; }

    public required int Outputs { get; init; }

    /// <summary>Where the parameters start in z and the ranges each part of z is drawn from.</summary>
    public required (double Lo, double Hi)[] Domain { get; init; }

    public required Action<double[], double[]> Evaluate { get; init; }

    public required Action<double[], double[]> User { get; init; }

    /// <summary>(z, v, f, fDot).</summary>
    public required Action<double[], double[], double[], double[]> Jvp { get; init; }

    /// <summary>(z, a) → zBar (the VJP into zeros).</summary>
    public required Func<double[], double[], double[]> Vjp { get; init; }

    /// <summary>(z, a, v) → the derivative of Vjp along v; NaN where it has no entry (dynamics' t). Null without SecondOrder.</summary>
    public Func<double[], double[], double[], double[]>? Hvp { get; init; }

    /// <summary>The lane methods compared with the scalar ones (throws on a mismatch).</summary>
    public required Action<Random> Lanes { get; init; }

    public static FuzzTarget Load(Assembly assembly, FuzzProgram x)
    {
        Type owner = assembly.GetType(x.FullTypeName) ?? throw new InvalidOperationException($"no type {x.FullTypeName}");
        Type generated = assembly.GetType(x.GeneratedTypeName) ?? throw new InvalidOperationException($"no generated {x.GeneratedTypeName}");
        MethodInfo user = owner.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == x.Method && m.GetParameters().Any(p => p.ParameterType.IsByRefLike));

        // Sizes the attribute leaves out come from the constructor.
        ConstructorInfo? sized = generated.GetConstructors().FirstOrDefault(ci => ci.GetParameters().Length > 0);
        object instance = sized is null ? Activator.CreateInstance(generated)!
            : sized.Invoke(sized.GetParameters().Select(_ => (object)x.Size).ToArray());
        return (x.IsFunction, x.IsFloat) switch
        {
            (false, false) => Dynamics(x, (IOdeSystem)instance, user.CreateDelegate<Dynamics>()),
            (false, true) => SingleDynamics(x, (IOdeSystemSingle)instance, user.CreateDelegate<SingleDynamics>()),
            (true, false) => Function(x, (IDifferentiableFunction)instance, user.CreateDelegate<UserFunction>()),
            (true, true) => SingleFunction(x, (IDifferentiableFunctionSingle)instance, user.CreateDelegate<UserFunctionSingle>()),
        };
    }

    private static (double, double)[] DomainOf(bool time, int n, int m) =>
        (time ? new[] { (0.0, 1.0) } : Array.Empty<(double, double)>()).Concat(Enumerable.Repeat((-0.9, 0.9), n)).Concat(Enumerable.Repeat((0.5, 1.5), m)).ToArray();

    private static FuzzTarget Dynamics(FuzzProgram x, IOdeSystem s, Dynamics user)
    {
        int n = s.StateCount, m = s.ParameterCount;
        return new FuzzTarget
        {
            Program = x,
            Inputs = 1 + n + m,
            Outputs = n,
            Domain = DomainOf(true, n, m),
            Evaluate = (z, f) => s.Evaluate(z[0], z.AsSpan(1, n), z.AsSpan(1 + n, m), f),
            User = (z, f) => user(z[0], z.AsSpan(1, n), z.AsSpan(1 + n, m), f),
            Jvp = (z, v, f, fDot) => s.Jvp(z[0], z.AsSpan(1, n), z.AsSpan(1 + n, m), v[0], v.AsSpan(1, n), v.AsSpan(1 + n, m), f, fDot),
            Vjp = (z, a) =>
            {
                var bar = new double[1 + n + m];
                bar[0] = s.Vjp(z[0], z.AsSpan(1, n), z.AsSpan(1 + n, m), a, bar.AsSpan(1, n), bar.AsSpan(1 + n, m));
                return bar;
            },
            Hvp = s is IOdeSystemSecondOrder so ? (z, a, v) =>
            {
                var bar = new double[1 + n + m];
                bar[0] = double.NaN;
                so.Hvp(z[0], z.AsSpan(1, n), z.AsSpan(1 + n, m), a, v[0], v.AsSpan(1, n), v.AsSpan(1 + n, m), bar.AsSpan(1, n), bar.AsSpan(1 + n, m));
                return bar;
            }
            : null,
            Lanes = random =>
            {
                var lanes = (IOdeLaneSystem)s;
                LaneComparison.AssertLanesMatchScalar<Lane1>(lanes, LanePoints(random, 1, n, m), 0.3, 0.7, x.ToString(), x.Vectorized);
                FuzzCheck.WideLanes(() => LaneComparison.AssertLanesMatchScalar<Lane256>(lanes, LanePoints(random, Lane256.Count, n, m), 0.3, 0.7, x.ToString(), x.Vectorized));
            },
        };
    }

    private static List<LanePoint> LanePoints(Random random, int count, int n, int m) =>
        Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, n, m)).ToList();

    private static FuzzTarget SingleDynamics(FuzzProgram x, IOdeSystemSingle s, SingleDynamics user)
    {
        int n = s.StateCount, m = s.ParameterCount;
        return new FuzzTarget
        {
            Program = x,
            Inputs = 1 + n + m,
            Outputs = n,
            Domain = DomainOf(true, n, m),
            Evaluate = (z, f) => Widen(F(z)[1..], n, (zf, ff) => s.Evaluate((float)z[0], zf.AsSpan(0, n), zf.AsSpan(n, m), ff), f),
            User = (z, f) => Widen(F(z)[1..], n, (zf, ff) => user((float)z[0], zf.AsSpan(0, n), zf.AsSpan(n, m), ff), f),
            Jvp = (z, v, f, fDot) =>
            {
                float[] zf = F(z), vf = F(v), ff = new float[n], fd = new float[n];
                s.Jvp(zf[0], zf.AsSpan(1, n), zf.AsSpan(1 + n, m), vf[0], vf.AsSpan(1, n), vf.AsSpan(1 + n, m), ff, fd);
                Array.Copy(ff.Select(q => (double)q).ToArray(), f, n);
                Array.Copy(fd.Select(q => (double)q).ToArray(), fDot, n);
            },
            Vjp = (z, a) =>
            {
                float[] zf = F(z), bar = new float[1 + n + m];
                bar[0] = s.Vjp(zf[0], zf.AsSpan(1, n), zf.AsSpan(1 + n, m), F(a), bar.AsSpan(1, n), bar.AsSpan(1 + n, m));
                return bar.Select(q => (double)q).ToArray();
            },
            Lanes = random =>
            {
                var lanes = (IOdeLaneSystemSingle)s;
                LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle1>(lanes, new[] { LanePointSingle.Random(random, n, m) }, 0.3f, 0.7f, x.ToString());
                var points = Enumerable.Range(0, LaneSingle256.Count).Select(_ => LanePointSingle.Random(random, n, m)).ToList();
                try
                {
                    FuzzCheck.WideLanes(() => LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle256>(lanes, points, 0.3f, 0.7f, x.ToString()), relative: 1e-5);
                }
                catch (Exception miss)
                {
                    // A fixed tolerance ignores conditioning: on a miss the double twin judges both float forms (FloatTwin).
                    FloatTwin.LanesAgainstTwin(x, lanes, points, 0.3f, 0.7f, miss);
                }
            },
        };
    }

    private static FuzzTarget Function(FuzzProgram x, IDifferentiableFunction g, UserFunction user)
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        return new FuzzTarget
        {
            Program = x,
            Inputs = n + m,
            Outputs = k,
            Domain = DomainOf(false, n, m),
            Evaluate = (z, f) => g.Evaluate(z.AsSpan(0, n), z.AsSpan(n, m), f),
            User = (z, f) => user(z.AsSpan(0, n), z.AsSpan(n, m), f),
            Jvp = (z, v, f, fDot) => g.Jvp(z.AsSpan(0, n), z.AsSpan(n, m), v.AsSpan(0, n), v.AsSpan(n, m), f, fDot),
            Vjp = (z, a) =>
            {
                var bar = new double[n + m];
                g.Vjp(z.AsSpan(0, n), z.AsSpan(n, m), a, bar.AsSpan(0, n), bar.AsSpan(n, m));
                return bar;
            },
            Hvp = g is IDifferentiableFunctionSecondOrder so ? (z, a, v) =>
            {
                var bar = new double[n + m];
                so.Hvp(z.AsSpan(0, n), z.AsSpan(n, m), a, v.AsSpan(0, n), v.AsSpan(n, m), bar.AsSpan(0, n), bar.AsSpan(n, m));
                return bar;
            }
            : null,
            Lanes = random => FuzzCheck.WideLanes(() => FunctionChecks.LanesEqualScalar((IDifferentiableLaneFunction)g, random, x.ToString(), x.Vectorized)),
        };
    }

    private static FuzzTarget SingleFunction(FuzzProgram x, IDifferentiableFunctionSingle g, UserFunctionSingle user)
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        return new FuzzTarget
        {
            Program = x,
            Inputs = n + m,
            Outputs = k,
            Domain = DomainOf(false, n, m),
            Evaluate = (z, f) => Widen(F(z), k, (zf, ff) => g.Evaluate(zf.AsSpan(0, n), zf.AsSpan(n, m), ff), f),
            User = (z, f) => Widen(F(z), k, (zf, ff) => user(zf.AsSpan(0, n), zf.AsSpan(n, m), ff), f),
            Jvp = (z, v, f, fDot) =>
            {
                float[] zf = F(z), vf = F(v), ff = new float[k], fd = new float[k];
                g.Jvp(zf.AsSpan(0, n), zf.AsSpan(n, m), vf.AsSpan(0, n), vf.AsSpan(n, m), ff, fd);
                Array.Copy(ff.Select(q => (double)q).ToArray(), f, k);
                Array.Copy(fd.Select(q => (double)q).ToArray(), fDot, k);
            },
            Vjp = (z, a) =>
            {
                float[] zf = F(z), bar = new float[n + m];
                g.Vjp(zf.AsSpan(0, n), zf.AsSpan(n, m), F(a), bar.AsSpan(0, n), bar.AsSpan(n, m));
                return bar.Select(q => (double)q).ToArray();
            },
            Lanes = _ => { },
        };
    }

    private static float[] F(double[] z) => z.Select(q => (float)q).ToArray();

    private static void Widen(float[] z, int outputs, Action<float[], float[]> run, double[] f)
    {
        var ff = new float[outputs];
        run(z, ff);
        for (int i = 0; i < outputs; i++)
        {
            f[i] = ff[i];
        }
    }
}

/// <summary>The checks of one generated target at seeded points; throws on a failure, returns the samples skipped near kinks.</summary>
internal static class FuzzCheck
{
    public static int All(FuzzTarget g, Random random)
    {
        bool single = g.Program.IsFloat;
        int skipped = 0;
        for (int sample = 0; sample < 3; sample++)
        {
            double[] z = g.Domain.Select(d => d.Lo + ((d.Hi - d.Lo) * random.NextDouble())).ToArray();
            if (single)
            {
                z = z.Select(q => (double)(float)q).ToArray();
            }

            double[] v = Vector(random, g.Inputs), a = Vector(random, g.Outputs);

            // f is the user's method: bit for bit (VectorizeLoops reassociates sums, so close).
            double[] expected = new double[g.Outputs], f = new double[g.Outputs];
            g.User(z, expected);
            g.Evaluate(z, f);
            for (int i = 0; i < g.Outputs; i++)
            {
                bool same = g.Program.Vectorized
                    ? Math.Abs(expected[i] - f[i]) <= 1e-12 * (1 + Math.Abs(expected[i]))
                    : BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(f[i]);
                Check(same, $"Evaluate f[{i}] = {f[i]:R}, the user's method {expected[i]:R}");
            }

            double[] jf = new double[g.Outputs], fDot = new double[g.Outputs];
            g.Jvp(z, v, jf, fDot);
            for (int i = 0; i < g.Outputs; i++)
            {
                Check(BitConverter.DoubleToInt64Bits(jf[i]) == BitConverter.DoubleToInt64Bits(f[i]), $"Jvp's f[{i}] = {jf[i]:R}, Evaluate {f[i]:R}");
            }

            // Central differences at two steps: where they disagree the point is within a step of a kink or a jump.
            double[]? fd = Directional(g.Evaluate, z, v, g.Outputs, single);
            if (fd is null)
            {
                skipped++;
            }
            else
            {
                for (int i = 0; i < g.Outputs; i++)
                {
                    Check(Close(fd[i], fDot[i], single ? 2e-2 : 1e-6), $"Jvp fDot[{i}] = {fDot[i]:R}, finite differences {fd[i]:R}");
                }
            }

            // The dot-product test ⟨a, J v⟩ = ⟨Jᵀ a, v⟩, same point, so same branches.
            double[] bar = g.Vjp(z, a);
            double forward = Dot(a, fDot), reverse = Dot(bar, v);
            double scale = a.Zip(fDot, (p, q) => Math.Abs(p * q)).Sum() + bar.Zip(v, (p, q) => Math.Abs(p * q)).Sum() + 1e-300;
            Check(Math.Abs(forward - reverse) <= (single ? 1e-4 : 1e-11) * scale, $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}");

            if (g.Hvp is { } hvp)
            {
                double[] h = hvp(z, a, v);
                double[]? fdBar = Directional((zz, o) => Array.Copy(g.Vjp(zz, a), o, g.Inputs), z, v, g.Inputs, single);
                if (fdBar is null)
                {
                    skipped++;
                }
                else
                {
                    for (int i = 0; i < g.Inputs; i++)
                    {
                        Check(double.IsNaN(h[i]) || Close(fdBar[i], h[i], 1e-5), $"Hvp[{i}] = {h[i]:R}, finite differences of Vjp {fdBar[i]:R}");
                    }
                }
            }
        }

        g.Lanes(random);
        return skipped;
    }

    /// <summary>
    /// Runs a comparison of SIMD lanes with the scalar methods, whose tolerance (1e-14 relative to the largest element)
    /// assumes well-conditioned results. The lane kernels (LaneMath's Sin, Cos, …) are accurate to a few ulps of their
    /// own result, which a derivative that nearly cancels (a cosine near its zero, 1 - tanh² near 1) turns into a
    /// larger relative error; a difference that is still below 1e-12 relative to the scalar value plus 1e-20 is that
    /// rounding, anything larger (a wrong select, a lane mixed with another) stays a failure.
    /// </summary>
    public static void WideLanes(Action compare, double relative = 1e-12)
    {
        try
        {
            compare();
        }
        catch (Exception e) when (RoundingOnly(e.Message, relative))
        {
        }
    }

    private static bool RoundingOnly(string message, double relative)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"scalar (\S+), lanes (\S+) \(difference");
        return m.Success && double.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out double scalar)
            && double.TryParse(m.Groups[2].Value, CultureInfo.InvariantCulture, out double lanes)
            && Math.Abs(scalar - lanes) <= (relative * Math.Abs(scalar)) + 1e-20;
    }

    private static double[]? Directional(Action<double[], double[]> evaluate, double[] z, double[] v, int outputs, bool single)
    {
        double h1 = single ? 4e-3 : 1e-6, h2 = single ? 1e-2 : 1e-5;
        double[] d1 = Central(evaluate, z, v, outputs, h1, single), d2 = Central(evaluate, z, v, outputs, h2, single);
        for (int i = 0; i < outputs; i++)
        {
            if (!Close(d2[i], d1[i], single ? 2e-2 : 1e-5))
            {
                return null;
            }
        }

        return d1;
    }

    private static double[] Central(Action<double[], double[]> evaluate, double[] z, double[] v, int outputs, double h, bool single)
    {
        double[] plus = z.Zip(v, (a, b) => a + (h * b)).ToArray(), minus = z.Zip(v, (a, b) => a - (h * b)).ToArray();
        if (single)
        {
            plus = plus.Select(q => (double)(float)q).ToArray();
            minus = minus.Select(q => (double)(float)q).ToArray();
        }

        double[] fp = new double[outputs], fm = new double[outputs];
        evaluate(plus, fp);
        evaluate(minus, fm);
        return fp.Zip(fm, (a, b) => (a - b) / (2 * h)).ToArray();
    }

    private static bool Close(double expected, double actual, double tolerance) =>
        Math.Abs(expected - actual) <= tolerance * (1 + Math.Abs(expected));

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();

    private static double[] Vector(Random random, int length) => Enumerable.Range(0, length).Select(_ => (2 * random.NextDouble()) - 1).ToArray();
}
