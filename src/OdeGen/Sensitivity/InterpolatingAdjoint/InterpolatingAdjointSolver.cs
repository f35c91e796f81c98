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
/// While the forward pass's dense output fits the record budget (<see cref="InterpolatingAdjointSensitivity.RecordBudgetBytes"/>)
/// there are no checkpoints: the forward pass stops only at the observation times and keeps every step's interpolant, and
/// the backward pass integrates each observation interval against it, with no re-solve.
/// </remarks>
internal static class InterpolatingAdjointSolver
{
    /// <summary>The gradient through events (<see cref="InterpolatingAdjointEvents"/>, which keeps no workspace).</summary>
    public static OdeGradient Gradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        RequireSeminormSupport(options, sensitivity);
        return InterpolatingAdjointEvents.Gradient(system, inputs, options, sensitivity);
    }

    /// <summary>Computes the gradient of <paramref name="workspace"/>'s inputs (no events) into its result buffers.</summary>
    public static void Gradient<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        RequireSeminormSupport(options, sensitivity);
        GradientInputs inputs = workspace.Inputs!;
        int n = inputs.StateCount, m = inputs.ParameterCount;
        if (workspace.Work is not Work<TSystem> work || !work.Fits(sensitivity, options, n, m))
            workspace.Work = work = new Work<TSystem>(system, n, m, options, sensitivity, workspace.Counter);
        work.Bind(system, inputs, sensitivity.Checkpoints, workspace.Counter);
        bool through = sensitivity.InterpolateObservations && inputs.Times[^1] != inputs.T0;
        // First without checkpoints, the forward pass keeping its dense output, while the last call's trajectory fitted the budget.
        int capacity = work.Sweep.RecordCapacity(sensitivity.RecordBudgetBytes);
        if (capacity > 0 && !work.Overflowed)
        {
            bool done = through ? ThroughObservations(system, workspace, work, 1, capacity) : AtObservations(system, workspace, work, 1, capacity);
            if (done) return;
            work.Overflowed = true;
            work.Bind(system, inputs, sensitivity.Checkpoints, workspace.Counter);
        }
        if (through) ThroughObservations(system, workspace, work, sensitivity.Checkpoints, 0);
        else AtObservations(system, workspace, work, sensitivity.Checkpoints, 0);
        // The checkpointed forward pass took at least the steps of one that does not stop at the checkpoints: when they fit, try the record again next time.
        if (work.Forward.Stats.Steps <= capacity) work.Overflowed = false;
    }

    private static void RequireSeminormSupport(SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
    {
        if (sensitivity.Seminorm)
            options.Method.Require(m => m.SupportsPartialErrorControl, "The interpolating adjoint with Seminorm = true (quadratures left out of error control)",
                "Or set Seminorm = false.");
    }

    // Segments at t0, every observation time and the checkpoints between: every y(t_i) is a step end point. With a record
    // capacity (checkpoints = 1) the forward pass keeps every step's dense output and no segment is re-solved; false when the
    // record would pass the capacity (nothing is computed then: the caller starts again with checkpoints).
    private static bool AtObservations<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, Work<TSystem> work, int checkpoints, int capacity)
        where TSystem : struct, IOdeSystem
    {
        GradientInputs inputs = workspace.Inputs!;
        int n = inputs.StateCount, m = inputs.ParameterCount;
        EvaluationCounter counter = workspace.Counter;
        int count = Boundaries(inputs, checkpoints, work.Bounds, work.Observation);
        ReadOnlySpan<double> bounds = work.Bounds.AsSpan(0, count);
        ReadOnlySpan<int> observation = work.Observation.AsSpan(0, count);
        InterpolatingAdjointSweep<TSystem> sweep = work.Sweep;
        bool recorded = capacity > 0;

        // Forward pass: the shell's, through every boundary (bounds[0] = t0), keeping the state at each (and every step's dense output when recorded).
        SystemField<TSystem> systemField = work.SystemField;
        IOdeIntegrator<SystemField<TSystem>> forward = work.Forward;
        Span<double> states = work.States.AsSpan(0, count * n);
        inputs.Y0.CopyTo(states);
        OdeStatus status;
        if (recorded)
        {
            sweep.Record.Clear();
            var run = new RecordingIntervals<SystemField<TSystem>>(sweep.Record, capacity);
            var rows = new Rows(work.States, n, n, null, null);
            status = ObservationShell.SolveToObservations(forward, systemField, inputs.Y0, bounds[0], bounds[1..], ref run, ref rows);
            if (run.Overflowed) return false;
        }
        else
        {
            status = ObservationShell.SolveToObservations(forward, systemField, inputs.Y0, bounds[0], bounds[1..], work.States, offset: n);
        }
        double[] ys = work.Ys;
        for (int b = 0; b < count && status == OdeStatus.Success; b++)
            if (observation[b] >= 0) states.Slice(b * n, n).CopyTo(ys.AsSpan(observation[b] * n, n));
        double[] gTimes = workspace.Times;
        ObservationShell.Observe(system, inputs, status, ys, counter, gTimes, work.F);

        // Backward pass.
        if (status == OdeStatus.Success)
        {
            int last = inputs.Count - 1;
            inputs.DLdyRow(last).CopyTo(sweep.X);
            sweep.X[n + m] = -gTimes[last];
            for (int b = count - 1; b >= 1; b--)
            {
                if (!recorded) status = sweep.Resolve(systemField, states.Slice((b - 1) * n, n), bounds[b - 1], bounds[b]);
                if (status != OdeStatus.Success) break;
                status = sweep.Integrate(bounds[b], bounds[b - 1]);
                if (status != OdeStatus.Success) break;
                int i = observation[b - 1];
                if (i >= 0) sweep.AddObservation(inputs.DLdyRow(i), gTimes[i]);
            }
        }

        sweep.Finish(workspace, forward.Stats, work.Options, status);
        return true;
    }

    /// <summary>
    /// <see cref="InterpolatingAdjointSensitivity.InterpolateObservations"/>: segments only at t0, the even grid of
    /// checkpoints and t_N. Forward, the states at observation times inside a segment come from the dense output of
    /// the step that crosses them; backward, the adjoint stops at each observation time to add its loss term, with
    /// the state interpolated from the segment's re-solve (which takes the forward pass's steps exactly). With a record
    /// capacity (checkpoints = 1) the forward pass keeps every step's dense output instead, and false means it outgrew it.
    /// </summary>
    private static bool ThroughObservations<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, Work<TSystem> work, int checkpoints, int capacity)
        where TSystem : struct, IOdeSystem
    {
        GradientInputs inputs = workspace.Inputs!;
        int n = inputs.StateCount, m = inputs.ParameterCount, total = inputs.Count;
        EvaluationCounter counter = workspace.Counter;
        double[] times = inputs.Times;
        double t0 = inputs.T0, d = inputs.Direction;
        int count = checkpoints + 1;
        InterpolatingAdjointSweep<TSystem> sweep = work.Sweep;
        bool recorded = capacity > 0;
        Span<double> bounds = work.Bounds.AsSpan(0, count);
        bounds[0] = t0;
        for (int j = 1; j < checkpoints; j++) bounds[j] = t0 + j * ((times[^1] - t0) / checkpoints);
        bounds[checkpoints] = times[^1];

        // Forward pass: the state at every boundary, and at every observation time on the way.
        SystemField<TSystem> systemField = work.SystemField;
        IOdeIntegrator<SystemField<TSystem>> forward = work.Forward;
        Span<double> states = work.States.AsSpan(0, count * n);
        double[] ys = work.Ys;
        inputs.Y0.CopyTo(states);
        OdeStatus status;
        if (recorded)
        {
            sweep.Record.Clear();
            var run = new RecordingIntervals<SystemField<TSystem>>(sweep.Record, capacity);
            status = ObservationShell.SolveThroughObservations(forward, systemField, bounds, times, d, states, ys, ref run);
            if (run.Overflowed) return false;
        }
        else
        {
            status = ObservationShell.SolveThroughObservations(forward, systemField, bounds, times, d, states, ys);
        }
        double[] gTimes = workspace.Times;
        ObservationShell.Observe(system, inputs, status, ys, counter, gTimes, work.F);

        // Backward pass, segment by segment; inside a segment, interval by interval between observation times.
        if (status == OdeStatus.Success)
        {
            int i = total - 1;
            inputs.DLdyRow(i).CopyTo(sweep.X);
            sweep.X[n + m] = -gTimes[i];
            i--;
            for (int b = count - 1; b >= 1 && status == OdeStatus.Success; b--)
            {
                if (!recorded) status = sweep.Resolve(systemField, states.Slice((b - 1) * n, n), bounds[b - 1], bounds[b]);
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

        sweep.Finish(workspace, forward.Stats, work.Options, status);
        return true;
    }

    /// <summary>The forward and re-solve integrators, the backward sweep and the buffers, kept between calls with the same options and settings.</summary>
    private sealed class Work<TSystem> : IGradientWork where TSystem : struct, IOdeSystem
    {
        private readonly double[]? _absTol;
        private readonly double? _relTol, _backwardAbsTol;
        private readonly bool _seminorm;
        private readonly int _n, _m, _checkpoints;
        private readonly long _recordBudget;

        public Work(in TSystem system, int n, int m, SolverOptions options, InterpolatingAdjointSensitivity sensitivity, EvaluationCounter counter)
        {
            (Options, _absTol, _n, _m, _checkpoints) = (options, WorkKey.AbsTolCopy(options), n, m, sensitivity.Checkpoints);
            (_relTol, _backwardAbsTol, _seminorm, _recordBudget) = (sensitivity.RelTol, sensitivity.AbsTol, sensitivity.Seminorm, sensitivity.RecordBudgetBytes);
            Forward = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
            Sweep = new InterpolatingAdjointSweep<TSystem>(system, [], n, m, options, sensitivity, counter);
            F = new double[n];
        }

        public SolverOptions Options { get; }
        /// <summary>The last call's forward pass outgrew the record budget (<see cref="InterpolatingAdjointSensitivity.RecordBudgetBytes"/>): checkpoint at once.</summary>
        public bool Overflowed { get; set; }
        public IOdeIntegrator<SystemField<TSystem>> Forward { get; }
        public InterpolatingAdjointSweep<TSystem> Sweep { get; }
        public SystemField<TSystem> SystemField { get; private set; }
        /// <summary>f at an observation.</summary>
        public double[] F { get; }
        /// <summary>Segment boundaries and the observation at each (−1: none), the state at each, y(times[i]) as row i.</summary>
        public double[] Bounds { get; private set; } = [];
        /// <inheritdoc cref="Bounds"/>
        public int[] Observation { get; private set; } = [];
        /// <inheritdoc cref="Bounds"/>
        public double[] States { get; private set; } = [];
        /// <inheritdoc cref="Bounds"/>
        public double[] Ys { get; private set; } = [];

        public long HeldBytes => Sweep.HeldBytes + sizeof(double) * ((long)F.Length + Bounds.Length + States.Length + Ys.Length) + sizeof(int) * (long)Observation.Length;

        // Another checkpoint count builds anew: it is the memory setting, and a segment's dense output keeps its largest size.
        public bool Fits(Sensitivity sensitivity, SolverOptions options, int n, int m) =>
            sensitivity is InterpolatingAdjointSensitivity s && s.RelTol == _relTol && s.AbsTol == _backwardAbsTol && s.Seminorm == _seminorm
            && s.Checkpoints == _checkpoints && s.RecordBudgetBytes == _recordBudget && n == _n && m == _m && WorkKey.SameOptions(Options, _absTol, options);

        /// <summary>Points the fields at this call's system and parameters, clears the counters, sizes the buffers.</summary>
        public void Bind(in TSystem system, GradientInputs inputs, int checkpoints, EvaluationCounter counter)
        {
            SystemField = SystemField.Rebind(system, inputs.P);
            Sweep.Bind(system, inputs.P, counter);
            Forward.ClearStats();
            int boundaries = BoundaryCapacity(inputs, checkpoints);
            if (Bounds.Length < boundaries)
            {
                Bounds = new double[boundaries];
                Observation = new int[boundaries];
                States = new double[boundaries * _n];
            }
            if (Ys.Length != inputs.Count * _n) Ys = new double[inputs.Count * _n];
        }
    }

    /// <summary>
    /// Segment boundaries in the direction of integration: t0, every observation time, and the interior points
    /// of an even grid of <paramref name="checkpoints"/> segments over [t0, t_N]. A grid point closer than a
    /// millionth of the grid spacing to another boundary is dropped (it would make a sliver segment).
    /// <paramref name="observation"/>[b] is the index of the observation time at bounds[b], or −1.
    /// </summary>
    internal static void Boundaries(GradientInputs inputs, int checkpoints, out double[] bounds, out int[] observation)
    {
        var b = new double[BoundaryCapacity(inputs, checkpoints)];
        var o = new int[b.Length];
        int count = Boundaries(inputs, checkpoints, b, o);
        bounds = b[..count];
        observation = o[..count];
    }

    /// <summary>
    /// times.Length + <paramref name="checkpoints"/> + 1, the most boundaries there can be; an ArgumentException when their
    /// states (n each) would not fit in an array, where the sum overflowed int and the call failed with an
    /// IndexOutOfRangeException or OverflowException (Sensitivity.InterpolatingAdjoint(int.MaxValue)).
    /// </summary>
    internal static int BoundaryCapacity(GradientInputs inputs, int checkpoints)
    {
        long boundaries = (long)inputs.Count + checkpoints + 1;
        if (boundaries * Math.Max(inputs.StateCount, 1) > Array.MaxLength)
            throw new ArgumentException(
                $"The interpolating adjoint with {checkpoints} checkpoints and {inputs.Count} observation times keeps the state at up to {boundaries} boundaries, " +
                $"{inputs.StateCount} values each: more than an array holds. Use fewer checkpoints (memory is O((checkpoints + observations)·n); a few dozen usually suffice).", "sensitivity");
        return (int)boundaries;
    }

    /// <summary>
    /// <see cref="Boundaries(GradientInputs, int, out double[], out int[])"/> into buffers of at least times.Length +
    /// <paramref name="checkpoints"/> + 1 entries; returns how many boundaries there are.
    /// </summary>
    internal static int Boundaries(GradientInputs inputs, int checkpoints, Span<double> bounds, Span<int> observation)
    {
        double t0 = inputs.T0, tEnd = inputs.Times[^1], d = inputs.Direction;
        double spacing = (tEnd - t0) / checkpoints;
        int count = 0;
        if (inputs.Times[0] != t0) Add(t0, -1, bounds, observation, ref count);
        int next = 0;
        for (int j = 1; j <= checkpoints; j++)
        {
            double g = j == checkpoints ? tEnd : t0 + j * spacing;
            for (; next < inputs.Count && (inputs.Times[next] - g) * d <= 0; next++) Add(inputs.Times[next], next, bounds, observation, ref count);
            double previous = count > 0 ? bounds[count - 1] : t0;
            double following = next < inputs.Count ? inputs.Times[next] : tEnd;
            double slack = 1e-6 * Math.Abs(spacing);
            if (Math.Abs(g - previous) > slack && Math.Abs(following - g) > slack) Add(g, -1, bounds, observation, ref count);
        }
        for (; next < inputs.Count; next++) Add(inputs.Times[next], next, bounds, observation, ref count);
        return count;

        static void Add(double time, int index, Span<double> bounds, Span<int> observation, ref int count)
        {
            bounds[count] = time;
            observation[count] = index;
            count++;
        }
    }
}
