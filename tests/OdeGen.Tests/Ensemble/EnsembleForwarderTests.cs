using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// The nine ensemble names of the previous release still compile and return, bit for bit, what the new verbs return.
// The only place in the tests that calls them: everything else uses Ode.Solve / Gradient / LossGradient on an EnsembleBatch.
#pragma warning disable CS0618 // the obsolete names are the subject
public class EnsembleForwarderTests
{
    private static readonly LorenzLanes Lorenz = new();
    private static readonly double[] Times = [0.0, 0.3, 1.0];
    private static readonly SolverOptions Options = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10, SaveAt = [0.5] };
    private static readonly SolverOptions NoSave = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
    private static readonly EnsembleOptions Ensemble = new() { Width = LaneWidth.Lane256, MaxDegreeOfParallelism = 2 };
    private const int Count = 11;
    private static readonly double[] Y0s = LorenzStates(Count), Ps = LorenzParameters(Count), P = LorenzParameters(1);
    private static readonly double[] SeedT = Enumerable.Range(0, Count * 3).Select(i => Math.Sin(i + 1.0)).ToArray();
    private static readonly double[] Seed = Enumerable.Range(0, Count * Times.Length * 3).Select(i => Math.Cos(i + 1.0)).ToArray();

    private static double Loss(int j, ReadOnlySpan<double> states, Span<double> dLdy)
    {
        double l = 0;
        for (int i = 0; i < states.Length; i++) { l += (j + 1) * states[i]; dLdy[i] = j + 1; }
        return l;
    }

    private static void Same(EnsembleSolution a, EnsembleSolution b)
    {
        Assert.Equal(a.FinalStates, b.FinalStates);
        Assert.Equal(a.FinalTimes, b.FinalTimes);
        Assert.Equal(a.SavedStates, b.SavedStates);
        Assert.Equal(a.Statuses, b.Statuses);
        Assert.Equal(a.BlockStats, b.BlockStats);
    }

    private static void Same(EnsembleGradient a, EnsembleGradient b)
    {
        Same(a.Solution, b.Solution);
        Assert.Equal(a.Y0, b.Y0);
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.Equal(a.SharedParameters, b.SharedParameters);
        Assert.Equal(a.States, b.States);
        Assert.Equal(a.DLdy, b.DLdy);
        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.VjpEvaluations, b.VjpEvaluations);
    }

    [Fact]
    public void SolveEnsemble() =>
        Same(Ode.SolveEnsemble(Lorenz, Y0s, Ps, 0, 1, Options, Ensemble), Ode.Solve(Lorenz, new EnsembleBatch(Y0s, Ps), 0, 1, Options, Ensemble));

    [Fact]
    public void SolveEnsembleShared() =>
        Same(Ode.SolveEnsembleShared(Lorenz, Y0s, P, 0, 1, Options, Ensemble), Ode.Solve(Lorenz, EnsembleBatch.Shared(Y0s, P), 0, 1, Options, Ensemble));

    [Fact]
    public void SolveEnsembleInto()
    {
        EnsembleSolution a = Ode.Solve(Lorenz, new EnsembleBatch(Y0s, Ps), 0, 1, Options, Ensemble);
        EnsembleSolution b = Ode.Solve(Lorenz, new EnsembleBatch(Y0s, Ps), 0, 1, Options, Ensemble);
        Ode.SolveEnsembleInto(Lorenz, Y0s, Ps, 0, 1, a, Options, Ensemble);
        Ode.Solve(Lorenz, new EnsembleBatch(Y0s, Ps), 0, 1, b, Options, Ensemble);
        Same(a, b);
    }

    [Fact]
    public void GradientEnsemble()
    {
        EnsembleGradient old = Ode.GradientEnsemble(Lorenz, Y0s, Ps, 0, 1, SeedT, Options, Ensemble);
        Same(old, Ode.Gradient(Lorenz, new EnsembleBatch(Y0s, Ps), 0, [1], SeedT, Sensitivity.DiscreteAdjoint, Options, Ensemble));
        // Without SaveAt the new verb runs the observation driver: the same gradient.
        EnsembleGradient observed = Ode.Gradient(Lorenz, new EnsembleBatch(Y0s, Ps), 0, [1], SeedT, Sensitivity.DiscreteAdjoint, NoSave, Ensemble);
        Assert.Equal(old.Y0, observed.Y0);
        Assert.Equal(old.Parameters, observed.Parameters);
    }

    [Fact]
    public void GradientEnsembleShared() =>
        Same(Ode.GradientEnsembleShared(Lorenz, Y0s, P, 0, 1, SeedT, Options, Ensemble),
            Ode.Gradient(Lorenz, EnsembleBatch.Shared(Y0s, P), 0, [1], SeedT, Sensitivity.DiscreteAdjoint, Options, Ensemble));

    [Fact]
    public void GradientEnsembleAtTimes()
    {
        EnsembleObservationGradient old = Ode.GradientEnsembleAtTimes(Lorenz, Y0s, Ps, 0, Times, Seed, NoSave, Ensemble).EnsureSuccess();
        Same(old, Ode.Gradient(Lorenz, new EnsembleBatch(Y0s, Ps), 0, Times, Seed, Sensitivity.DiscreteAdjoint, NoSave, Ensemble));
    }

    [Fact]
    public void GradientEnsembleSharedAtTimes() =>
        Same(Ode.GradientEnsembleSharedAtTimes(Lorenz, Y0s, P, 0, Times, Seed, NoSave, Ensemble),
            Ode.Gradient(Lorenz, EnsembleBatch.Shared(Y0s, P), 0, Times, Seed, Sensitivity.DiscreteAdjoint, NoSave, Ensemble));

    [Fact]
    public void LossGradientEnsemble() =>
        Same(Ode.LossGradientEnsemble(Lorenz, Y0s, Ps, 0, Times, Loss, NoSave, Ensemble),
            Ode.LossGradient(Lorenz, new EnsembleBatch(Y0s, Ps), 0, Times, Loss, Sensitivity.DiscreteAdjoint, NoSave, Ensemble));

    [Fact]
    public void LossGradientEnsembleShared() =>
        Same(Ode.LossGradientEnsembleShared(Lorenz, Y0s, P, 0, Times, Loss, NoSave, Ensemble),
            Ode.LossGradient(Lorenz, EnsembleBatch.Shared(Y0s, P), 0, Times, Loss, Sensitivity.DiscreteAdjoint, NoSave, Ensemble));
}
#pragma warning restore CS0618
