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
}
