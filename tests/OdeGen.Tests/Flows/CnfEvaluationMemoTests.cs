using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The discrete adjoint's recomputed stages answered from memory (<see cref="MemoizedSystem{TSystem}"/>): the gradient is
/// bit for bit the one without the memory, stage evaluations of the backward pass are answered, a new call with
/// another θ is not answered from the last one's, a memory smaller than the solve still gives the same bits, and a
/// remembered evaluation allocates nothing.
/// </summary>
public class CnfEvaluationMemoTests
{
    private static CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1> System() =>
        new(new(default), 7, exact: true, kinetic: true, jacobian: false, []);

    private static double[] Start(int seed, int batch, int stride)
    {
        var random = new Random(seed);
        var y = new double[batch * stride];
        for (int i = 0; i < batch; i++)
        {
            y[i * stride] = (random.NextDouble() * 3) - 1.5;
            y[(i * stride) + 1] = (random.NextDouble() * 3) - 1.5;
        }
        return y;
    }

    private static double Loss(ReadOnlySpan<double> end, Span<double> bar)
    {
        double sum = 0;
        for (int i = 0; i < end.Length; i++)
        {
            sum += 0.5 * end[i] * end[i];
            bar[i] = end[i];
        }
        return sum;
    }

    private static OdeGradient Gradient<TSystem>(TSystem system, double[] y0, double[] p) where TSystem : struct, IOdeSystem =>
        Ode.LossGradient(system, y0, p, 1.0, [0.0], Loss, Sensitivity.DiscreteAdjoint, new SolverOptions { RelTol = 1e-7, AbsTol = 1e-7 });

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Gradient_IsBitForBitTheRecomputedOne_AndTheBackwardStagesAreAnswered(int capacityLimit)
    {
        var system = System();
        double[] y0 = Start(1, 7, system.Stride), p = FlowTestData.Weights(2);
        OdeGradient plain = Gradient(system, y0, p);

        var memo = capacityLimit == 0 ? new EvaluationMemo(system.StateCount) : new EvaluationMemo(system.StateCount, capacityLimit);
        memo.Clear();
        OdeGradient remembered = Gradient(new MemoizedSystem<CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1>>(system, memo), y0, p);
        Assert.Equal(plain.Parameters, remembered.Parameters);
        Assert.Equal(plain.Y0, remembered.Y0);
        Assert.Equal(plain.Loss, remembered.Loss);
        Assert.Equal(plain.T0, remembered.T0);
        // The backward pass recomputes 6 stages per step (all but FSAL's) with the h the forward stages used (the step
        // record's LastStep), so every one is answered when the memory holds the whole forward pass.
        int steps = plain.Stats.Forward.Steps;
        Assert.True(steps >= 3, $"{steps} steps");
        if (capacityLimit == 0) Assert.Equal(6 * steps, memo.Hits);

        // Another θ in a new call (cleared, as the flow clears it): no answer from the last call's evaluations.
        double[] q = p.Select(v => v * 1.1).ToArray();
        memo.Clear();
        OdeGradient next = Gradient(new MemoizedSystem<CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1>>(system, memo), y0, q);
        Assert.Equal(Gradient(system, y0, q).Parameters, next.Parameters);
    }

    [Fact]
    public void RecallAndRemember_AllocateNothing()
    {
        var memo = new EvaluationMemo(21);
        double[] y = Start(3, 7, 3), f = new double[21];
        memo.Remember(0.5, y, y);
        Assert.True(memo.TryRecall(0.5, y, f));
        Assert.Equal(y, f);
        Assert.False(memo.TryRecall(0.25, y, f));
        y[20] += 1e-15;
        Assert.False(memo.TryRecall(0.5, y, f));
        Assert.Equal(0, OdeGen.Testing.Allocations.Least(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                memo.Remember(i * 0.01, y, f);
                memo.TryRecall(i * 0.01, y, f);
            }
        }, windows: 3));
    }
}
