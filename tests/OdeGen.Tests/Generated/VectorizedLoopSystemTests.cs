using System.Runtime.Intrinsics;
using Xunit.Abstractions;

namespace OdeGen.Tests.Generated;

/// <summary>
/// The MLP generated with VectorizeLoops during this build against the same MLP without it: the same
/// Evaluate, Jvp and Vjp to 1e-13 of the largest output, the same solution and gradient, no allocation.
/// LaneWidthChildProcessTests re-runs this class with AVX-512 and with AVX2 switched off, so the Vector256 and
/// Vector128 branches of the width dispatch run too (here, the widest the machine has).
/// </summary>
public class VectorizedLoopSystemTests(ITestOutputHelper output)
{
    private static readonly VectorizedMlp.RhsSystem Vectorized = new();
    private static readonly LaneMlp.RhsSystem Scalar = new();

    [Fact]
    public void EvaluateJvpVjp_EqualTheScalarMethods_UpToRounding()
    {
        // The branch the generated dispatch takes (the first accelerated width), for the child runs to check.
        string width = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        output.WriteLine("vectorized loops at " + width);
        var random = new Random(5);
        for (int sample = 0; sample < 20; sample++)
        {
            double t = random.NextDouble(), tDot = random.NextDouble();
            double[] y = Vector(random, 2, 2), p = Vector(random, 252, 1), yDot = Vector(random, 2, 1), pDot = Vector(random, 252, 1), a = Vector(random, 2, 1);

            double[] f = new double[2], g = new double[2];
            Vectorized.Evaluate(t, y, p, f);
            Scalar.Evaluate(t, y, p, g);
            AssertNear(g, f, "Evaluate");

            double[] fDot = new double[2], gDot = new double[2];
            Vectorized.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);
            Scalar.Jvp(t, y, p, tDot, yDot, pDot, g, gDot);
            AssertNear(g, f, "Jvp f");
            AssertNear(gDot, fDot, "Jvp");

            double[] yBar = new double[2], pBar = new double[252], yBar2 = new double[2], pBar2 = new double[252];
            Assert.Equal(Scalar.Vjp(t, y, p, a, yBar2, pBar2), Vectorized.Vjp(t, y, p, a, yBar, pBar));
            AssertNear(yBar2, yBar, "Vjp yBar");
            AssertNear(pBar2, pBar, "Vjp pBar");
        }

        if (Environment.GetEnvironmentVariable("ODEGEN_VECTOR_LOOP_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllText(path, "vectorized loops at " + width);
        }
    }

    [Fact]
    public void SolutionAndGradient_EqualTheScalarSystems()
    {
        var random = new Random(6);
        double[] y0 = [0.5, -0.3], p = Vector(random, 252, 0.5);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12 };
        OdeSolution v = Ode.Solve(Vectorized, y0, p, 0, 2, options), s = Ode.Solve(Scalar, y0, p, 0, 2, options);
        Assert.Equal(OdeStatus.Success, v.Status);
        AssertNear(s.FinalState.ToArray(), v.FinalState.ToArray(), "final state", 1e-9);

        OdeGradient gv = Ode.Gradient(Vectorized, y0, p, 0, [2.0], [1.0, -1.0], Sensitivity.DiscreteAdjoint, options);
        OdeGradient gs = Ode.Gradient(Scalar, y0, p, 0, [2.0], [1.0, -1.0], Sensitivity.DiscreteAdjoint, options);
        AssertNear(gs.Parameters.ToArray(), gv.Parameters.ToArray(), "dL/dθ", 1e-8);
        AssertNear(gs.Y0.ToArray(), gv.Y0.ToArray(), "dL/dy0", 1e-8);
    }

    [Fact]
    public void VectorizedMethods_AllocateNothing_AfterWarmUp()
    {
        double[] y = [0.2, 0.4], p = Vector(new Random(7), 252, 1), f = new double[2], fDot = new double[2], a = [1.0, 0.5], yBar = new double[2], pBar = new double[252];
        void Calls()
        {
            for (int k = 0; k < 100; k++)
            {
                Vectorized.Evaluate(0.1, y, p, f);
                Vectorized.Jvp(0.1, y, p, 1, y, p, f, fDot);
                Vectorized.Vjp(0.1, y, p, a, yBar, pBar);
            }
        }

        Calls();
        Assert.Equal(0, Allocations.Least(Calls));
    }

    private static double[] Vector(Random random, int length, double scale) =>
        Enumerable.Range(0, length).Select(_ => scale * ((2 * random.NextDouble()) - 1)).ToArray();

    /// <summary>Every element within <paramref name="relative"/> of the largest magnitude of <paramref name="expected"/>.</summary>
    private static void AssertNear(double[] expected, double[] actual, string what, double relative = 1e-13)
    {
        double scale = expected.Max(Math.Abs) + 1e-300;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
