using OdeGen.Latent;

namespace OdeGen.Tests.Latent;

/// <summary>The negative ELBO's gradient, through decoder, latent ODE, reparameterisation, KL and encoder, against central finite differences with the sampling noise fixed.</summary>
public class LatentOdeGradientTests
{
    public static TheoryData<LatentEncoder, LatentDecoder, bool, LaneWidth> Cases => new()
    {
        { LatentEncoder.OdeRnn, LatentDecoder.Ode, false, LaneWidth.Lane1 },
        { LatentEncoder.OdeRnn, LatentDecoder.Ode, true, LaneWidth.Auto },
        { LatentEncoder.RnnDeltaT, LatentDecoder.Ode, true, LaneWidth.Lane1 },
        { LatentEncoder.RnnDeltaT, LatentDecoder.RnnDeltaT, false, LaneWidth.Auto },
        { LatentEncoder.OdeRnn, LatentDecoder.RnnDeltaT, true, LaneWidth.Lane1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ElboGradientMatchesFiniteDifferences(LatentEncoder encoder, LatentDecoder decoder, bool learnNoise, LaneWidth lanes)
    {
        var model = new LatentOdeModel(LatentTestData.Options(encoder, decoder, learnNoise, lanes)) { KlWeight = 0.7 };
        IrregularSeries[] batch = LatentTestData.Series(5, seed: 3);
        double[] eps = LatentTestData.Epsilon(batch.Length, 3, seed: 4);
        double[] theta = model.CreateParameters(seed: 5);
        for (int k = 0; k < theta.Length; k++) theta[k] *= 1.5;   // leave the flat start, so every part matters
        double[] gradient = new double[theta.Length];
        LatentElbo elbo = model.Elbo(theta, batch, eps, gradient);
        Assert.True(double.IsFinite(elbo.Loss));
        Assert.Equal(elbo.NegativeLogLikelihood + (0.7 * elbo.Kl), elbo.Loss, 12);

        // Every slice, a few entries each (all of a short one).
        var random = new Random(6);
        var indices = new List<int>();
        foreach (var slice in model.Layout.Slices)
            for (int i = 0; i < Math.Min(slice.Length, 6); i++) indices.Add(slice.Offset + random.Next(slice.Length));
        double largest = gradient.Max(Math.Abs);
        foreach (int k in indices.Distinct())
        {
            double saved = theta[k], h = 1e-5 * Math.Max(1, Math.Abs(saved));
            theta[k] = saved + h;
            double plus = model.Elbo(theta, batch, eps, default).Loss;
            theta[k] = saved - h;
            double minus = model.Elbo(theta, batch, eps, default).Loss;
            theta[k] = saved;
            double fd = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[k]) <= (1e-6 * largest) + (1e-5 * Math.Abs(fd)),
                $"θ[{k}] ({model.Layout.Slices.First(s => k >= s.Offset && k < s.Offset + s.Length).Name}): analytic {gradient[k]:R}, finite differences {fd:R}");
        }
    }

    [Fact]
    public void TheLossAloneEqualsTheLossWithItsGradient()
    {
        var model = new LatentOdeModel(LatentTestData.Options(LatentEncoder.OdeRnn, LatentDecoder.Ode, true, LaneWidth.Auto));
        IrregularSeries[] batch = LatentTestData.Series(9, seed: 7);
        double[] eps = LatentTestData.Epsilon(9, 3, 8), theta = model.CreateParameters(9);
        LatentElbo alone = model.Elbo(theta, batch, eps, default);
        LatentElbo with = model.Elbo(theta, batch, eps, new double[theta.Length]);
        Assert.Equal(alone, with);
    }

    // The KL weight had no check: NaN made every loss and gradient NaN, a negative weight rewarded divergence from the prior.
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-0.5)]
    public void KlWeight_RefusesNaNInfiniteAndNegative(double weight)
    {
        var model = new LatentOdeModel(LatentTestData.Options(LatentEncoder.OdeRnn, LatentDecoder.Ode, false, LaneWidth.Lane1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.KlWeight = weight);
        Assert.Equal(1.0, model.KlWeight);
        model.KlWeight = 0;
        Assert.Equal(0.0, model.KlWeight);
    }

    // EncoderHidden = 37835: the GRU's 3·h·(inputs + h) + 6h parameters wrapped around in int to 175409, and the model was
    // built with a parameter layout that did not fit its cells.
    [Fact]
    public void SizesWhoseParameterCountsWrap_AreArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatentOdeModel(new LatentOdeOptions { Features = 2, EncoderHidden = 37835, Lanes = LaneWidth.Lane1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatentOdeModel(new LatentOdeOptions { Features = 2, DynamicsHidden = int.MaxValue / 4, Lanes = LaneWidth.Lane1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OdeGen.Neural.TanhMlpSystem(65536, 32768));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OdeGen.Neural.TanhMlpSystem(2, 3, (OdeGen.Neural.MlpInput)5));
    }
}
