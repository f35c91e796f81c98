using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Sensitivities;

/// <summary>Derivatives through events: terminal events, resets (the bouncing ball) and what is refused.</summary>
public class EventGradientTests(ITestOutputHelper output)
{
    private const double H = 2.0, G = 9.81, E = 0.8;
    private static readonly SolverOptions Tight = new() { RelTol = 1e-11, AbsTol = 1e-13 };

    private static SolverOptions BallOptions(bool apex = false) => new()
    {
        RelTol = 1e-11,
        AbsTol = 1e-13,
        Events = apex ? [BouncingBall.Ground(), OdeEvent.StateCrossing(1, 0.0, EventDirection.Falling)] : [BouncingBall.Ground()],
    };

    private static double RelativeError(double actual, double expected) =>
        Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-3);

    [Fact]
    public void BouncingBall_ForwardSensitivities_BounceTimesAndApexes_MatchClosedFormDerivatives()
    {
        const int bounces = 4;
        double tEnd = BouncingBall.ImpactTime(bounces, H, G, E) + 0.05;
        var s = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, tEnd, BallOptions(apex: true));
        Assert.Equal(OdeStatus.Success, s.Status);
        var impacts = s.EventSensitivities.Where(x => x.Occurrence.EventIndex == 0).ToArray();
        var apexes = s.EventSensitivities.Where(x => x.Occurrence.EventIndex == 1).ToArray();
        Assert.Equal(bounces, impacts.Length);
        Assert.Equal(bounces - 1, apexes.Length);
        double worstTime = 0, worstApex = 0;
        for (int k = 1; k <= bounces; k++)
        {
            var (t, dt) = BouncingBallClosedForm.Impact(k, H, G, E);
            var x = impacts[k - 1];
            Assert.Equal(t, x.Occurrence.Time, 9);
            double[] actual = [x.DtDy0[0], x.DtDp[0], x.DtDp[1]];
            for (int q = 0; q < 3; q++) worstTime = Math.Max(worstTime, RelativeError(actual[q], dt[q]));
        }
        for (int k = 1; k < bounces; k++)
        {
            var (a, da) = BouncingBallClosedForm.Apex(k, H, G, E);
            var x = apexes[k - 1];
            Assert.Equal(a, x.Occurrence.State[0], 8);
            // d(apex height) = d y_0 along the event: row 0 of DyDy0 (column H) and of DyDp (columns g, e).
            double[] actual = [x.DyDy0[0], x.DyDp[0], x.DyDp[1]];
            for (int q = 0; q < 3; q++) worstApex = Math.Max(worstApex, Math.Abs(actual[q] - da[q]) / Math.Max(Math.Abs(da[q]), 1));
        }
        output.WriteLine($"forward: max relative error of dT_k/d(H, g, e) {worstTime:E2}, of dA_k/d(H, g, e) {worstApex:E2}");
        Assert.True(worstTime < 1e-7, $"impact-time derivatives: {worstTime:E2}");
        Assert.True(worstApex < 1e-7, $"apex derivatives: {worstApex:E2}");
    }

    [Fact]
    public void BouncingBall_ForwardSensitivities_StateAfterBounces_MatchClosedFormAndFiniteDifferences()
    {
        const int k = 3;
        double t = BouncingBall.ImpactTime(k, H, G, E) + 0.3;
        var s = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, t, BallOptions());
        Assert.Equal(OdeStatus.Success, s.Status);
        var (y, dy) = BouncingBallClosedForm.State(t, k, H, G, E);
        double worstExact = 0, worstFd = 0;
        double[] fd = FiniteDifferenceOfSolve(t);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(y[i], s.State[i], 8);
            double[] actual = [s.DyDy0[i * 2], s.DyDp[i * 2], s.DyDp[i * 2 + 1]];
            for (int q = 0; q < 3; q++)
            {
                worstExact = Math.Max(worstExact, RelativeError(actual[q], dy[i][q]));
                worstFd = Math.Max(worstFd, RelativeError(actual[q], fd[i * 3 + q]));
            }
        }
        output.WriteLine($"forward, state after {k} bounces: max relative error vs closed form {worstExact:E2}, vs central differences of Ode.Solve {worstFd:E2}");
        Assert.True(worstExact < 1e-7, $"vs closed form {worstExact:E2}");
        Assert.True(worstFd < 1e-5, $"vs finite differences {worstFd:E2}");
    }

    // ∂y(t)/∂(H, g, e) by central differences of Ode.Solve, row i = component.
    private static double[] FiniteDifferenceOfSolve(double t)
    {
        var result = new double[6];
        for (int q = 0; q < 3; q++)
        {
            double[] plus = Solve(q, +1), minus = Solve(q, -1);
            for (int i = 0; i < 2; i++) result[i * 3 + q] = (plus[i] - minus[i]) / (2 * 1e-6);
        }
        return result;

        double[] Solve(int q, int sign)
        {
            double[] x = [H, G, E];
            x[q] += sign * 1e-6;
            return Ode.Solve(new BouncingBall(), [x[0], 0.0], [x[1], x[2]], 0, t, BallOptions()).EnsureSuccess().FinalState.ToArray();
        }
    }
}
