using OdeGen.Latent;
using OdeGen.Neural;

namespace OdeGen.Tests.Latent;

/// <summary>A short training run with a fixed seed lowers the negative ELBO, and the same seed gives the same numbers.</summary>
public class LatentOdeTrainingTests
{
    private static (double First, double Last) Train(int iterations)
    {
        var model = new LatentOdeModel(LatentTestData.Options(LatentEncoder.OdeRnn, LatentDecoder.Ode, learnNoise: false, LaneWidth.Auto));
        IrregularSeries[] data = LatentTestData.Series(16, seed: 31, withMissing: true);
        double[] theta = model.CreateParameters(32), gradient = new double[theta.Length];
        var adam = new Adam(0.02);
        var random = new Random(33);
        double first = double.NaN, last = double.NaN;
        double[] eps = new double[16 * 3];
        for (int it = 0; it < iterations; it++)
        {
            Initializers.Normal(eps, random);
            double loss = model.Elbo(theta, data, eps, gradient).Loss;
            if (it == 0) first = loss;
            adam.Step(theta, gradient);
        }

        Array.Clear(eps);
        last = model.Elbo(theta, data, eps, default).NegativeLogLikelihood;
        Array.Clear(eps);
        return (model.Elbo(model.CreateParameters(32), data, eps, default).NegativeLogLikelihood, last);
    }

    [Fact]
    public void AShortRunLowersTheLoss()
    {
        var (first, last) = Train(60);
        Assert.True(last < 0.6 * first, $"negative log-likelihood at the posterior mean: {first} before, {last} after 60 Adam steps");
        Assert.Equal((first, last), Train(60));
    }
}

/// <summary>After its first call a model's ELBO and gradient allocate nothing (the work space grows once and is reused).</summary>
public class LatentOdeAllocationTests
{
    [Theory]
    [InlineData(LatentEncoder.OdeRnn, LatentDecoder.Ode, LaneWidth.Auto)]
    [InlineData(LatentEncoder.RnnDeltaT, LatentDecoder.RnnDeltaT, LaneWidth.Auto)]
    [InlineData(LatentEncoder.OdeRnn, LatentDecoder.Ode, LaneWidth.Lane1)]
    public void TheElboGradientAllocatesNothingAfterItsFirstCall(LatentEncoder encoder, LatentDecoder decoder, LaneWidth width)
    {
        var model = new LatentOdeModel(LatentTestData.Options(encoder, decoder, learnNoise: true, width));
        IrregularSeries[] batch = LatentTestData.Series(13, seed: 41);
        double[] theta = model.CreateParameters(42), gradient = new double[theta.Length], eps = LatentTestData.Epsilon(13, 3, 43);
        model.Elbo(theta, batch, eps, gradient);
        Assert.Equal(0, Allocations.Least(() => model.Elbo(theta, batch, eps, gradient), windows: 3));
    }
}
