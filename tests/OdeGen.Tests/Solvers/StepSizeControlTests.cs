using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// <see cref="SolverOptions.Controller"/>: the integral controller is torchdiffeq's and SciPy's (h·safety·err^(−1/q), no
/// memory of the previous error); the proportional–integral default is unchanged.
/// </summary>
public class StepSizeControlTests
{
    [Fact]
    public void Integral_IsSafetyTimesErrorToTheMinusOneOverQ_WithoutMemory()
    {
        var c = new StepSizeController(new SolverOptions { Controller = StepSizeControl.Integral }, 5.0);
        Assert.True(c.Decide(0.5, 1.0, out double h1));
        Assert.Equal(0.9 * Math.Pow(0.5, -0.2), h1, 1e-15);
        // The same error gives the same factor again: the previous error does not enter.
        Assert.True(c.Decide(0.5, 1.0, out double h2));
        Assert.Equal(h1, h2);
        // A rejection shrinks by safety·err^(−1/q) and the next accepted step may not grow.
        Assert.False(c.Decide(32.0, 1.0, out double shrunk));
        Assert.Equal(0.9 * Math.Pow(32.0, -0.2), shrunk, 1e-15);
        Assert.True(c.Decide(1e-3, 1.0, out double afterRejection));
        Assert.Equal(1.0, afterRejection);
        // Clamped to MaxFactor (10) once the error is small.
        Assert.True(c.Decide(1e-9, 1.0, out double grown));
        Assert.Equal(10.0, grown);
    }

    [Fact]
    public void ProportionalIntegral_DefaultIsUnchanged()
    {
        Assert.Equal(StepSizeControl.ProportionalIntegral, SolverOptions.Default.Controller);
        var c = new StepSizeController(SolverOptions.Default, 5.0);
        Assert.True(c.Decide(0.5, 1.0, out double h1));
        // Hairer's start: the previous error is taken as 1e-4.
        Assert.Equal(0.9 * Math.Pow(0.5, -0.7 / 5) * Math.Pow(1e-4, 0.4 / 5), h1, 1e-15);
        Assert.True(c.Decide(0.5, 1.0, out double h2));
        Assert.Equal(0.9 * Math.Pow(0.5, -0.7 / 5) * Math.Pow(0.5, 0.4 / 5), h2, 1e-15);
    }

    [Fact]
    public void Dopri5WithIntegralControl_TakesTheStepsOfAHandWrittenTorchdiffeqLoop()
    {
        const double rtol = 1e-6, atol = 1e-8, h0 = 0.01, t1 = 10;
        double[] y0 = [1.0, 0.0], p = [2.0];
        OdeSolution s = Ode.Solve(new OscillatorSystem(), y0, p, 0, t1, new SolverOptions
        {
            RelTol = rtol, AbsTol = atol, InitialStep = h0, SaveSteps = true, Controller = StepSizeControl.Integral,
        }).EnsureSuccess();
        List<double> expected = HandWrittenDopri5(y0, p[0], t1, rtol, atol, h0, out int rejected);

        Assert.Equal(expected.Count, s.Times.Length);
        // The error estimate is a difference of nearly equal sums, so its rounding (1e-8 relative here) differs with the
        // order of the additions; through err^(−1/5) the step sizes agree to about 1e-9, where PI control differs by tens of percent.
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], s.Times[i], 1e-7 * t1);
        Assert.Equal(rejected, s.Stats.RejectedSteps);
        OdeSolution pi = Ode.Solve(new OscillatorSystem(), y0, p, 0, t1, new SolverOptions { RelTol = rtol, AbsTol = atol, InitialStep = h0 });
        Assert.NotEqual(pi.Stats.Steps, s.Stats.Steps);
    }

    [Fact]
    public void HoldBand_KeepsTheStepInTheBand_AndDecidesAsDecideElsewhere()
    {
        var options = new SolverOptions { Controller = StepSizeControl.Integral, HoldBand = 0.5 };
        var c = new StepSizeController(options, 5.0);
        var lanes = new StepSizeController(options, 5.0);
        // In [0.5, 1]: accepted, the same size; below the band the integral factor, above 1 a rejection; the per-lane entry
        // (powers given) agrees.
        foreach ((double error, bool accepted, double next) in new[] { (0.5, true, 1.0), (1.0, true, 1.0), (0.75, true, 1.0),
            (0.25, true, 0.9 * Math.Pow(0.25, -0.2)), (2.0, false, 0.9 * Math.Pow(2.0, -0.2)), (0.6, true, 1.0), (double.NaN, false, 0.2) })
        {
            Assert.Equal(accepted, c.Decide(error, 1.0, out double h));
            Assert.Equal(next, h, 1e-15);
            double power = StepSizeController.Pow(StepSizeController.PowerArgument(error), -lanes.Alpha);
            Assert.Equal(accepted, lanes.Decide(error, 1.0, power, 1.0, out double hLanes));
            Assert.Equal(h, hLanes);
            Assert.Equal(c.LastWasNonFinite, lanes.LastWasNonFinite);
        }
        // With the powers given, a step in the band ignores them.
        Assert.True(lanes.Decide(0.7, 2.0, errorPower: 123.0, previousPower: 1.0, out double held));
        Assert.Equal(2.0, held);
    }

    [Fact]
    public void HoldBand_HoldsTheStepsOfASolve_AndIsOptIn()
    {
        // A band from 1e-12: after the first step no accepted step changes size; only rejections shrink it.
        double[] y0 = [1.0, 0.0], p = [2.0];
        OdeSolution held = Ode.Solve(new OscillatorSystem(), y0, p, 0, 1, new SolverOptions { InitialStep = 0.01, HoldBand = 1e-12, SaveSteps = true }).EnsureSuccess();
        Assert.Equal(0, held.Stats.RejectedSteps);
        for (int i = 1; i < held.Times.Length; i++) Assert.Equal(0.01, held.Times[i] - held.Times[i - 1], 1e-12);
        // Off by default: the same solve without it grows its steps.
        OdeSolution free = Ode.Solve(new OscillatorSystem(), y0, p, 0, 1, new SolverOptions { InitialStep = 0.01, SaveSteps = true }).EnsureSuccess();
        Assert.True(free.Times.Length < held.Times.Length);
        Assert.Null(SolverOptions.Default.HoldBand);
    }

    /// <summary>
    /// RegisterSteps decides from the error norm's accumulator (<see cref="StepSizeController.DecideAccumulated"/>), testing
    /// the hold band on it before the norm's division and root. That must be the decision and the bits of
    /// <see cref="StepSizeController.Decide(double, double, out double)"/> on the finished norm for every accumulator, above
    /// all the few doubles at the band's two ends, for every component count, band, norm and controller.
    /// </summary>
    [Theory]
    [InlineData(ErrorNorm.Rms, StepSizeControl.Integral)]
    [InlineData(ErrorNorm.Rms, StepSizeControl.ProportionalIntegral)]
    [InlineData(ErrorNorm.Max, StepSizeControl.Integral)]
    [InlineData(ErrorNorm.Max, StepSizeControl.ProportionalIntegral)]
    public void DecideAccumulated_IsDecideOfTheFinishedNorm_BitForBit_AtTheBandsEnds(ErrorNorm norm, StepSizeControl control)
    {
        var random = new Random(20261207);
        int held = 0, compared = 0;
        foreach (double? band in new double?[] { null, 0.5, 0.3, 1.0, 0.1 + 1e-17, 1.0 / 3, random.NextDouble() })
        {
            var options = new SolverOptions { Norm = norm, Controller = control, HoldBand = band };
            foreach (int n in new[] { 0, 1, 2, 3, 5, 7, 10, 49, 1000, 123457 })
            {
                var accumulated = new StepSizeController(options, 5.0);
                accumulated.AccumulateOver(n, norm);
                var finished = new StepSizeController(options, 5.0);
                foreach (double x in Accumulators(n, band ?? 0.5, norm, random))
                {
                    double h = 0.5 + random.NextDouble();
                    bool a = accumulated.DecideAccumulated(x, h, out double hA);
                    bool f = finished.Decide(StepControl.Finish(x, n, norm), h, out double hF);
                    Assert.True(a == f && hA.Equals(hF) && accumulated.LastWasNonFinite == finished.LastWasNonFinite
                        && accumulated.PreviousError.Equals(finished.PreviousError),
                        $"n = {n}, band {band}, accumulator {x:R}: {a}/{hA:R} against {f}/{hF:R}");
                    compared++;
                    if (a && hA == h && band is not null) held++;
                }
            }
        }
        Assert.True(held > 1000, $"only {held} of {compared} decisions held the step: the band's ends were not reached");
    }

    // Accumulators at and around both ends of the band (± a few doubles from b²·n and n, or b and 1 for the max norm),
    // random ones over many decades, 0, the extremes, ∞ and NaN.
    private static IEnumerable<double> Accumulators(int n, double band, ErrorNorm norm, Random random)
    {
        double scale = norm == ErrorNorm.Max ? 1 : Math.Max(n, 1);
        double power = norm == ErrorNorm.Max ? 1 : 2;
        foreach (double end in new[] { Math.Pow(band, power) * scale, scale })
        {
            double x = end;
            for (int i = 0; i < 8; i++) x = Math.BitDecrement(x);
            for (int i = 0; i < 17; i++, x = Math.BitIncrement(x)) yield return x;
        }
        for (int i = 0; i < 200; i++) yield return scale * Math.Pow(10, 8 * random.NextDouble() - 6);
        foreach (double x in new[] { 0.0, double.Epsilon, double.MaxValue, double.PositiveInfinity, double.NaN }) yield return x;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void HoldBand_OutsideZeroToOne_IsRejected(double band)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [2.0], 0, 1, new SolverOptions { HoldBand = band }));
        Assert.Contains("HoldBand", e.Message);
    }

    [Fact]
    public void UndefinedController_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [2.0], 0, 1, new SolverOptions { Controller = (StepSizeControl)7 }));
        Assert.Contains("Controller", e.Message);
    }

    [Fact]
    public void UndefinedNorm_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [2.0], 0, 1, new SolverOptions { Norm = (ErrorNorm)7 }));
        Assert.Contains("Norm", e.Message);
    }

    // Dormand–Prince 5(4) with the integral controller, written out as torchdiffeq's RK loop does it (the tableau is the
    // published one): RMS of err / (atol + rtol·max(|y0|, |y1|)), factor 0.9·err^(−1/5) in [0.2, 10], no growth right
    // after a rejection. Returns the accepted times, t0 first.
    private static List<double> HandWrittenDopri5(double[] y0, double omega, double t1, double rtol, double atol, double h, out int rejected)
    {
        double[][] a =
        [
            [], [1 / 5.0], [3 / 40.0, 9 / 40.0], [44 / 45.0, -56 / 15.0, 32 / 9.0],
            [19372 / 6561.0, -25360 / 2187.0, 64448 / 6561.0, -212 / 729.0],
            [9017 / 3168.0, -355 / 33.0, 46732 / 5247.0, 49 / 176.0, -5103 / 18656.0],
            [35 / 384.0, 0, 500 / 1113.0, 125 / 192.0, -2187 / 6784.0, 11 / 84.0],
        ];
        double[] b5 = [35 / 384.0, 0, 500 / 1113.0, 125 / 192.0, -2187 / 6784.0, 11 / 84.0, 0];
        double[] b4 = [5179 / 57600.0, 0, 7571 / 16695.0, 393 / 640.0, -92097 / 339200.0, 187 / 2100.0, 1 / 40.0];
        double[] F(double[] y) => [y[1], -omega * omega * y[0]];
        double t = 0;
        double[] y = (double[])y0.Clone();
        var times = new List<double> { t };
        bool lastRejected = false;
        rejected = 0;
        while (t < t1)
        {
            h = Math.Min(h, t1 - t);
            var k = new double[7][];
            k[0] = F(y);
            for (int i = 1; i < 7; i++)
            {
                double[] yi = (double[])y.Clone();
                for (int j = 0; j < i; j++)
                    for (int q = 0; q < 2; q++) yi[q] += h * a[i][j] * k[j][q];
                k[i] = F(yi);
            }

            double[] yNew = new double[2];
            double sum = 0;
            for (int q = 0; q < 2; q++)
            {
                double err = 0;
                yNew[q] = y[q];
                for (int j = 0; j < 7; j++)
                {
                    yNew[q] += h * b5[j] * k[j][q];
                    err += h * (b5[j] - b4[j]) * k[j][q];
                }

                double e = err / (atol + rtol * Math.Max(Math.Abs(y[q]), Math.Abs(yNew[q])));
                sum += e * e;
            }

            double ratio = Math.Sqrt(sum / 2);
            double factor = Math.Clamp(0.9 * Math.Pow(ratio, -0.2), 0.2, 10.0);
            if (ratio <= 1)
            {
                (t, y) = (t + h, yNew);
                times.Add(t);
                if (lastRejected) factor = Math.Min(factor, 1.0);
                lastRejected = false;
            }
            else
            {
                rejected++;
                lastRejected = true;
            }

            h *= factor;
        }

        return times;
    }
}
