using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// A training call's bits, pinned: the loss, its steps and evaluations and dL/dθ of each sensitivity and trace, as computed
/// when each chunk's gradient went through Ode.LossGradient (before the chunks kept a gradient workspace per worker:
/// 5 December 2026), on two threads, at the second call of a flow (its kept systems and workspaces reused). Lane256; the
/// same bits with DOTNET_EnableAVX2=0.
/// </summary>
public class PinnedLossGradientTests
{
    public static TheoryData<string, bool, ulong, ulong, long, long, long, long, ulong[], ulong> Pinned => new()
    {
        { "interp", false, 0x400C1A673DF2264D, 0x400C1A673DF2264D, 40, 250, 43, 268, new ulong[] { 0xBF793CC1A8B659A8, 0xBFAECEC6306D9F15, 0xBFD308CE18979439, 0x3FD1735BB2EA7192, 0x3FD50334752327A0 }, 0xC00B76731D77D7FA },
        { "interp", true, 0x400EFB7755533F4C, 0x400C77BD59C97742, 53, 328, 45, 280, new ulong[] { 0xBF9CADB36A37AF8E, 0xBFA78B964167EF95, 0xBFDA2AEC789AC5E7, 0x3FD5D0C0DC6071EB, 0x3FDD1CB1A0B3552E }, 0xC012CD1944AFA26B },
        { "discrete", false, 0x400C1A673DF2264D, 0x400C1A673DF2264D, 40, 250, 40, 240, new ulong[] { 0xBF793CC15D53CB84, 0xBFAECEC631A75CC3, 0xBFD308CE21AFA08A, 0x3FD1735BC471B5D0, 0x3FD503348203F932 }, 0xC00B767334676FE9 },
        { "discrete", true, 0x400EFB7755533F4C, 0x400C77BD59C97742, 53, 328, 53, 318, new ulong[] { 0xBF9CADB32EC8ABE1, 0xBFA78B963FD1F479, 0xBFDA2AEC7D1616CE, 0x3FD5D0C0E610E682, 0x3FDD1CB1A7957D66 }, 0xC012CD194A668F06 },
        { "backsolve", false, 0x400C1A673DF2264D, 0x400C1A673DF2264D, 40, 250, 41, 256, new ulong[] { 0xBF793CC2772E461C, 0xBFAECEC637BF07B5, 0xBFD308CE19E57D9C, 0x3FD1735BAAAD909B, 0x3FD50334744C850B }, 0xC00B76731C9FF9AE },
        { "backsolve", true, 0x400EFB7755533F4C, 0x400C77BD59C97742, 53, 328, 43, 268, new ulong[] { 0xBF9CADB37AD29940, 0xBFA78B96467810B6, 0xBFDA2AEC77FEB3FC, 0x3FD5D0C0D630B12E, 0x3FDD1CB1A0B2FE66 }, 0xC012CD1942651C90 },
        { "forward", false, 0x400C1A673D314019, 0x400C1A673D314019, 55, 340, 0, 0, new ulong[] { 0xBF793CC0DCAC2E18, 0xBFAECEC641A7A4EE, 0xBFD308CE1C7DC1F4, 0x3FD1735BB54809B1, 0x3FD503347C1AA53C }, 0xC00B76731F9B6F8E },
        { "forward", true, 0x400EFB77549409C4, 0x400C77BD592462B6, 58, 358, 0, 0, new ulong[] { 0xBF9CADB315AB56A0, 0xBFA78B964AB6E4ED, 0xBFDA2AEC79D412F2, 0x3FD5D0C0DFA778F8, 0x3FDD1CB1A626A1EF }, 0xC012CD194501BD30 },
    };

    [Theory]
    [MemberData(nameof(Pinned))]
    public void LossGradient_GivesThePinnedBits(string sensitivity, bool hutchinson, ulong loss, ulong nll, long forwardSteps, long forwardEvaluations,
        long backwardSteps, long backwardEvaluations, ulong[] firstGradients, ulong gradientSum)
    {
        var options = new CnfOptions
        {
            Trace = hutchinson ? CnfTrace.Hutchinson : CnfTrace.Exact, KineticWeight = hutchinson ? 0.1 : 0, JacobianWeight = hutchinson ? 0.1 : 0,
            Noise = hutchinson ? CnfNoise.Gaussian : CnfNoise.Rademacher, Solver = new() { RelTol = 1e-5, AbsTol = 1e-7 }, ChunkSize = 8,
            MaxDegreeOfParallelism = 2,
            Sensitivity = sensitivity switch
            {
                "interp" => Sensitivity.InterpolatingAdjoint(checkpoints: 1),
                "discrete" => Sensitivity.DiscreteAdjoint,
                "backsolve" => Sensitivity.BacksolveAdjoint,
                _ => Sensitivity.Forward,
            },
        };
        var flow = ContinuousNormalizingFlow.WithLanes(default(CnfField.RhsSystem), options, LaneWidth.Lane256);
        double[] p = FlowTestData.Weights(41), x = FlowTestData.Points(42, 37), g = new double[p.Length];
        flow.LossGradient(x, p, g, seed: 7);
        CnfLoss result = flow.LossGradient(x, p, g, seed: 8);
        Assert.Equal(loss, BitConverter.DoubleToUInt64Bits(result.Loss));
        Assert.Equal(nll, BitConverter.DoubleToUInt64Bits(result.NegativeLogLikelihood));
        Assert.Equal((5, forwardSteps, forwardEvaluations), (result.Forward.Solves, result.Forward.Steps, result.Forward.FunctionEvaluations));
        Assert.Equal((5, backwardSteps, backwardEvaluations), (result.Backward.Solves, result.Backward.Steps, result.Backward.FunctionEvaluations));
        Assert.Equal(firstGradients, g.Take(firstGradients.Length).Select(BitConverter.DoubleToUInt64Bits).ToArray());
        Assert.Equal(gradientSum, BitConverter.DoubleToUInt64Bits(g.Sum()));
    }
}
