using OdeGen.Latent;

namespace OdeGen.Tests.Latent;

/// <summary>Missing values: whatever a masked value holds changes neither the loss nor its gradient; unmasking it does.</summary>
public class LatentOdeMaskTests
{
    private static IrregularSeries With(double masked, double mask) =>
        new("a", [0.2, 0.7, 1.1, 1.9], [0.5, 0.1, masked, 0.3, -0.2, 0.4, -0.5, 0.0], [1, 1, mask, 1, 1, 1, 1, 1], features: 2);

    [Theory]
    [InlineData(LatentEncoder.OdeRnn)]
    [InlineData(LatentEncoder.RnnDeltaT)]
    public void AMaskedValueChangesNothing(LatentEncoder encoder)
    {
        var model = new LatentOdeModel(LatentTestData.Options(encoder, LatentDecoder.Ode, learnNoise: true, LaneWidth.Auto));
        double[] theta = model.CreateParameters(1), eps = LatentTestData.Epsilon(3, 3, 2);
        IrregularSeries[] others = LatentTestData.Series(2, seed: 3);
        (LatentElbo, double[]) Run(IrregularSeries s)
        {
            double[] g = new double[theta.Length];
            return (model.Elbo(theta, [others[0], s, others[1]], eps, g), g);
        }

        var (reference, referenceGradient) = Run(With(0.3, 0));
        foreach (double value in new[] { 7.5, -1e6, double.NaN, double.PositiveInfinity })
        {
            var (elbo, gradient) = Run(With(value, 0));
            Assert.Equal(reference, elbo);
            Assert.Equal(referenceGradient, gradient);
        }

        var (observed, _) = Run(With(0.3, 1));
        Assert.NotEqual(reference.Loss, observed.Loss);
        Assert.Equal(reference.ObservedValues + 1, observed.ObservedValues);
    }
}
