using OdeGen.Latent;

namespace OdeGen.Tests.Latent;

/// <summary>
/// Bad input to the latent ODE's series and model, found by probing its public entry points: each now gets an exception
/// that names the argument where it returned a number computed from it, or threw IndexOutOfRangeException from inside.
/// </summary>
public class LatentBadInputTests
{
    private static LatentOdeModel Model() => new(LatentTestData.Options(LatentEncoder.OdeRnn, LatentDecoder.Ode, learnNoise: false, LaneWidth.Auto));

    [Fact]
    public void Series_FeaturesZeroOrBelowMinusOne_IsRefused()
    {
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => new IrregularSeries("a", [0.1, 0.2], new double[4], default, 0)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => new IrregularSeries("a", [0.1, 0.2], new double[4], default, -5)).ParamName);
        Assert.Equal(2, new IrregularSeries("a", [0.1, 0.2], new double[4]).FeatureCount);
    }

    [Fact]
    public void Subset_IndexOutsideTheSeries_ThrowsNamingIt()
    {
        IrregularSeries s = LatentTestData.Series(1, 3)[0];
        Assert.Equal("indices", Assert.Throws<ArgumentOutOfRangeException>(() => s.Subset([0, s.Count])).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentOutOfRangeException>(() => s.Subset([-1])).ParamName);
        Assert.Equal(2, s.Subset([0, 2]).Count);
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Elbo_NonFiniteTheta_ThrowsNamingIt(double bad)
    {
        // An infinite θ gave a finite ELBO (the gates saturate); a NaN one was blamed on the encoder's output.
        LatentOdeModel model = Model();
        double[] theta = model.CreateParameters(1);
        theta[3] = bad;
        IrregularSeries[] batch = LatentTestData.Series(3, 5);
        double[] eps = LatentTestData.Epsilon(3, model.Options.LatentSize, 7);
        var e = Assert.Throws<ArgumentException>(() => model.Elbo(theta, batch, eps, new double[model.ParameterCount]));
        Assert.Equal("theta", e.ParamName);
        Assert.Contains("theta[3]", e.Message);
    }

    [Fact]
    public void Elbo_SeriesTooLongForTheStep_ThrowsNamingIt()
    {
        // t = 1e9 at MaxStep 0.15 is 6.7e9 steps: the int step count wrapped, and Array.Clear threw IndexOutOfRangeException.
        LatentOdeModel model = Model();
        double[] theta = model.CreateParameters(1);
        var series = new IrregularSeries("far", [0.1, 1e9], new double[4], default, 2);
        double[] eps = LatentTestData.Epsilon(1, model.Options.LatentSize, 7);
        var e = Assert.Throws<ArgumentException>(() => model.Elbo(theta, [series], eps, new double[model.ParameterCount]));
        Assert.Contains("Series 'far'", e.Message);
        Assert.Contains("Rescale the times", e.Message);
    }

    [Fact]
    public void Encode_MeanAndLogVarianceSharingMemory_ThrowsNamingIt()
    {
        // One buffer for both returned the log variances as the means, with no error.
        LatentOdeModel model = Model();
        double[] theta = model.CreateParameters(1);
        IrregularSeries[] batch = LatentTestData.Series(2, 5);
        int n = 2 * model.Options.LatentSize;
        double[] both = new double[2 * n];
        Assert.Equal("logVariance", Assert.Throws<ArgumentException>(() => model.Encode(theta, batch, both.AsSpan(0, n), both.AsSpan(0, n))).ParamName);
        Assert.Equal("logVariance", Assert.Throws<ArgumentException>(() => model.Encode(theta, batch, both.AsSpan(0, n), both.AsSpan(1, n))).ParamName);
        model.Encode(theta, batch, both.AsSpan(0, n), both.AsSpan(n, n));   // side by side in one array is fine
        Assert.All(both, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void ConcurrentCalls_OnOneModel_NeverReturnAWrongNumber()
    {
        // The instance's work space is shared ("use one per thread"); two Elbo calls at once returned wrong losses and
        // gradients (15 of 60 in the probe). A call that overlaps another now throws InvalidOperationException.
        LatentOdeModel model = Model();
        double[] theta = model.CreateParameters(1);
        IrregularSeries[] batch = LatentTestData.Series(6, 5);
        double[] eps = LatentTestData.Epsilon(6, model.Options.LatentSize, 7);
        var expected = new double[model.ParameterCount];
        double loss = model.Elbo(theta, batch, eps, expected).Loss;
        int wrong = 0;
        using var start = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int k = 0; k < 15; k++)
            {
                start.SignalAndWait();
                var g = new double[model.ParameterCount];
                try
                {
                    if (model.Elbo(theta, batch, eps, g).Loss != loss || !g.AsSpan().SequenceEqual(expected)) Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException)
                {
                    // The overlapping call was refused: the one that runs gives the right numbers.
                }
            }
        })).ToArray();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        Assert.Equal(0, wrong);
    }
}
