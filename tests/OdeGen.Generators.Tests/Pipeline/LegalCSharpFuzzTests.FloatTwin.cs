using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// The float lanes' second chance, for the legal-C# fuzzer. The float lane forms are first compared with the scalar float
/// forms to a fixed relative tolerance (<see cref="LaneComparisonSingle.Tolerance"/>), which assumes a well-conditioned
/// result: where a program cancels or nests steep functions, a few ulps of difference inside (the lane kernels are not
/// MathF) become far more than that at the output, although the lanes are no less accurate than the scalar code. On such a
/// miss the program's double twin (the same source in double) is the reference: each output group passes when the
/// lanes' error against the twin is at most <see cref="Factor"/> times the scalar float's own error, plus
/// <see cref="Floor"/> of the group's size for the rounding of the outputs themselves. A wrong lane value (a mixed-up
/// lane, a wrong select) is off by about the output's size, far more than either, and still fails.
/// </summary>
internal static class FloatTwin
{
    /// <summary>How much worse than the scalar float code the lanes may be, against the double twin.</summary>
    public const double Factor = 4;

    /// <summary>Allowed beside that, relative to the group's largest twin value: eight float epsilons, the outputs' rounding.</summary>
    public const double Floor = 8 * 1.1920928955078125e-7;

    /// <summary>
    /// The double twin of a float program: float → double, MathF → Math, and float literals (1.5f, 1_0.0f, .5f) without
    /// their suffix; everything else (names, attribute, control flow) is the same text.
    /// </summary>
    public static FuzzProgram Of(FuzzProgram x)
    {
        if (!x.IsFloat)
        {
            throw new ArgumentException($"{x} is not a float program", nameof(x));
        }

        string source = Regex.Replace(x.Source, @"\bMathF\b", "Math");
        source = Regex.Replace(source, @"\bfloat\b", "double");
        source = Regex.Replace(source, @"(?<=[0-9])f\b", "");
        return x with { Source = source, IsFloat = false };
    }

    /// <summary>The twin generated, compiled and loaded; throws when the generator refuses it or its output does not compile.</summary>
    public static FuzzTarget Load(FuzzProgram x)
    {
        FuzzProgram twin = Of(x);
        Compilation input = GeneratorHarness.Compile(twin.Source);
        GeneratorRun run = GeneratorHarness.Run(input);
        var errors = run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Concat(GeneratorHarness.Errors(run.Output)).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"the double twin of {x} is not generated: {string.Join("; ", errors)}");
        }

        return FuzzTarget.Load(CompiledSystems.EmitAndLoad(run.Output), twin);
    }

    /// <summary>
    /// After <paramref name="miss"/> (the lanes against the scalar float forms at <paramref name="points"/>): every output
    /// group of every lane judged against the double twin by <see cref="Judge"/>; throws, naming the group, when one fails.
    /// </summary>
    public static void LanesAgainstTwin(FuzzProgram x, IOdeLaneSystemSingle system, IReadOnlyList<LanePointSingle> points, float t, float tDot, Exception miss)
    {
        FuzzTarget twin;
        try
        {
            twin = Load(x);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{miss.Message}\n(no double twin to judge by: {e.Message})", miss);
        }

        int n = system.StateCount, m = system.ParameterCount, count = LaneSingle256.Count;
        LaneSingle256[] y = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.Y).ToList(), n);
        LaneSingle256[] p = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.P).ToList(), m);
        LaneSingle256[] yDot = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.YDot).ToList(), n);
        LaneSingle256[] pDot = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.PDot).ToList(), m);
        LaneSingle256[] a = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.A).ToList(), n);
        LaneSingle256[] yBar = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.YBar).ToList(), n);
        LaneSingle256[] pBar = LaneComparisonSingle.Pack<LaneSingle256>(points.Select(q => q.PBar).ToList(), m);
        var f = new LaneSingle256[n];
        var f2 = new LaneSingle256[n];
        var fDot = new LaneSingle256[n];
        system.EvaluateLanes<LaneSingle256>(t, y, p, f);
        system.JvpLanes<LaneSingle256>(t, y, p, tDot, yDot, pDot, f2, fDot);
        LaneSingle256 tBar = system.VjpLanes<LaneSingle256>(t, y, p, a, yBar, pBar);

        var scalar = (IOdeSystemSingle)system;
        for (int l = 0; l < count; l++)
        {
            LanePointSingle q = points[l];
            string where = $"{x}, LaneSingle256 lane {l}";
            double[] z = new[] { (double)t }.Concat(q.Y.Select(v => (double)v)).Concat(q.P.Select(v => (double)v)).ToArray();
            double[] v = new[] { (double)tDot }.Concat(q.YDot.Select(e => (double)e)).Concat(q.PDot.Select(e => (double)e)).ToArray();

            float[] sf = new float[n], sj = new float[n], sd = new float[n];
            double[] tf = new double[n], tj = new double[n], td = new double[n];
            scalar.Evaluate(t, q.Y, q.P, sf);
            twin.Evaluate(z, tf);
            Judge(sf, LaneComparisonSingle.Unpack<LaneSingle256>(f, l), tf, where + ": EvaluateLanes dydt");

            scalar.Jvp(t, q.Y, q.P, tDot, q.YDot, q.PDot, sj, sd);
            twin.Jvp(z, v, tj, td);
            Judge(sj, LaneComparisonSingle.Unpack<LaneSingle256>(f2, l), tj, where + ": JvpLanes dydt");
            Judge(sd, LaneComparisonSingle.Unpack<LaneSingle256>(fDot, l), td, where + ": JvpLanes dydtDot");

            // Vjp adds into yBar and pBar; the twin's VJP (into zeros) plus the same starting values.
            float[] yb = (float[])q.YBar.Clone(), pb = (float[])q.PBar.Clone();
            float tb = scalar.Vjp(t, q.Y, q.P, q.A, yb, pb);
            double[] bar = twin.Vjp(z, q.A.Select(e => (double)e).ToArray());
            double[] expected = q.YBar.Select((e, i) => e + bar[1 + i]).Concat(q.PBar.Select((e, i) => e + bar[1 + n + i])).Append(bar[0]).ToArray();
            float[] lanes = LaneComparisonSingle.Unpack<LaneSingle256>(yBar, l).Concat(LaneComparisonSingle.Unpack<LaneSingle256>(pBar, l))
                .Append(LaneSingle256.GetLane(tBar, l)).ToArray();
            Judge(yb.Concat(pb).Append(tb).ToArray(), lanes, expected, where + ": VjpLanes (yBar, pBar, tBar)");
        }
    }

    /// <summary>
    /// One output group: the lanes' largest error against <paramref name="twin"/> is at most <see cref="Factor"/> times the
    /// scalar float's largest error plus <see cref="Floor"/> of the group's largest twin value. A NaN in the lanes where
    /// the scalar code has a number is an error of its own. Throws <see cref="InvalidOperationException"/> on a failure.
    /// </summary>
    public static void Judge(float[] scalar, float[] lanes, double[] twin, string what)
    {
        double scale = twin.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        double scalarError = 0, lanesError = 0;
        int worst = 0;
        for (int i = 0; i < twin.Length; i++)
        {
            if (float.IsNaN(lanes[i]) != float.IsNaN(scalar[i]))
            {
                throw new InvalidOperationException($"{what}[{i}]: scalar {scalar[i].ToString("R", CultureInfo.InvariantCulture)}, lanes {lanes[i].ToString("R", CultureInfo.InvariantCulture)}");
            }

            double es = Error(scalar[i], twin[i]), el = Error(lanes[i], twin[i]);
            scalarError = Math.Max(scalarError, es);
            if (el > lanesError)
            {
                lanesError = el;
                worst = i;
            }
        }

        double allowed = (Factor * scalarError) + (Floor * scale);
        if (!(lanesError <= allowed))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{what}[{worst}]: lanes {lanes[worst]:R}, scalar {scalar[worst]:R}, double twin {twin[worst]:R}: the lanes' error {lanesError:R} is more than {Factor} times the scalar float's {scalarError:R} plus {Floor * scale:R}"));
        }
    }

    private static double Error(float value, double twin) => float.IsNaN(value) && double.IsNaN(twin) ? 0 : Math.Abs(value - twin) is var e && double.IsNaN(e) ? double.PositiveInfinity : e;
}
