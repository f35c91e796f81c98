using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class OdeSolveTests(ITestOutputHelper output)
{
    private const double K = 0.7;
    private static readonly double[] DecayP = [K];

    private static double MaxError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double e = 0;
        for (int i = 0; i < a.Length; i++) e = Math.Max(e, Math.Abs(a[i] - b[i]));
        return e;
    }

    private static double OscillatorError(OdeSolution solution, double omega)
    {
        Span<double> exact = stackalloc double[2];
        OscillatorSystem.Exact(omega, solution.FinalTime, exact);
        return MaxError(solution.FinalState, exact);
    }

    // ---- accuracy against exact solutions ----

    [Fact]
    public void NullMethod_IsRejectedWhereItIsSet()
    {
        // A method looked up by name that is not there (FirstOrDefault) reached every call as a NullReferenceException.
        OdeMethod? missing = OdeMethod.All.FirstOrDefault(m => m.Name == "NoSuchMethod");
        var e = Assert.Throws<ArgumentNullException>(() => new SolverOptions { Method = missing! });
        Assert.Equal("Method", e.ParamName);
    }

    [Fact]
    public void Dopri5_ExponentialDecay_MatchesExact()
    {
        var solution = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 5, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 });
        Assert.Equal(OdeStatus.Success, solution.Status);
        Assert.Null(solution.FailureTime);
        Assert.Equal(2, solution.Count);
        Assert.Equal([0.0, 5.0], solution.Times.ToArray());
        Assert.Equal(1.0, solution.State(0)[0]);
        Assert.Equal(Math.Exp(-K * 5), solution.FinalState[0], 1e-10);
        Assert.Equal(solution.FinalState[0], solution.State(1)[0]);
    }

    [Fact]
    public void Dopri5_HarmonicOscillator_FivePeriods()
    {
        const double omega = 2;
        double t1 = 5 * 2 * Math.PI / omega;
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 }).EnsureSuccess();
        Assert.True(OscillatorError(solution, omega) < 1e-8, $"error {OscillatorError(solution, omega)}");
    }

    [Fact]
    public void RK4_HarmonicOscillator_FivePeriods()
    {
        const double omega = 2;
        double t1 = 5 * 2 * Math.PI / omega;
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = t1 / 2000 };
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, options).EnsureSuccess();
        Assert.Equal(2000, solution.Stats.Steps);
        // f at t0, then per step stages 2–4 and f at the new point (the next step's first stage), except after the last step:
        // nothing reads f at the end, so it is not evaluated.
        Assert.Equal(4L * 2000, solution.Stats.FunctionEvaluations);
        Assert.True(OscillatorError(solution, omega) < 1e-6, $"error {OscillatorError(solution, omega)}");
    }

    [Fact]
    public void RK4_EmpiricalOrderIsFour()
    {
        const double omega = 1;
        double t1 = 3 * 2 * Math.PI;
        var hs = new List<double>();
        var errors = new List<double>();
        foreach (int steps in new[] { 40, 80, 160, 320, 640 })
        {
            var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = t1 / steps };
            var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, options).EnsureSuccess();
            Assert.Equal(steps, solution.Stats.Steps);
            hs.Add(t1 / steps);
            errors.Add(OscillatorError(solution, omega));
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"RK4 empirical order {order:F3}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.InRange(order, 3.8, 4.2);
    }

    [Fact]
    public void Dopri5_GlobalErrorShrinksWithTolerance()
    {
        const double omega = 2;
        double t1 = 5 * 2 * Math.PI / omega;
        double previousError = double.PositiveInfinity;
        int previousSteps = 0;
        foreach (double rtol in new[] { 1e-4, 1e-6, 1e-8, 1e-10, 1e-12 })
        {
            var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, new SolverOptions { RelTol = rtol, AbsTol = rtol * 1e-2 }).EnsureSuccess();
            double error = OscillatorError(solution, omega);
            output.WriteLine($"Dopri5 rtol {rtol:E0}: error {error:E2}, {solution.Stats}");
            Assert.True(error < previousError / 10, $"rtol {rtol}: error {error} did not shrink tenfold from {previousError}");
            Assert.True(solution.Stats.Steps > previousSteps);
            Assert.True(error < 1000 * rtol, $"rtol {rtol}: error {error}");
            previousError = error;
            previousSteps = solution.Stats.Steps;
        }
    }

    // ---- dense output ----

    [Fact]
    public void Dopri5_DenseOutput_AtInteriorPoints()
    {
        const double omega = 2;
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10, Dense = true };
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, 10, options).EnsureSuccess();
        Assert.True(solution.HasDenseOutput);
        Span<double> y = stackalloc double[2], exact = stackalloc double[2];
        double worst = 0;
        for (int i = 0; i <= 997; i++)
        {
            double t = 10.0 * i / 997;
            solution.Interpolate(t, y);
            OscillatorSystem.Exact(omega, t, exact);
            worst = Math.Max(worst, MaxError(y, exact));
        }
        output.WriteLine($"Dopri5 dense output, rtol 1e-8: worst error {worst:E2} over 998 points, {solution.Stats}");
        Assert.True(worst < 1e-6, $"worst dense error {worst}");
        solution.Interpolate(0, y);
        Assert.Equal([1.0, 0.0], y.ToArray());
        solution.Interpolate(10, y);
        Assert.Equal(solution.FinalState.ToArray(), y.ToArray());
    }

    // Dopri5's own continuous extension has degree 4: with y = t⁴ it is exact even across steps of 0.5,
    // where cubic Hermite interpolation would be off by up to h⁴/16 ≈ 4e-3.
    [Fact]
    public void Dopri5_DenseOutput_UsesItsOwnQuarticExtension()
    {
        var options = new SolverOptions { FixedStep = 0.5, Dense = true };
        var solution = Ode.Solve(new MonomialField(4), [0.0], 0, 2, options).EnsureSuccess();
        Assert.Equal(4, solution.Stats.Steps);
        for (double t = 0; t <= 2; t += 0.03125 * 1.5)
            Assert.Equal(Math.Pow(t, 4), solution.Interpolate(t)[0], 1e-12);
    }

    // The coefficients are kept in chunks of whole steps: across many chunks (n = 300 with Dopri5's quartic: 5 steps a chunk;
    // 200 steps) each step's θ = 0 is the state saved at its start, bit for bit.
    [Fact]
    public void DenseOutput_AtEveryStepsStart_IsTheSavedState_AcrossChunks()
    {
        int n = 300;
        var solution = Ode.Solve(new DecoupledDecayField(n), Enumerable.Range(1, n).Select(i => (double)i).ToArray(), 0, 1,
            new SolverOptions { Method = OdeMethod.Dopri5, FixedStep = 5e-3, Dense = true, SaveSteps = true }).EnsureSuccess();
        Assert.Equal(200, solution.Stats.Steps);
        double[] y = new double[n];
        for (int k = 0; k < solution.Times.Length - 1; k++)
        {
            solution.Interpolate(solution.Times[k], y);
            for (int q = 0; q < n; q++)
                Assert.True(BitConverter.DoubleToInt64Bits(solution.State(k)[q]) == BitConverter.DoubleToInt64Bits(y[q]), $"step {k}, y[{q}]");
        }
    }

    // RK4 has no continuous extension; cubic Hermite from the step's end values and slopes is exact for y = t³.
    [Fact]
    public void RK4_DenseOutput_IsCubicHermite()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.5, Dense = true };
        var cubic = Ode.Solve(new MonomialField(3), [0.0], 0, 2, options).EnsureSuccess();
        for (double t = 0; t <= 2; t += 0.046875)
            Assert.Equal(Math.Pow(t, 3), cubic.Interpolate(t)[0], 1e-12);
        // On a smooth non-polynomial solution the interpolant is fourth-order accurate between nodes.
        var oscillator = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [2.0], 0, 3,
            new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01, Dense = true }).EnsureSuccess();
        Span<double> y = stackalloc double[2], exact = stackalloc double[2];
        double worst = 0;
        for (int i = 0; i <= 1000; i++)
        {
            double t = 3.0 * i / 1000 + 0.0013 * (i % 3);
            if (t > 3) continue;
            oscillator.Interpolate(t, y);
            OscillatorSystem.Exact(2, t, exact);
            worst = Math.Max(worst, MaxError(y, exact));
        }
        // RK4's global error here is ≈1.5e-8 (in v = x'); Hermite adds at most h⁴ω⁴/384 ≈ 4e-10 between nodes.
        Assert.True(worst < 2e-8, $"worst Hermite error {worst}");
    }

    [Fact]
    public void Interpolate_WithoutDense_ThrowsInvalidOperation()
    {
        var solution = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 1);
        Assert.False(solution.HasDenseOutput);
        var ex = Assert.Throws<InvalidOperationException>(() => solution.Interpolate(0.5, new double[1]));
        Assert.Contains("Dense = true", ex.Message);
    }

    [Fact]
    public void Interpolate_OutsideSolvedSpan_Throws()
    {
        var solution = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 1, new SolverOptions { Dense = true });
        Assert.Throws<ArgumentOutOfRangeException>(() => solution.Interpolate(1.0001, new double[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => solution.Interpolate(-0.1, new double[1]));
        Assert.Throws<ArgumentException>(() => solution.Interpolate(0.5, new double[2]));
    }

    // ---- what is saved ----

    [Fact]
    public void SaveAt_SavesExactlyThoseTimes_WithoutShorteningSteps()
    {
        double[] saveAt = [0, 0.1, 0.5, 1, 2.5, 2.5000001, 4.9, 5];
        var plain = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 5, new SolverOptions { RelTol = 1e-9, AbsTol = 1e-12 });
        var saved = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 5, new SolverOptions { RelTol = 1e-9, AbsTol = 1e-12, SaveAt = saveAt });
        Assert.Equal(saveAt, saved.Times.ToArray());
        Assert.Equal(saveAt.Length, saved.Count);
        for (int i = 0; i < saveAt.Length; i++)
            Assert.Equal(Math.Exp(-K * saveAt[i]), saved.State(i)[0], 1e-8);
        Assert.Equal(plain.Stats.Steps, saved.Stats.Steps);
        Assert.Equal(plain.Stats.FunctionEvaluations, saved.Stats.FunctionEvaluations);
        Assert.Equal(plain.FinalState[0], saved.State(saveAt.Length - 1)[0]);
    }

    [Fact]
    public void SaveAt_WithoutT0_DoesNotSaveT0()
    {
        var solution = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 2, new SolverOptions { SaveAt = [1.5] });
        Assert.Equal([1.5], solution.Times.ToArray());
        Assert.Equal(Math.Exp(-K * 1.5), solution.State(0)[0], 1e-6);
        Assert.Equal(2.0, solution.FinalTime);
    }

    [Fact]
    public void SaveSteps_SavesT0AndEveryAcceptedStep()
    {
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 10, new SolverOptions { SaveSteps = true, RelTol = 1e-8 });
        Assert.Equal(solution.Stats.Steps + 1, solution.Count);
        Assert.Equal(0.0, solution.Times[0]);
        Assert.Equal(10.0, solution.Times[solution.Count - 1]);
        Span<double> exact = stackalloc double[2];
        for (int i = 1; i < solution.Count; i++)
        {
            Assert.True(solution.Times[i] > solution.Times[i - 1]);
            OscillatorSystem.Exact(1, solution.Times[i], exact);
            Assert.True(MaxError(solution.State(i), exact) < 1e-6);
        }
    }

    [Fact]
    public void State_IndexOutOfRange_Throws()
    {
        var solution = Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => solution.State(2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => solution.State(-1).ToArray());
    }

    [Fact]
    public void EmptyInterval_ReturnsTheInitialState()
    {
        var solution = Ode.Solve(new DecaySystem(), [3.0], DecayP, 2, 2);
        Assert.Equal(OdeStatus.Success, solution.Status);
        Assert.Equal(0, solution.Stats.Steps);
        Assert.Equal(3.0, solution.FinalState[0]);
        Assert.Equal(2.0, solution.FinalTime);
    }

    // ---- backwards ----

    [Theory]
    [InlineData("Dopri5")]
    [InlineData("RK4")]
    public void Backward_IntegratesFromT0DownToT1(string method)
    {
        var options = new SolverOptions
        {
            Method = method == "RK4" ? OdeMethod.RK4 : OdeMethod.Dopri5,
            FixedStep = method == "RK4" ? 0.001 : null,
            RelTol = 1e-10, AbsTol = 1e-12,
            SaveAt = [2, 1.5, 0.25, 0], Dense = true,
        };
        double y2 = Math.Exp(-K * 2);
        var solution = Ode.Solve(new DecaySystem(), [y2], DecayP, 2, 0, options).EnsureSuccess();
        Assert.Equal(0.0, solution.FinalTime);
        Assert.Equal(1.0, solution.FinalState[0], 1e-9);
        Assert.Equal([2, 1.5, 0.25, 0], solution.Times.ToArray());
        for (int i = 0; i < 4; i++) Assert.Equal(Math.Exp(-K * solution.Times[i]), solution.State(i)[0], 1e-9);
        foreach (double t in new[] { 1.99, 1.234567, 0.5, 0.0001 })
            Assert.Equal(Math.Exp(-K * t), solution.Interpolate(t)[0], 1e-9);
        if (method == "RK4") Assert.Equal(2000, solution.Stats.Steps);
    }

    // ---- failures are statuses ----

    [Fact]
    public void NaNFromF_Dopri5_StopsWithNonFiniteValueAtThatTime()
    {
        var solution = Ode.Solve(new NaNAfterField(0.5), [0.0], 0, 1, new SolverOptions { SaveAt = [0, 0.25, 0.45, 0.75, 1] });
        Assert.Equal(OdeStatus.NonFiniteValue, solution.Status);
        Assert.NotNull(solution.FailureTime);
        Assert.True(solution.FailureTime <= 0.5);
        Assert.Equal(0.5, solution.FailureTime!.Value, 1e-6);
        Assert.Equal(solution.FailureTime!.Value, solution.FinalState[0], 1e-9);
        // What was saved before the failure is kept, and nothing after it.
        Assert.Equal([0, 0.25, 0.45], solution.Times.ToArray());
        Assert.Equal(0.45, solution.State(2)[0], 1e-12);
        Assert.Contains("non-finite", solution.Message);
        var ex = Assert.Throws<OdeSolverException>(() => solution.EnsureSuccess());
        Assert.Equal(OdeStatus.NonFiniteValue, ex.Status);
        Assert.Equal(solution.FailureTime!.Value, ex.Time);
        Assert.Equal(solution.Message, ex.Message);
    }

    [Fact]
    public void NaNFromF_RK4_StopsAtTheStartOfTheFailingStep()
    {
        var solution = Ode.Solve(new NaNAfterField(0.55), [0.0], 0, 1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1 });
        Assert.Equal(OdeStatus.NonFiniteValue, solution.Status);
        Assert.Equal(0.5, solution.FailureTime!.Value, 1e-12);
        Assert.Equal(0.5, solution.FinalState[0], 1e-12);
        Assert.Equal([0, solution.FailureTime!.Value], solution.Times.ToArray());
    }

    [Fact]
    public void NaNAtStart_FailsAtT0()
    {
        var solution = Ode.Solve(new NaNAfterField(-1), [0.0], 0, 1);
        Assert.Equal(OdeStatus.NonFiniteValue, solution.Status);
        Assert.Equal(0.0, solution.FailureTime);
    }

    [Fact]
    public void BlowUp_StopsNearTheSingularity()
    {
        var solution = Ode.Solve(new BlowUpSystem(), [1.0], [], 0, 2);
        output.WriteLine($"y' = y²: {solution.Status} at t = {solution.FailureTime:R}, y = {solution.FinalState[0]:E3}, {solution.Stats}");
        Assert.True(solution.Status is OdeStatus.StepSizeTooSmall or OdeStatus.NonFiniteValue, solution.Status.ToString());
        // The numerical solution's own blow-up time differs from 1 by about the tolerance, on either side.
        Assert.Equal(1.0, solution.FailureTime!.Value, 1e-3);
        Assert.True(solution.FinalState[0] > 1e3);
        Assert.Throws<OdeSolverException>(() => solution.EnsureSuccess());
    }

    [Fact]
    public void MaxSteps_StopsWithMaxStepsExceeded()
    {
        var options = new SolverOptions { MaxSteps = 25, SaveSteps = true };
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 1000, options);
        Assert.Equal(OdeStatus.MaxStepsExceeded, solution.Status);
        Assert.Equal(25, solution.Stats.Steps + solution.Stats.RejectedSteps);
        Assert.True(solution.FailureTime > 0 && solution.FailureTime < 1000);
        Assert.Equal(solution.FailureTime!.Value, solution.Times[solution.Count - 1]);
        Assert.Equal(solution.Stats.Steps + 1, solution.Count);
        Assert.Contains("MaxSteps", solution.Message);
        Assert.Equal(OdeStatus.MaxStepsExceeded, Assert.Throws<OdeSolverException>(() => solution.EnsureSuccess()).Status);
    }

    // ---- bad input ----

    [Fact]
    public void WrongSizes_ThrowNamingTheExpectedSize()
    {
        var y0 = Assert.Throws<ArgumentException>(() => Ode.Solve(new OscillatorSystem(), [1.0], [1.0], 0, 1));
        Assert.Equal("y0", y0.ParamName);
        Assert.Contains("length 2", y0.Message);
        Assert.Contains("StateCount", y0.Message);
        var p = Assert.Throws<ArgumentException>(() => Ode.Solve(new HandLorenz(), [1.0, 1, 1], [10.0, 28], 0, 1));
        Assert.Equal("p", p.ParamName);
        Assert.Contains("length 3", p.Message);
        Assert.Contains("ParameterCount", p.Message);
        var field = Assert.Throws<ArgumentException>(() => Ode.Solve(new LorenzField(), [1.0, 2.0], 0, 1));
        Assert.Contains("length 3", field.Message);
    }

    [Theory]
    [InlineData(double.NaN, 1.0, "y0")]
    [InlineData(double.PositiveInfinity, 1.0, "y0")]
    [InlineData(1.0, double.NaN, "p")]
    [InlineData(1.0, double.NegativeInfinity, "p")]
    public void NonFiniteInputs_Throw(double y, double k, string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => Ode.Solve(new DecaySystem(), [y], [k], 0, 1));
        Assert.Equal(name, ex.ParamName);
        Assert.Contains("finite", ex.Message);
    }

    [Theory]
    [InlineData(double.NaN, 1.0, "t0")]
    [InlineData(0.0, double.PositiveInfinity, "t1")]
    public void NonFiniteTimes_Throw(double t0, double t1, string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => Ode.Solve(new DecaySystem(), [1.0], DecayP, t0, t1));
        Assert.Equal(name, ex.ParamName);
    }

    [Theory]
    [InlineData(0.0, 1.0, new[] { 0.5, 1.5 }, "outside")]
    [InlineData(0.0, 1.0, new[] { -0.5 }, "outside")]
    [InlineData(0.0, 1.0, new[] { 0.5, 0.25 }, "monotone")]
    [InlineData(1.0, 0.0, new[] { 0.25, 0.5 }, "monotone")]
    [InlineData(1.0, 0.0, new[] { 0.5, double.NaN }, "finite")]
    public void BadSaveAt_Throws(double t0, double t1, double[] saveAt, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Ode.Solve(new DecaySystem(), [1.0], DecayP, t0, t1, new SolverOptions { SaveAt = saveAt }));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void AdaptiveMethodlessFixedStep_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 1, new SolverOptions { Method = OdeMethod.RK4 }));
        Assert.Contains("FixedStep", ex.Message);
        Assert.Throws<ArgumentException>(() => Ode.Solve(new DecaySystem(), [1.0], DecayP, 0, 1, new SolverOptions { RelTol = -1 }));
    }
}
