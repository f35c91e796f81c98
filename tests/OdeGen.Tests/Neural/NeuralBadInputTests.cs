using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>
/// Bad input to the optimizers, the segment sampler and the parameter layout, found by probing their public entry points:
/// each now gets an exception that names the argument where it wrote NaN into the parameters or threw from a Span.Slice.
/// </summary>
public class NeuralBadInputTests
{
    public static TheoryData<string> OptimizerNames => new(Optimizers.Keys);

    private static readonly Dictionary<string, Func<Optimizer>> Optimizers = new()
    {
        ["Sgd"] = () => new Sgd(0.1, momentum: 0.9),
        ["Adam"] = () => new Adam(0.1),
        ["RmsProp"] = () => new RmsProp(0.1, centered: true, momentum: 0.5),
    };

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Step_NonFiniteGradientOrParameter_ThrowsAndChangesNothing(string name)
    {
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            Optimizer optimizer = Optimizers[name]();
            double[] p = [1, 2, 3];
            var e = Assert.Throws<ArgumentException>(() => optimizer.Step(p, [0.1, bad, 0.2]));
            Assert.Equal("gradient", e.ParamName);
            Assert.Contains("gradient[1]", e.Message);
            Assert.Equal([1.0, 2.0, 3.0], p);
            Assert.Equal(0, optimizer.StepCount);

            double[] q = [1, bad, 3];
            Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => optimizer.Step(q, [0.1, 0.1, 0.2])).ParamName);

            // The optimizer is unharmed: a good step afterwards gives finite parameters.
            optimizer.Step(p, [0.1, 0.1, 0.2]);
            Assert.All(p, v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void Epsilon_Zero_IsRefused()
    {
        // ε = 0 divided a zero gradient by a zero root: 0/0 = NaN in the parameter.
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(1e-3, epsilon: 0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(1e-3, epsilon: 0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(1e-3, epsilon: -1e-8)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(1e-3, epsilon: double.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void Sgd_DampeningAboveOne_IsRefused()
    {
        // (1 − dampening) < 0 turned the momentum buffer against the gradient.
        Assert.Equal("dampening", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1, momentum: 0.9, dampening: 2)).ParamName);
        Assert.Equal(1.0, new Sgd(0.1, momentum: 0.9, dampening: 1).Dampening);
    }

    [Fact]
    public void CenteredRmsProp_SteadyGradient_StaysFinite()
    {
        // v − ḡ² is 0 in exact arithmetic for a steady gradient; rounding made it negative and √ gave NaN.
        var optimizer = new RmsProp(1e-3, alpha: 0.5, centered: true);
        double[] p = [1, 2, 3];
        for (int k = 0; k < 200; k++) optimizer.Step(p, [0.3, 1e-3, 7]);
        Assert.All(p, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void SegmentSampler_NonFiniteOrUnorderedData_IsRefused()
    {
        double[] times = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
        double[] states = LayerChecksData.Ramp(12);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => new SegmentSampler([0, 0.1, double.NaN, 0.3, 0.4, 0.5], states, 2, 3, 2, 1)).ParamName);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => new SegmentSampler([0, 0.2, 0.1, 0.3, 0.4, 0.5], states, 2, 3, 2, 1)).ParamName);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => new SegmentSampler([0, 0.1, 0.1, 0.3, 0.4, 0.5], states, 2, 3, 2, 1)).ParamName);
        double[] nan = (double[])states.Clone();
        nan[5] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => new SegmentSampler(times, nan, 2, 3, 2, 1));
        Assert.Equal("states", e.ParamName);
        Assert.Contains("point 2, state 1", e.Message);
        Assert.Equal(2, new SegmentSampler(times, states, 2, 3, 2, 1).Next().Count);
    }

    [Fact]
    public void ParameterSlice_Of_AShortVector_ThrowsNamingIt()
    {
        var layout = new ParameterLayout();
        ParameterSlice w = layout.AddMatrix("w", 3, 4);
        layout.AddVector("b", 3);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => w.Of(new double[5])).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => layout["b"].Of((ReadOnlySpan<double>)new double[14])).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => Initializers.GlorotUniform(w, new double[5], new Random(1))).ParamName);
        Assert.Equal(3, layout["b"].Of(new double[15]).Length);
    }

    [Theory]
    [InlineData(TrajectoryLossKind.MeanAbsolute)]
    [InlineData(TrajectoryLossKind.MeanSquared)]
    public void TrajectoryLoss_NonFiniteTarget_ThrowsNamingIt(TrajectoryLossKind kind)
    {
        // The mean absolute error returned a NaN loss with ∂L/∂ŷ = 0 at the NaN entry: a gradient that ignored it.
        var e = Assert.Throws<ArgumentException>(() => TrajectoryLoss.Compute(kind, [0.1, 0.2, 0.3], [0, double.NaN, 0], new double[3]));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("target[1]", e.Message);
    }

    private static class LayerChecksData
    {
        public static double[] Ramp(int n) => Enumerable.Range(0, n).Select(i => 0.1 * i).ToArray();
    }
    /// <summary>
    /// <see cref="TanhMlpSystem"/> cuts its spans to its sizes as generated systems do: a short one fails by name before
    /// anything is written (each threw IndexOutOfRangeException part-way through), and longer ones are read to the sizes.
    /// </summary>
    [Fact]
    public void TanhMlpSystem_ShortSpans_ThrowNamingThem_LongerOnesAreCut()
    {
        var s = new TanhMlpSystem(states: 2, hidden: 3);
        int n = s.StateCount, m = s.ParameterCount;
        double[] y = [0.3, -0.2], p = Enumerable.Range(0, m).Select(i => 0.1 * Math.Sin(i + 1)).ToArray();
        double[] shortN = new double[n - 1], shortM = new double[m - 1], f = new double[n], g = new double[n];

        Assert.Equal("y", Assert.Throws<ArgumentException>(() => s.Evaluate(0, shortN, p, f)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => s.Evaluate(0, y, shortM, f)).ParamName);
        double[] untouched = [7, 7];
        Assert.Equal("dydt", Assert.Throws<ArgumentException>(() => s.Evaluate(0, y, p, untouched.AsSpan(0, 1))).ParamName);
        Assert.Equal(7, untouched[0]);
        Assert.Equal("pDot", Assert.Throws<ArgumentException>(() => s.Jvp(0, y, p, 0, y, shortM, f, g)).ParamName);
        Assert.Equal("dydtDot", Assert.Throws<ArgumentException>(() => s.Jvp(0, y, p, 0, y, p, f, shortN)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => s.Vjp(0, y, p, shortN, new double[n], new double[m])).ParamName);
        Assert.Equal("pBar", Assert.Throws<ArgumentException>(() => s.Vjp(0, y, p, y, new double[n], shortM)).ParamName);
        Assert.Equal("dfdp", Assert.Throws<ArgumentException>(() => s.Jacobian(0, y, p, new double[n * n], new double[n * m - 1])).ParamName);

        // Longer spans: the same numbers as exact ones.
        s.Evaluate(0, y, p, f);
        double[] longF = [9, 9, 9];
        s.Evaluate(0, [.. y, 5.0], [.. p, 5.0], longF);
        Assert.Equal(f, longF[..n]);
        Assert.Equal(9, longF[n]);
    }
}
