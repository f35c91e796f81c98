using System.Globalization;

namespace OdeGen.Ensemble;

/// <summary>
/// The ensemble gradient for the sensitivities that have no lane form (forward, interpolating and back-solve adjoints):
/// each trajectory is differentiated by exactly the code of <c>Ode.Gradient</c> for one trajectory, the trajectories in
/// parallel, so that an ensemble gradient never differs from the single-trajectory gradient with the same sensitivity.
/// </summary>
/// <remarks>
/// Rows are written by their own trajectory and the shared-θ sum runs in trajectory order after the loop, so the
/// results do not depend on the thread count. The solution it reports is one "block" per trajectory
/// (<see cref="LaneWidth.Lane1"/>), each with the work of its forward pass; a trajectory whose pass failed has NaN
/// final states and time (the single-trajectory gradient does not report where it stopped).
/// </remarks>
internal static class PerTrajectoryGradient
{
    public static EnsembleGradient Compute<TSystem>(in TSystem system, EnsembleBatch batch, double t0, ReadOnlySpan<double> times,
        ReadOnlySpan<double> dLdy, EnsembleObservationLoss? loss, Sensitivity sensitivity, SolverOptions? options, EnsembleOptions? ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        options ??= SolverOptions.Default;
        ensemble ??= EnsembleOptions.Default;
        ensemble.Validate();
        Guard.Sizes(system);
        int n = system.StateCount, m = system.ParameterCount;
        ReadOnlySpan<double> y0s = batch.InitialStates, ps = batch.Parameters;
        bool shared = batch.SharesParameters;
        if (y0s.Length % n != 0)
            throw new ArgumentException(Format($"y0s must hold N rows of StateCount = {n} values (row-major N × {n}), but its length {y0s.Length} is not a multiple of {n}."), "batch");
        int count = y0s.Length / n;
        if (shared)
            Guard.FiniteVector(ps, m, "p", "ParameterCount");
        else if (ps.Length != count * m)
            throw new ArgumentException(Format($"ps must hold one row of ParameterCount = {m} values per trajectory (N × {m} = {count * m} for the {count} rows of y0s), but has length {ps.Length}."), "batch");
        Guard.FiniteTime(t0, nameof(t0));
        ObservationTimes.Check(t0, times, nameof(times));
        if (options.SaveAt is not null)
            throw new ArgumentException($"The observation times are where this gradient saves (EnsembleGradient.States): leave SaveAt null ({sensitivity.Name} runs trajectory by trajectory).", nameof(options));
        int rows = times.Length * n;
        if (loss is null)
        {
            if (dLdy.Length != count * rows)
                throw new ArgumentException(Format($"dLdy must have length N × times.Length × StateCount = {count} × {times.Length} × {n} = {count * rows} (trajectory-major), but has length {dLdy.Length}."), nameof(dLdy));
            for (int i = 0; i < dLdy.Length; i++)
                if (!double.IsFinite(dLdy[i]))
                    throw new ArgumentException(Format($"dLdy[{i}] is {dLdy[i]}; every entry must be finite."), nameof(dLdy));
        }

        double[] timesCopy = times.ToArray();
        var solution = new EnsembleSolution(count, n, null, LaneWidth.Lane1, 1);
        var output = new EnsembleGradient(solution, timesCopy, m, shared, loss is not null, sensitivity);
        if (loss is null) dLdy.CopyTo(output.DLdy);
        double[] y0Copy = y0s.ToArray(), pCopy = ps.ToArray();
        var slots = new OdeGradient?[count];
        TSystem copy = system;
        double t0Copy = t0;   // the local function cannot capture a parameter of a method with span parameters' ref-like batch

        void Differentiate(int j)
        {
            ReadOnlySpan<double> y0 = y0Copy.AsSpan(j * n, n);
            ReadOnlySpan<double> p = shared ? pCopy : pCopy.AsSpan(j * m, m);
            if (!Finite(y0) || !Finite(p)) return;   // NonFiniteValue at t0, as in the lane blocks
            GradientInputs inputs = loss is null
                ? GradientInputs.Create(copy, y0, p, t0Copy, timesCopy, output.DLdy.AsSpan(j * rows, rows))
                : GradientInputs.Create(copy, y0, p, t0Copy, timesCopy, (states, d) =>
                {
                    double value = loss(j, states, d);
                    Guard.FiniteLoss(value, d, n, j);
                    d.CopyTo(output.DLdy.AsSpan(j * rows, rows));
                    return value;
                });
            slots[j] = Ode.Compute(copy, inputs, sensitivity, options);
        }

        if (count <= 1 || ensemble.MaxDegreeOfParallelism == 1)
        {
            for (int j = 0; j < count; j++) Differentiate(j);
        }
        else
        {
            try
            {
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = ensemble.MaxDegreeOfParallelism ?? -1 }, Differentiate);
            }
            catch (AggregateException e)
            {
                // The system's or the loss's own exception, as the one-thread path throws it (EnsembleRunner.ForEachBlock).
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            }
        }

        Collect(output, slots, timesCopy, y0Copy, t0, n, m);
        return output;
    }

    // Rows, statuses, work and the sums, in trajectory order.
    private static void Collect(EnsembleGradient output, OdeGradient?[] slots, double[] times, double[] y0s, double t0, int n, int m)
    {
        EnsembleSolution solution = output.Solution;
        int rows = times.Length * n;
        double loss = 0;
        long backward = 0, vjps = 0;
        for (int j = 0; j < slots.Length; j++)
        {
            if (slots[j] is not { } g)
            {
                // Not integrated: it ends where it started, as in the lane blocks.
                solution.Statuses[j] = OdeStatus.NonFiniteValue;
                solution.FinalTimes[j] = t0;
                output.Y0.AsSpan(j * n, n).Fill(double.NaN);
                output.Parameters.AsSpan(j * m, m).Fill(double.NaN);
                output.DLdy.AsSpan(j * rows, rows).Clear();
                y0s.AsSpan(j * n, n).CopyTo(solution.FinalStates.AsSpan(j * n, n));
                continue;
            }
            bool success = g.Status == OdeStatus.Success;
            solution.Statuses[j] = g.Status;
            solution.FinalTimes[j] = success ? times[^1] : double.NaN;
            g.States.AsSpan((times.Length - 1) * n, n).CopyTo(solution.FinalStates.AsSpan(j * n, n));
            solution.TrajectoryStats[j] = g.Stats.Forward;
            solution.BlockStats[j] = g.Stats.Forward;
            g.States.CopyTo(output.States, j * rows);
            g.Y0.CopyTo(output.Y0, j * n);
            g.Parameters.CopyTo(output.Parameters, j * m);
            backward += g.Stats.FunctionEvaluations - g.Stats.Forward.FunctionEvaluations;
            vjps += g.Stats.VjpEvaluations;
            if (!success)
            {
                if (output.HasLoss) output.DLdy.AsSpan(j * rows, rows).Clear();
                continue;
            }
            if (output.HasLoss)
            {
                output.Losses[j] = g.Loss;
                loss += g.Loss;
            }
            if (output.SharedParameters is { } total)
                for (int k = 0; k < m; k++) total[k] += g.Parameters[k];
        }
        output.BackwardEvaluations = backward;
        output.VjpEvaluations = vjps;
        if (output.HasLoss) output.Loss = loss;
    }

    private static bool Finite(ReadOnlySpan<double> v)
    {
        foreach (double x in v)
            if (!double.IsFinite(x)) return false;
        return true;
    }

    private static string Format(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
