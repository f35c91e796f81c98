using OdeGen.Lanes;
using Xunit.Abstractions;

namespace OdeGen.Tests.Lanes;

// Every transcendental member of LaneSingle128/256/512 at 8,000–20,000 floats per function (random over several
// ranges, log-uniform magnitudes, and the edge cases: ±0, ±∞, NaN, subnormals, the overflow thresholds of float),
// measured in float ulps against two references: the correctly rounded float, (float)Math.F(x) (Math is 1–2 double
// ulp off, 2⁻²⁹ of a float ulp, so only a near-tie could round it the other way), and MathF. Asserted: at most 1 ulp
// from the rounded double (measured: 0 everywhere), and from MathF at most what MathF itself is off (1, or 2 for
// Sinh, Cosh, Tanh and Log10, where MathF is 2 ulp from the correctly rounded float at the printed points). Special
// values must match exactly. docs/lanes.md quotes the maxima.
public class LaneSingleMathTests(ITestOutputHelper output)
{
    private const int Random = 4000;

    private static double Ulps(float got, float want)
    {
        if (float.IsNaN(want)) return float.IsNaN(got) ? 0 : double.PositiveInfinity;
        if (float.IsNaN(got)) return double.PositiveInfinity;
        if (got == want) return want == 0 && float.IsNegative(got) != float.IsNegative(want) ? double.PositiveInfinity : 0;
        if (float.IsInfinity(want) || float.IsInfinity(got))
        {
            // One side overflowed: count the steps from float.MaxValue to the finite side, plus one for the infinity.
            float finite = float.IsInfinity(want) ? got : want;
            return float.IsInfinity(finite) ? double.PositiveInfinity : 1 + Ulps(finite, MathF.CopySign(float.MaxValue, finite));
        }

        float a = MathF.Abs(want);
        double ulp = a == float.MaxValue ? (double)a - MathF.BitDecrement(a) : (double)MathF.BitIncrement(a) - a;
        return Math.Abs((double)got - want) / ulp;
    }

    private static readonly float[] Specials =
    [
        0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon,
        1.17549435e-38f, -1.17549435e-38f, 1e-40f, -1e-40f, float.MaxValue, -float.MaxValue,
        1, -1, 0.5f, -0.5f, 2, -2, 3, -3, 0.625f, -0.625f, 0.66f, 2.4142137f, 1e-8f, -1e-8f, 1e-30f, -1e-30f,
        88.72f, 88.73f, 89, 89.41f, 89.42f, 90, -87.33f, -88.73f, -103.97f, -104, -105, 9, -9, 10, 1e5f, -1e5f,
        MathF.PI, MathF.PI / 2, -MathF.PI / 2, MathF.PI / 4, 0.99999994f, 1.0000001f, -0.99999994f, 0.9999f, -0.9999f,
    ];

    private static float[] Uniform(Random rng, double lo, double hi, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();

    private static float[] LogUniform(Random rng, double lo, double hi, int count, bool signs = true) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            float v = (float)Math.Exp(Math.Log(lo) + (Math.Log(hi) - Math.Log(lo)) * rng.NextDouble());
            return signs && rng.Next(2) == 0 ? -v : v;
        }).ToArray();

    private static float[] Points(string f)
    {
        // A fixed seed per function (string.GetHashCode is randomized per process).
        var rng = new Random(f.Sum(ch => ch) * 7919 + 3);
        IEnumerable<float> p = f switch
        {
            "Exp" => Uniform(rng, -1, 1, Random).Concat(Uniform(rng, -104, 89, Random)).Concat(LogUniform(rng, 1e-40, 88, Random)),
            "Log" or "Log10" => LogUniform(rng, 1e-45, 3e38, Random, signs: false).Concat(Uniform(rng, 0.5, 2, Random))
                .Concat(LogUniform(rng, 1e-7, 1e-1, Random, signs: false).Select(d => 1 + d)).Concat(LogUniform(rng, 1e-7, 1e-1, Random, signs: false).Select(d => 1 - d))
                .Concat(Uniform(rng, -10, 0, 100)),
            "Sin" or "Cos" or "Tan" => Uniform(rng, -Math.PI, Math.PI, Random).Concat(Uniform(rng, -100, 100, Random))
                .Concat(Uniform(rng, -1e5, 1e5, Random)).Concat(LogUniform(rng, 1e-40, 1e-3, Random)),
            "Asin" or "Acos" => Uniform(rng, -1, 1, Random).Concat(LogUniform(rng, 1e-40, 1, Random))
                .Concat(LogUniform(rng, 1e-7, 0.1, Random).Select(d => rng.Next(2) == 0 ? 1 - d : d - 1)).Concat(Uniform(rng, -3, 3, 200)),
            "Atan" => LogUniform(rng, 1e-40, 3e38, Random).Concat(Uniform(rng, -4, 4, Random)),
            "Sinh" or "Cosh" or "Tanh" => Uniform(rng, -1, 1, Random).Concat(Uniform(rng, -5, 5, Random)).Concat(Uniform(rng, -30, 30, Random))
                .Concat(Uniform(rng, -91, 91, Random)).Concat(LogUniform(rng, 1e-40, 1, Random)),
            "Cbrt" => LogUniform(rng, 1e-45, 3e38, Random).Concat(Uniform(rng, -10, 10, Random)).Concat(Uniform(rng, 0.1, 8, Random)),
            _ => throw new ArgumentException(f),
        };
        return p.Concat(Specials).ToArray();
    }

    private static Func<float, float> Reference(string f) => f switch
    {
        "Exp" => MathF.Exp, "Log" => MathF.Log, "Log10" => MathF.Log10, "Sin" => MathF.Sin, "Cos" => MathF.Cos, "Tan" => MathF.Tan,
        "Asin" => MathF.Asin, "Acos" => MathF.Acos, "Atan" => MathF.Atan, "Sinh" => MathF.Sinh, "Cosh" => MathF.Cosh,
        "Tanh" => MathF.Tanh, "Cbrt" => MathF.Cbrt, _ => throw new ArgumentException(f),
    };

    // The correctly rounded float (up to Math's 1–2 double ulp, which can move a rounding only at a near-tie).
    private static Func<float, float> Rounded(string f) => f switch
    {
        "Exp" => x => (float)Math.Exp(x), "Log" => x => (float)Math.Log(x), "Log10" => x => (float)Math.Log10(x),
        "Sin" => x => (float)Math.Sin(x), "Cos" => x => (float)Math.Cos(x), "Tan" => x => (float)Math.Tan(x),
        "Asin" => x => (float)Math.Asin(x), "Acos" => x => (float)Math.Acos(x), "Atan" => x => (float)Math.Atan(x),
        "Sinh" => x => (float)Math.Sinh(x), "Cosh" => x => (float)Math.Cosh(x), "Tanh" => x => (float)Math.Tanh(x),
        "Cbrt" => x => (float)Math.Cbrt(x), _ => throw new ArgumentException(f),
    };

    private static Func<T, T> Kernel<T>(string f) where T : unmanaged, ILaneSingle<T> => f switch
    {
        "Exp" => T.Exp, "Log" => T.Log, "Log10" => T.Log10, "Sin" => T.Sin, "Cos" => T.Cos, "Tan" => T.Tan,
        "Asin" => T.Asin, "Acos" => T.Acos, "Atan" => T.Atan, "Sinh" => T.Sinh, "Cosh" => T.Cosh,
        "Tanh" => T.Tanh, "Cbrt" => T.Cbrt, _ => throw new ArgumentException(f),
    };

    /// <summary>Largest error against each reference, and the input of the largest against the first (MathF).</summary>
    private static (double vsMathF, float at, double vsRounded) Measure<T>(Func<T, T> kernel, Func<float, float> mathF, Func<float, float> rounded, float[] x)
        where T : unmanaged, ILaneSingle<T>
    {
        int w = T.Count;
        var input = new float[w];
        var result = new float[w];
        double max = 0, maxRounded = 0;
        float at = float.NaN;
        for (int i = 0; i < x.Length; i += w)
        {
            for (int l = 0; l < w; l++) input[l] = x[Math.Min(i + l, x.Length - 1)];
            T.Store(kernel(T.Load(input)), result);
            for (int l = 0; l < w; l++)
            {
                double u = Ulps(result[l], mathF(input[l]));
                if (!(u <= max)) { max = u; at = input[l]; }
                maxRounded = Math.Max(maxRounded, Ulps(result[l], rounded(input[l])));
            }
        }
        return (max, at, maxRounded);
    }

    private static (double vsMathF, float atX, float atY, double vsRounded) Measure2<T>(Func<T, T, T> kernel, Func<float, float, float> mathF,
        Func<float, float, float> rounded, float[] x, float[] y)
        where T : unmanaged, ILaneSingle<T>
    {
        int w = T.Count;
        var u = new float[w];
        var v = new float[w];
        var result = new float[w];
        double max = 0, maxRounded = 0;
        float atX = float.NaN, atY = float.NaN;
        for (int i = 0; i < x.Length; i += w)
        {
            for (int l = 0; l < w; l++) { u[l] = x[Math.Min(i + l, x.Length - 1)]; v[l] = y[Math.Min(i + l, x.Length - 1)]; }
            T.Store(kernel(T.Load(u), T.Load(v)), result);
            for (int l = 0; l < w; l++)
            {
                double e = Ulps(result[l], mathF(u[l], v[l]));
                if (!(e <= max)) { max = e; atX = u[l]; atY = v[l]; }
                maxRounded = Math.Max(maxRounded, Ulps(result[l], rounded(u[l], v[l])));
            }
        }
        return (max, atX, atY, maxRounded);
    }

    public static IEnumerable<object[]> Unary() =>
        from f in new (string name, double mathFBound)[]
        {
            ("Exp", 1), ("Log", 1), ("Log10", 2), ("Sin", 1), ("Cos", 1), ("Tan", 1), ("Asin", 1), ("Acos", 1),
            ("Atan", 1), ("Sinh", 2), ("Cosh", 2), ("Tanh", 2), ("Cbrt", 1),
        }
        from w in new[] { 4, 8, 16 }
        select new object[] { f.name, w, f.mathFBound };

    [Theory]
    [MemberData(nameof(Unary))]
    public void Kernel_IsTheRoundedDouble_AndWithinMathFsOwnErrorOfMathF(string function, int lanes, double mathFBound)
    {
        float[] x = Points(function);
        var r = lanes switch
        {
            4 => Measure(Kernel<LaneSingle128>(function), Reference(function), Rounded(function), x),
            8 => Measure(Kernel<LaneSingle256>(function), Reference(function), Rounded(function), x),
            _ => Measure(Kernel<LaneSingle512>(function), Reference(function), Rounded(function), x),
        };
        output.WriteLine($"{function} ×{lanes}: max {r.vsMathF:F3} ulp from MathF at x = {r.at:R}, {r.vsRounded:F3} ulp from the rounded double, over {x.Length} points");
        Assert.True(r.vsRounded <= 1, $"{function} ×{lanes}: {r.vsRounded} ulp from the rounded double");
        Assert.True(r.vsMathF <= mathFBound, $"{function} ×{lanes}: {r.vsMathF} ulp at x = {r.at:R} (MathF: {Reference(function)(r.at):R}, rounded double: {Rounded(function)(r.at):R})");
    }

    private static (float[] x, float[] y) PowPoints()
    {
        var rng = new Random(99);
        var xs = new List<float>();
        var ys = new List<float>();
        void Add(double x, double y) { xs.Add((float)x); ys.Add((float)y); }
        for (int i = 0; i < Random; i++) Add(Math.Exp(rng.NextDouble() * 23 - 11.5), rng.NextDouble() * 16 - 8);
        for (int i = 0; i < Random; i++) Add(1 + (rng.NextDouble() - 0.5) * 1e-3, (rng.NextDouble() - 0.5) * 1e5);   // large y·ln x from x near 1
        for (int i = 0; i < Random; i++) Add(Math.Exp(rng.NextDouble() * 170 - 85), rng.NextDouble() * 2 - 1);
        for (int i = 0; i < Random; i++) Add(-(0.1 + 10 * rng.NextDouble()), rng.Next(-30, 31));                      // negative bases, integer powers
        for (int i = 0; i < Random; i++) Add(rng.NextDouble() * 4, rng.NextDouble() * 6 - 3);
        float[] special = [0f, -0f, 1, -1, 2, -2, 0.5f, -0.5f, 3, -3, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -1e-40f, 1e30f, 1.0000001f];
        foreach (float x in special)
            foreach (float y in special) Add(x, y);
        return (xs.ToArray(), ys.ToArray());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Pow_IsTheRoundedDouble_AndWithinOneUlpOfMathF(int lanes)
    {
        (float[] x, float[] y) = PowPoints();
        Func<float, float, float> rounded = (a, b) => (float)Math.Pow(a, b);
        var r = lanes switch
        {
            4 => Measure2<LaneSingle128>(LaneSingle128.Pow, MathF.Pow, rounded, x, y),
            8 => Measure2<LaneSingle256>(LaneSingle256.Pow, MathF.Pow, rounded, x, y),
            _ => Measure2<LaneSingle512>(LaneSingle512.Pow, MathF.Pow, rounded, x, y),
        };
        output.WriteLine($"Pow ×{lanes}: max {r.vsMathF:F3} ulp from MathF at ({r.atX:R}, {r.atY:R}), {r.vsRounded:F3} ulp from the rounded double, over {x.Length} points");
        Assert.True(r.vsRounded <= 1, $"Pow ×{lanes}: {r.vsRounded} ulp from the rounded double");
        Assert.True(r.vsMathF <= 1, $"Pow ×{lanes}: {r.vsMathF} ulp at ({r.atX:R}, {r.atY:R}); MathF.Pow = {MathF.Pow(r.atX, r.atY):R}");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Atan2_IsTheRoundedDouble_AndWithinOneUlpOfMathF(int lanes)
    {
        var rng = new Random(7);
        var xs = new List<float>();
        var ys = new List<float>();
        for (int i = 0; i < 3 * Random; i++)
        {
            float Magnitude() => (float)(Math.Exp(rng.NextDouble() * 60 - 30) * (rng.Next(2) == 0 ? -1 : 1));
            xs.Add(Magnitude());
            ys.Add(Magnitude());
        }
        for (int i = 0; i < Random; i++) { xs.Add((float)(rng.NextDouble() * 2 - 1)); ys.Add((float)(rng.NextDouble() * 2 - 1)); }
        float[] special = [0f, -0f, 1, -1, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -1e-40f, 1e30f, -1e30f, float.Epsilon];
        foreach (float x in special)
            foreach (float y in special) { xs.Add(x); ys.Add(y); }
        float[] xa = xs.ToArray(), ya = ys.ToArray();
        Func<float, float, float> rounded = (y, x) => (float)Math.Atan2(y, x);
        var r = lanes switch
        {
            4 => Measure2<LaneSingle128>(LaneSingle128.Atan2, MathF.Atan2, rounded, ya, xa),
            8 => Measure2<LaneSingle256>(LaneSingle256.Atan2, MathF.Atan2, rounded, ya, xa),
            _ => Measure2<LaneSingle512>(LaneSingle512.Atan2, MathF.Atan2, rounded, ya, xa),
        };
        output.WriteLine($"Atan2 ×{lanes}: max {r.vsMathF:F3} ulp from MathF at (y, x) = ({r.atX:R}, {r.atY:R}), {r.vsRounded:F3} ulp from the rounded double, over {xa.Length} points");
        Assert.True(r.vsRounded <= 1, $"Atan2 ×{lanes}: {r.vsRounded} ulp from the rounded double");
        Assert.True(r.vsMathF <= 1, $"Atan2 ×{lanes}: {r.vsMathF} ulp at (y, x) = ({r.atX:R}, {r.atY:R}); MathF = {MathF.Atan2(r.atX, r.atY):R}");
    }

    [Fact]
    public void LaneSingle1_IsMathF_BitForBit()
    {
        foreach (float x in Specials.Concat([0.3f, -1.7f, 12.5f]))
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Tanh(x)), BitConverter.SingleToInt32Bits(LaneSingle1.Tanh(new LaneSingle1(x)).Value));
            Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Pow(x, 1.5f)), BitConverter.SingleToInt32Bits(LaneSingle1.Pow(new LaneSingle1(x), new LaneSingle1(1.5f)).Value));
            Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Atan2(x, -0.5f)), BitConverter.SingleToInt32Bits(LaneSingle1.Atan2(new LaneSingle1(x), new LaneSingle1(-0.5f)).Value));
            Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Exp(x)), BitConverter.SingleToInt32Bits(LaneSingle1.Exp(new LaneSingle1(x)).Value));
        }
    }
}
