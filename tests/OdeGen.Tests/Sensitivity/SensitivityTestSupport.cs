using System.Text.Json;
using OdeGen.Solvers;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>Plain solves, finite differences, comparisons and the shared reference values.</summary>
internal static class SensitivityTestSupport
{
    public static readonly double[] LorenzY0 = [1.0, 1.0, 1.0];
    public static readonly double[] LorenzP = [10.0, 28.0, 8.0 / 3.0];

    /// <summary>y at each of <paramref name="times"/>, solving from (t0, y0) and restarting at each time (as the gradients do).</summary>
    public static double[] SolveAt<TSystem>(in TSystem system, ReadOnlySpan<double> y0, double[] p, double t0,
        ReadOnlySpan<double> times, SolverOptions options) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount;
        var integrator = new RungeKuttaIntegrator<SystemField<TSystem>>(n, options);
        var field = new SystemField<TSystem>(system, p);
        var result = new double[times.Length * n];
        double[] current = y0.ToArray();
        double tPrev = t0;
        for (int i = 0; i < times.Length; i++)
        {
            if (times[i] != tPrev)
            {
                integrator.Reset(field, current, tPrev, times[i]);
                Assert.Equal(OdeStatus.Success, integrator.Run());
                current = integrator.State.ToArray();
                tPrev = times[i];
            }
            current.CopyTo(result.AsSpan(i * n, n));
        }
        return result;
    }

    /// <summary>The linear loss L = Σ_i dLdy_i · y(times[i]).</summary>
    public static double Loss<TSystem>(in TSystem system, ReadOnlySpan<double> y0, double[] p, double t0,
        ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, SolverOptions options) where TSystem : struct, IOdeSystem
    {
        double[] ys = SolveAt(system, y0, p, t0, times, options);
        double sum = 0;
        for (int i = 0; i < ys.Length; i++) sum += dLdy[i] * ys[i];
        return sum;
    }

    /// <summary>Central difference of <paramref name="g"/> at x in direction e_k with step h·max(1, |x_k|).</summary>
    public static double Central(Func<double[], double> g, double[] x, int k, double h)
    {
        double step = h * Math.Max(1.0, Math.Abs(x[k]));
        double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
        plus[k] += step;
        minus[k] -= step;
        return (g(plus) - g(minus)) / (plus[k] - minus[k]);
    }

    public static double[] CentralGradient(Func<double[], double> g, double[] x, double h)
    {
        var result = new double[x.Length];
        for (int k = 0; k < x.Length; k++) result[k] = Central(g, x, k, h);
        return result;
    }

    /// <summary>Asserts |actual − expected| ≤ rel·|expected| component by component, naming the first offender.</summary>
    public static void AssertRelative(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) AssertRelative(expected[i], actual[i], rel, $"{what}[{i}]");
    }

    /// <summary>
    /// Normwise: ‖actual − expected‖∞ ≤ rel·‖expected‖∞. Used for the back-solve adjoint, whose error is one
    /// vector-valued perturbation (the state error amplified by integrating backwards) spread over all
    /// components, so the smallest component of a gradient carries the largest relative error.
    /// </summary>
    public static void AssertNormwise(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double err = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsFinite(actual[i]), $"{what}[{i}] is {actual[i]}.");
            err = Math.Max(err, Math.Abs(actual[i] - expected[i]));
            norm = Math.Max(norm, Math.Abs(expected[i]));
        }
        Assert.True(err <= rel * norm,
            $"{what}: expected {Format(expected)}, got {Format(actual)} (normwise relative error {err / norm:E2}, allowed {rel:E0}).");
    }

    public static void AssertRelative(double expected, double actual, double rel, string what)
    {
        double err = Math.Abs(actual - expected);
        Assert.True(double.IsFinite(actual) && err <= rel * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (relative error {err / Math.Abs(expected):E2}, allowed {rel:E0}).");
    }

    public static string Format(ReadOnlySpan<double> v) => "[" + string.Join(", ", v.ToArray().Select(x => x.ToString("R"))) + "]";

    /// <summary>One block ("T=1", "T=10") of tests/reference/lorenz_gradients.json.</summary>
    public sealed record LorenzReference(double[] YT, double[] DLdy0, double[] DLdp, double DLdT);

    public static LorenzReference LoadLorenzReference(string block)
    {
        string path = FindReferenceFile("lorenz_gradients.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement e = doc.RootElement.GetProperty(block);
        static double[] Arr(JsonElement x) => x.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new LorenzReference(Arr(e.GetProperty("yT")), Arr(e.GetProperty("dLdy0")), Arr(e.GetProperty("dLdp")), e.GetProperty("dLdT").GetDouble());
    }

    /// <summary>
    /// The reference values kept in the repository (tests/reference/, whose README says where each came from),
    /// copied by the build into the test binaries' folder.
    /// </summary>
    public static string FindReferenceFile(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "reference", name);
        Assert.True(File.Exists(path), $"Reference file missing: {path}. tests/reference/{name} is copied there by the build (OdeGen.Tests.csproj).");
        return path;
    }
}
