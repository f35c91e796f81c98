using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The interpolating (checkpointed) adjoint. Forward pass: solve through segment boundaries (t0, the
/// observation times and evenly spaced checkpoints), keeping only the state at each boundary. Backward pass,
/// segment by segment from the last: re-solve the segment forwards from its checkpoint, recording the dense
/// output of every step; then integrate [a; a_p; a_t] backwards with the state interpolated from that record.
/// The state is never integrated backwards, so the method is as stable as the forward solve (unlike the
/// back-solve), for the price of a second forward solve and memory for one segment's dense output.
/// </summary>
/// <remarks>
/// Each segment is solved from the same checkpoint with the same options in both passes, so the re-solve
/// takes exactly the forward pass's steps: the interpolated state is the forward solution itself.
/// </remarks>
internal static class InterpolatingAdjointSolver
{
    public static OdeGradient Gradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        int n = inputs.StateCount, m = inputs.ParameterCount;
        OdeMethod solver = options.Method;
        if (sensitivity.Seminorm)
            solver.Require(m => m.SupportsPartialErrorControl, "The interpolating adjoint with Seminorm = true (quadratures left out of error control)",
                "Or set Seminorm = false.");
        if (options.Events is { Count: > 0 }) return InterpolatingAdjointEvents.Gradient(system, inputs, options, sensitivity);
        if (sensitivity.InterpolateObservations && inputs.Times[^1] != inputs.T0) return ThroughObservations(system, inputs, options, sensitivity);
        var counter = new EvaluationCounter();
        double[] p = inputs.P;
        Boundaries(inputs, sensitivity.Checkpoints, out double[] bounds, out int[] observation);
        int count = bounds.Length;

        // Forward pass: the shell's, through every boundary (bounds[0] = t0), keeping the state at each.
        var systemField = new SystemField<TSystem>(system, p);
        var forward = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
        var states = new double[count * n];
        inputs.Y0.CopyTo(states, 0);
        OdeStatus status = ObservationShell.SolveToObservations(forward, systemField, inputs.Y0, bounds[0], bounds.AsSpan(1), states.AsSpan(n));
        var ys = new double[inputs.Count * n];
        for (int b = 0; b < count && status == OdeStatus.Success; b++)
            if (observation[b] >= 0) states.AsSpan(b * n, n).CopyTo(ys.AsSpan(observation[b] * n, n));
        double[] gTimes = ObservationShell.Observe(system, inputs, status, ys, counter);

        // Backward pass.
        var sweep = new InterpolatingAdjointSweep<TSystem>(system, p, n, m, options, sensitivity, counter);
        if (status == OdeStatus.Success)
        {
            int last = inputs.Count - 1;
            inputs.DLdyRow(last).CopyTo(sweep.X);
            sweep.X[n + m] = -gTimes[last];
            for (int b = count - 1; b >= 1; b--)
            {
                status = sweep.Resolve(systemField, states.AsSpan((b - 1) * n, n), bounds[b - 1], bounds[b]);
                if (status != OdeStatus.Success) break;
                status = sweep.Integrate(bounds[b], bounds[b - 1]);
                if (status != OdeStatus.Success) break;
                int i = observation[b - 1];
                if (i >= 0) sweep.AddObservation(inputs.DLdyRow(i), gTimes[i]);
            }
        }

        return sweep.Result(forward.Stats, counter, solver, gTimes, status, sensitivity);
    }

    /// <summary>
    /// <see cref="InterpolatingAdjointSensitivity.InterpolateObservations"/>: segments only at t0, the even grid of
    /// checkpoints and t_N. Forward, the states at observation times inside a segment come from the dense output of
    /// the step that crosses them; backward, the adjoint stops at each observation time to add its loss term, with
    /// the state interpolated from the segment's re-solve (which takes the forward pass's steps exactly).
    /// </summary>
    private static OdeGradient ThroughObservations<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        int n = inputs.StateCount, m = inputs.ParameterCount, total = inputs.Count;
        OdeMethod solver = options.Method;
        if (sensitivity.Seminorm)
            solver.Require(m => m.SupportsPartialErrorControl, "The interpolating adjoint with Seminorm = true (quadratures left out of error control)",
                "Or set Seminorm = false.");
        var counter = new EvaluationCounter();
        double[] p = inputs.P;
        double[] times = inputs.Times;
        double t0 = inputs.T0, d = inputs.Direction;
        int checkpoints = sensitivity.Checkpoints, count = checkpoints + 1;
        var bounds = new double[count];
        bounds[0] = t0;
        for (int j = 1; j < checkpoints; j++) bounds[j] = t0 + j * ((times[^1] - t0) / checkpoints);
        bounds[checkpoints] = times[^1];

        // Forward pass: the state at every boundary, and at every observation time on the way.
        var systemField = new SystemField<TSystem>(system, p);
        var forward = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
        var states = new double[count * n];
        var ys = new double[total * n];
        inputs.Y0.CopyTo(states, 0);
        int next = 0;
        for (; next < total && times[next] == t0; next++) inputs.Y0.CopyTo(ys, next * n);
        OdeStatus status = OdeStatus.Success;
        for (int b = 1; b < count && status == OdeStatus.Success; b++)
        {
            forward.Reset(systemField, states.AsSpan((b - 1) * n, n), bounds[b - 1], bounds[b]);
            while (forward.Step())
            {
                for (; next < total && (times[next] - forward.Time) * d <= 0; next++)
                {
                    if (times[next] == forward.Time) forward.State.CopyTo(ys.AsSpan(next * n, n));
                    else forward.Interpolate(times[next], ys.AsSpan(next * n, n));
                }
            }
            status = forward.Status;
            forward.State.CopyTo(states.AsSpan(b * n, n));
        }
        double[] gTimes = ObservationShell.Observe(system, inputs, status, ys, counter);

        // Backward pass, segment by segment; inside a segment, interval by interval between observation times.
        var sweep = new InterpolatingAdjointSweep<TSystem>(system, p, n, m, options, sensitivity, counter);
        if (status == OdeStatus.Success)
        {
            int i = total - 1;
            inputs.DLdyRow(i).CopyTo(sweep.X);
            sweep.X[n + m] = -gTimes[i];
            i--;
            for (int b = count - 1; b >= 1 && status == OdeStatus.Success; b--)
            {
                status = sweep.Resolve(systemField, states.AsSpan((b - 1) * n, n), bounds[b - 1], bounds[b]);
                if (status != OdeStatus.Success) break;

                double from = bounds[b], start = bounds[b - 1];
                // Observation times strictly inside the segment, from the last; then the one on its start, if any.
                for (; i >= 0 && (times[i] - start) * d > 0; i--)
                {
                    status = sweep.Integrate(from, times[i]);
                    if (status != OdeStatus.Success) break;
                    from = times[i];
                    sweep.AddObservation(inputs.DLdyRow(i), gTimes[i]);
                }
                if (status != OdeStatus.Success) break;
                status = sweep.Integrate(from, start);
                if (status != OdeStatus.Success) break;
                for (; i >= 0 && times[i] == start; i--) sweep.AddObservation(inputs.DLdyRow(i), gTimes[i]);
            }
        }

        return sweep.Result(forward.Stats, counter, solver, gTimes, status, sensitivity);
    }

    /// <summary>
    /// Segment boundaries in the direction of integration: t0, every observation time, and the interior points
    /// of an even grid of <paramref name="checkpoints"/> segments over [t0, t_N]. A grid point closer than a
    /// millionth of the grid spacing to another boundary is dropped (it would make a sliver segment).
    /// <paramref name="observation"/>[b] is the index of the observation time at bounds[b], or −1.
    /// </summary>
    internal static void Boundaries(GradientInputs inputs, int checkpoints, out double[] bounds, out int[] observation)
    {
        double t0 = inputs.T0, tEnd = inputs.Times[^1], d = inputs.Direction;
        double spacing = (tEnd - t0) / checkpoints;
        var list = new List<(double Time, int Observation)>(inputs.Count + checkpoints + 1);
        if (inputs.Times[0] != t0) list.Add((t0, -1));
        int next = 0;
        for (int j = 1; j <= checkpoints; j++)
        {
            double g = j == checkpoints ? tEnd : t0 + j * spacing;
            for (; next < inputs.Count && (inputs.Times[next] - g) * d <= 0; next++) list.Add((inputs.Times[next], next));
            double previous = list.Count > 0 ? list[^1].Time : t0;
            double following = next < inputs.Count ? inputs.Times[next] : tEnd;
            double slack = 1e-6 * Math.Abs(spacing);
            if (Math.Abs(g - previous) > slack && Math.Abs(following - g) > slack) list.Add((g, -1));
        }
        for (; next < inputs.Count; next++) list.Add((inputs.Times[next], next));
        bounds = new double[list.Count];
        observation = new int[list.Count];
        for (int b = 0; b < list.Count; b++) (bounds[b], observation[b]) = list[b];
    }
}
