using OdeGen.Implicit;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Implicit;

/// <summary>The implicit layer refuses input and use it cannot serve: found by probing the public API with bad input.</summary>
public class ImplicitBadInputTests
{
    /// <summary>z ↦ θ·cos(z), whose first Evaluate can be held at a gate, so that a second call can be made while a first is inside.</summary>
    private readonly struct GatedCosine(EvaluationGate? gate) : IDifferentiableFunction
    {
        public int InputCount => 1;
        public int ParameterCount => 1;
        public int OutputCount => 1;

        public void Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
        {
            gate?.Pass();
            y[0] = p[0] * Math.Cos(x[0]);
        }

        public void Jvp(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> xDot, ReadOnlySpan<double> pDot, Span<double> y, Span<double> yDot)
        {
            y[0] = p[0] * Math.Cos(x[0]);
            yDot[0] = -p[0] * Math.Sin(x[0]) * xDot[0] + Math.Cos(x[0]) * pDot[0];
        }

        public void Vjp(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> pBar)
        {
            xBar[0] += -p[0] * Math.Sin(x[0]) * yBar[0];
            pBar[0] += Math.Cos(x[0]) * yBar[0];
        }
    }

    // The layer's calls share its buffers (the copied x and θ, the searches' histories): two threads in one layer mixed each
    // other's inputs into their fixed points or threw ArgumentOutOfRangeException from inside the search.
    [Fact]
    public void SecondCallWhileOneRuns_IsRefusedByName_AndTheFirstIsUnharmed()
    {
        using var gate = new EvaluationGate();
        var layer = new FixedPointLayer<GatedCosine>(new GatedCosine(gate));
        double[] first = [0.0];
        Exception? firstError = null;
        var thread = new Thread(() =>
        {
            try { layer.Forward([], [1.0], first); }
            catch (Exception e) { firstError = e; }
        });
        thread.Start();
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(60)));

        double[] second = [0.0];
        Exception? refused = Record.Exception(() => layer.Forward([], [0.5], second));
        Exception? refusedBackward = Record.Exception(() => layer.Backward([], [0.5], [0.5], [1.0], [], new double[1]));
        gate.Open.Set();
        Assert.Contains("one call at a time", Assert.IsType<InvalidOperationException>(refused).Message);
        Assert.IsType<InvalidOperationException>(refusedBackward);

        Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
        Assert.Null(firstError);
        Assert.Equal(0.7390851332151607, first[0], 1e-7);   // the Dottie number, cos z = z

        // Once the first call is out, the layer serves the next.
        double[] third = [0.0];
        layer.Forward([], [1.0], third);
        Assert.Equal(first[0], third[0], 1e-12);
    }

    // θ was not checked: Forward reported a NaN θ as a search that diverged ("make the cell contractive"), and Backward returned
    // NaN gradients without a word.
    [Fact]
    public void NonFiniteTheta_IsAnArgumentErrorNamingP()
    {
        var layer = new FixedPointLayer<GatedCosine>(new GatedCosine(null), new FixedPointOptions { ThrowOnFailure = false });
        double[] z = [0.0];
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => layer.Forward([], [double.NaN], z)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => layer.Backward([], [double.PositiveInfinity], [0.5], [1.0], [], new double[1])).ParamName);
    }

    // Backward differentiated wherever it was asked to: at a point Forward had not converged to, or with a θ changed since the
    // forward pass, the implicit function theorem's u and gradient were computed at a point that is no fixed point and reported
    // Converged.
    [Theory]
    [InlineData(ImplicitBackward.Gmres)]
    [InlineData(ImplicitBackward.Anderson)]
    [InlineData(ImplicitBackward.Iteration)]
    [InlineData(ImplicitBackward.Phantom)]
    public void Backward_AtAPointThatIsNoFixedPoint_IsRefusedByName(ImplicitBackward backward)
    {
        var layer = new FixedPointLayer<GatedCosine>(new GatedCosine(null), new FixedPointOptions { Backward = backward });
        double[] z = [0.0];
        layer.Forward([], [1.0], z);

        // At the fixed point of the same θ the pass runs and says how close z* is, by the forward pass's own measure.
        double[] pBar = new double[1];
        ImplicitBackwardReport report = layer.Backward([], [1.0], z, [1.0], [], pBar);
        Assert.True(report.IsConverged, report.ToString());
        Assert.InRange(report.PointResidual, 0, layer.Options.Tolerance);

        // θ changed since the forward pass, or a point that is not z*: refused, and nothing is accumulated.
        double[] untouched = [7.0];
        var changed = Assert.Throws<ArgumentException>(() => layer.Backward([], [0.9], z, [1.0], [], untouched));
        Assert.Equal("zStar", changed.ParamName);
        Assert.Contains("not a fixed point", changed.Message, StringComparison.Ordinal);
        Assert.Equal("zStar", Assert.Throws<ArgumentException>(() => layer.Backward([], [1.0], [z[0] + 1e-3], [1.0], [], untouched)).ParamName);
        Assert.Equal(7.0, untouched[0]);
    }

    // With ThrowOnFailure = false a Forward that ran out of iterations left its best iterate, and Backward at it reported
    // Converged. Now the status says the point is no fixed point, with the residual Forward reported for that same point;
    // the gradient there is still accumulated (training through an inexact forward pass), finite.
    [Theory]
    [InlineData(ImplicitBackward.Gmres, ResidualCriterion.Relative)]
    [InlineData(ImplicitBackward.Iteration, ResidualCriterion.Absolute)]
    [InlineData(ImplicitBackward.Phantom, ResidualCriterion.Relative)]
    public void Backward_AfterAForwardThatDidNotConverge_IsNotASolution(ImplicitBackward backward, ResidualCriterion criterion)
    {
        var layer = new FixedPointLayer<GatedCosine>(new GatedCosine(null),
            new FixedPointOptions { Backward = backward, Criterion = criterion, MaxIterations = 3, Fallbacks = [], ThrowOnFailure = false });
        double[] z = [0.0], pBar = new double[1];
        FixedPointReport forward = layer.Forward([], [1.0], z);
        Assert.Equal(FixedPointStatus.NotConverged, forward.Status);
        ImplicitBackwardReport report = layer.Backward([], [1.0], z, [1.0], [], pBar);
        Assert.Equal(FixedPointStatus.NotASolution, report.Status);
        Assert.False(report.IsConverged);
        Assert.Equal(criterion == ResidualCriterion.Relative ? forward.RelativeResidual : forward.Residual, report.PointResidual);
        Assert.True(double.IsFinite(pBar[0]) && pBar[0] != 0, $"pBar = {pBar[0]}");
    }

    // BackwardMaxIterations = int.MaxValue overflowed the backward iteration's stall count (budget + 1) to int.MinValue: the
    // first iteration that fell by less than 1 % ended it as Stalled. g = 0.995·z + c: u = z̄/0.005 after some 5,000 iterations.
    [Theory]
    [InlineData(ImplicitBackward.Iteration)]
    [InlineData(ImplicitBackward.Anderson)]
    public void BackwardMaxIterations_IntMaxValue_StillConverges(ImplicitBackward backward)
    {
        double[] p = new double[20];
        for (int i = 0; i < 4; i++)
        {
            p[(i * 4) + i] = 0.995;
            p[16 + i] = 0.01 * (i + 1);
        }

        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Backward = backward, BackwardMaxIterations = int.MaxValue, MaxIterations = 20_000, BackwardTolerance = 1e-9 });
        double[] z = new double[4], zBar = [1.0, -0.5, 0.25, 2.0], pBar = new double[20];
        layer.Forward([], p, z);
        ImplicitBackwardReport report = layer.Backward([], p, z, zBar, [], pBar);
        Assert.True(report.IsConverged, report.ToString());
        for (int i = 0; i < 4; i++) Assert.Equal(zBar[i] / 0.005, pBar[16 + i], 1e-5);   // ∂L/∂c = u
    }

    // SteadyState.Gradient differentiated at any y: at a point that is no equilibrium (a search that did not converge, θ changed
    // since) it solved (∂f/∂y)ᵀλ = ∂L/∂y there and reported Converged with that point's gradient.
    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    public void SteadyStateGradient_AtAPointThatIsNoEquilibrium_IsRefusedByName(int denseLimit)
    {
        double[] p = [0.3, -0.8, 1.2, 0.1], w = [1.0, -0.5, 0.25, 2.0];
        var system = new ImplicitCells.RingSystem();
        var options = new SteadyStateOptions { DenseLimit = denseLimit };
        double[] y = new double[4];
        SteadyState.Solve(system, y, p, options);
        double[] pBar = new double[4];
        SteadyStateGradientReport report = SteadyState.Gradient(system, y, p, w, pBar, options);
        Assert.True(report.IsConverged, report.ToString());
        Assert.InRange(report.PointResidual, 0, options.Tolerance);

        double[] moved = [.. p];
        moved[2] += 1e-3;
        double[] untouched = [1.0, 2.0, 3.0, 4.0];
        var e = Assert.Throws<ArgumentException>(() => SteadyState.Gradient(system, y, moved, w, untouched, options));
        Assert.Equal("yStar", e.ParamName);
        Assert.Contains("not a steady state", e.Message, StringComparison.Ordinal);

        SteadyStateGradientReport quiet = SteadyState.Gradient(system, y, moved, w, untouched, options with { ThrowOnFailure = false });
        Assert.Equal(FixedPointStatus.NotASolution, quiet.Status);
        Assert.False(quiet.IsConverged);
        Assert.InRange(quiet.PointResidual, 0.5e-3, 2e-3);   // f changed by about δθ = 1e-3 in one component
        Assert.Equal([1.0, 2.0, 3.0, 4.0], untouched);

        // A search that ran out of Newton iterations leaves its best point, which the gradient refuses too.
        double[] early = new double[4];
        SteadyStateReport found = SteadyState.Solve(system, early, p, options with { MaxNewtonIterations = 1, ThrowOnFailure = false });
        Assert.False(found.IsConverged);
        Assert.Equal("yStar", Assert.Throws<ArgumentException>(() => SteadyState.Gradient(system, early, p, w, untouched, options)).ParamName);
        Assert.Equal(found.Residual, SteadyState.Gradient(system, early, p, w, untouched, options with { ThrowOnFailure = false }).PointResidual);
    }

    // SteadyState refused a NaN or a wrong length in its state naming y0, which neither Solve (y) nor Gradient (yStar) has.
    [Fact]
    public void SteadyState_BadState_IsRefusedNamingItsOwnArgument()
    {
        var system = new ImplicitCells.RingSystem();
        double[] p = [0.3, -0.8, 1.2, 0.1];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SteadyState.Solve(system, [0.0, double.NaN, 0.0, 0.0], p)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SteadyState.Solve(system, new double[3], p)).ParamName);
        Assert.Equal("yStar", Assert.Throws<ArgumentException>(() =>
            SteadyState.Gradient(system, [0.0, 0.0, double.PositiveInfinity, 0.0], p, [1.0, 0, 0, 0], new double[4])).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => SteadyState.Solve(system, new double[4], [0.3, double.NaN, 1.2, 0.1])).ParamName);
    }

    // Probes that already held, kept so that they go on holding. A singular I − ∂g/∂z (g = z + θ at θ = 0: every z is a fixed
    // point) gives no gradient, whichever backward solve runs: never Converged, the accumulated values finite.
    [Theory]
    [InlineData(ImplicitBackward.Gmres)]
    [InlineData(ImplicitBackward.Anderson)]
    [InlineData(ImplicitBackward.Iteration)]
    public void Backward_WithASingularResolvent_IsNeverConverged(ImplicitBackward backward)
    {
        var layer = new FixedPointLayer<ImplicitCells.ShiftFunction>(new ImplicitCells.ShiftFunction(),
            new FixedPointOptions { Backward = backward, ThrowOnFailure = false, BackwardMaxIterations = 50 });
        double[] z = [0.5], pBar = new double[1];
        Assert.True(layer.Forward([], [0.0], z).IsConverged);
        ImplicitBackwardReport report = layer.Backward([], [0.0], z, [1.0], [], pBar);
        Assert.False(report.IsConverged, report.ToString());
        Assert.True(double.IsFinite(pBar[0]), $"pBar = {pBar[0]}");
        Assert.Throws<FixedPointException>(() => new FixedPointLayer<ImplicitCells.ShiftFunction>(new ImplicitCells.ShiftFunction(),
            new FixedPointOptions { Backward = backward, BackwardMaxIterations = 50 }).Backward([], [0.0], z, [1.0], [], new double[1]));
    }

    // Zero, negative, NaN tolerances and empty budgets are refused by the option's name when a layer or a solve is set up.
    [Fact]
    public void ZeroTolerancesAndBudgets_AreRefusedByName()
    {
        string Refused(FixedPointOptions o) =>
            Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointLayer<GatedCosine>(new GatedCosine(null), o)).ParamName!;
        Assert.Equal("Tolerance", Refused(new FixedPointOptions { Tolerance = 0 }));
        Assert.Equal("Tolerance", Refused(new FixedPointOptions { Tolerance = double.NaN }));
        Assert.Equal("BackwardTolerance", Refused(new FixedPointOptions { BackwardTolerance = -1e-10 }));
        Assert.Equal("MaxIterations", Refused(new FixedPointOptions { MaxIterations = 0 }));
        Assert.Equal("BackwardMaxIterations", Refused(new FixedPointOptions { BackwardMaxIterations = 0 }));
        Assert.Equal("PhantomSteps", Refused(new FixedPointOptions { PhantomSteps = 0 }));

        var system = new ImplicitCells.RingSystem();
        double[] p = [0.3, -0.8, 1.2, 0.1];
        string SteadyRefused(SteadyStateOptions o) =>
            Assert.Throws<ArgumentOutOfRangeException>(() => SteadyState.Gradient(system, new double[4], p, [1.0, 0, 0, 0], new double[4], o)).ParamName!;
        Assert.Equal("Tolerance", SteadyRefused(new SteadyStateOptions { Tolerance = 0 }));
        Assert.Equal("LinearTolerance", SteadyRefused(new SteadyStateOptions { LinearTolerance = -1 }));
        Assert.Equal("MaxNewtonIterations", SteadyRefused(new SteadyStateOptions { MaxNewtonIterations = 0 }));
        Assert.Equal("LinearMaxIterations", SteadyRefused(new SteadyStateOptions { LinearMaxIterations = 0 }));
    }
}
