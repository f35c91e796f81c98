using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The interpolating adjoint through events (<see cref="SolverOptions.Events"/>). The forward pass (the observation shell's
/// loop, <see cref="ObservationShell.SolveToObservations{TField, TRun, TSink}"/>, through every segment boundary) locates the
/// events and ends a segment at each one that stops or resets the solve, keeping the state where every segment starts (y⁺
/// after a reset). The backward pass goes through the segments from the last: at a segment's end it adds the observation's loss
/// term or applies the event's adjoint jump (<see cref="EventJump.Adjoint"/>), then re-solves the segment from its start
/// and integrates the adjoint back across it, as <see cref="InterpolatingAdjointSolver"/> does.
/// </summary>
/// <remarks>
/// After a terminal event the state is held: observations at or after it see y(t*), their rows of ∂L/∂y are added to λ at
/// t*, and dL/dtimes is zero for them. dL/dt0 is −dL/dy0·f(t0, y0) (moving t0 with y0 fixed moves the whole trajectory,
/// events included). The observations are always segment ends here (<see cref="InterpolatingAdjointSensitivity.InterpolateObservations"/>
/// is not used). The segment that ends at an event is re-solved to the event time, so its last step is not the forward
/// pass's step across the event: its states agree with the forward pass's to the solver's tolerance, not to rounding.
/// Allocates per segment start and per event occurrence.
/// </remarks>
internal static class InterpolatingAdjointEvents
{
    private readonly record struct Segment(double From, double To, double[] Start, int Observation, int Event);

    public static OdeGradient Gradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, InterpolatingAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        IReadOnlyList<OdeEvent> events = options.Events!;
        EventJump.Require(events, "Ode.Gradient with Sensitivity.InterpolatingAdjoint");
        int n = inputs.StateCount, m = inputs.ParameterCount;
        var counter = new EvaluationCounter();
        double[] p = inputs.P;
        InterpolatingAdjointSolver.Boundaries(inputs, sensitivity.Checkpoints, out double[] bounds, out int[] observation);

        // Forward pass: the shell's loop through every boundary (bounds[0] = t0), each interval through the events; segments
        // end at the boundaries and at every event that stops or resets the solve, each with the state it starts from.
        var systemField = new SystemField<TSystem>(system, p);
        var forward = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
        var ys = new double[inputs.Count * n];
        if (observation[0] >= 0) inputs.Y0.CopyTo(ys.AsSpan(observation[0] * n, n));
        var pass = new ForwardPass<TSystem>(events, options.EventInteriorPoints, inputs, p, bounds, observation, ys);
        var intervals = new Intervals<TSystem>(pass);
        var ends = intervals;
        OdeStatus status = ObservationShell.SolveToObservations(forward, systemField, inputs.Y0, bounds[0], bounds.AsSpan(1), ref intervals, ref ends);
        List<Segment> segments = pass.Segments;
        List<OdeEventOccurrence> occurrences = pass.Occurrences;
        bool[] isHeld = pass.IsHeld;
        double[] gTimes = ObservationShell.Observe(system, inputs, status, ys, counter, isHeld);

        // Backward pass.
        var sweep = new InterpolatingAdjointSweep<TSystem>(system, p, n, m, options, sensitivity, counter);
        var jump = new EventJump(n, m);
        if (status == OdeStatus.Success)
        {
            for (int i = 0; i < inputs.Count; i++)
                if (isHeld[i]) sweep.AddObservation(inputs.DLdyRow(i), 0.0);
            for (int s = segments.Count - 1; s >= 0 && status == OdeStatus.Success; s--)
            {
                Segment segment = segments[s];
                if (segment.Event >= 0)
                {
                    OdeEventOccurrence o = occurrences[segment.Event];
                    counter.Function += o.Event.Terminal ? 1 : 2;
                    if (!jump.Prepare(system, p, o.Event, o.Time, o.State, o.Event.Terminal ? [] : o.StateAfter, o.MeanSlope))
                    {
                        status = OdeStatus.GrazingEvent;
                        break;
                    }
                    jump.Adjoint(sweep.X.AsSpan(0, n), sweep.X.AsSpan(n, m));
                }
                else if (segment.Observation >= 0)
                {
                    sweep.AddObservation(inputs.DLdyRow(segment.Observation), gTimes[segment.Observation]);
                }
                if (segment.From == segment.To) continue;
                status = sweep.Resolve(systemField, segment.Start, segment.From, segment.To);
                if (status != OdeStatus.Success) break;
                status = sweep.Integrate(segment.To, segment.From);
            }
            if (status == OdeStatus.Success && observation[0] >= 0) sweep.AddObservation(inputs.DLdyRow(observation[0]), gTimes[observation[0]]);
            // dL/dt0 = −dL/dy0 · f(t0, y0): the integrated time adjoint has no jumps at the events, this identity needs none.
            var f = new double[n];
            counter.Function++;
            system.Evaluate(inputs.T0, inputs.Y0, p, f);
            sweep.X[n + m] = -ForwardSensitivitySolver.Dot(sweep.X.AsSpan(0, n), f);
        }

        OdeGradient g = sweep.Result(forward.Stats, counter, options.Method, gTimes, status, sensitivity);
        g.Events = occurrences;
        return g;
    }

    /// <summary>
    /// The forward pass's state between the shell's calls: where the current segment starts (time and state), the segments
    /// so far, the located events, and the state held after a terminal event.
    /// </summary>
    private sealed class ForwardPass<TSystem>(IReadOnlyList<OdeEvent> events, int interiorPoints, GradientInputs inputs, double[] p, double[] bounds,
        int[] observation, double[] ys) where TSystem : struct, IOdeSystem
    {
        private readonly int _n = inputs.StateCount;
        private readonly EventLocator _locator = Started(events, interiorPoints, inputs, bounds[0]);
        private double[] _y = inputs.Y0.ToArray();
        private double _from = bounds[0];
        private double[]? _held;

        public List<Segment> Segments { get; } = new(bounds.Length + 4);
        public List<OdeEventOccurrence> Occurrences { get; } = [];
        /// <summary>Observations at or after a terminal event (they see the state held there).</summary>
        public bool[] IsHeld { get; } = new bool[inputs.Count];

        private static EventLocator Started(IReadOnlyList<OdeEvent> events, int interiorPoints, GradientInputs inputs, double t0)
        {
            var locator = new EventLocator(events, interiorPoints, inputs.StateCount, inputs.StateCount);
            locator.Start(t0, inputs.Y0);
            return locator;
        }

        // From the segment's start to the boundary, ending a segment at every event that stops or resets the solve. After a
        // terminal event nothing is integrated: every later interval ends in the held state.
        public OdeStatus Run(IOdeIntegrator<SystemField<TSystem>> forward, in SystemField<TSystem> field, ReadOnlySpan<double> start, double to)
        {
            if (_held is not null) return OdeStatus.Success;
            forward.Reset(field, start, _from, to);
            while (forward.Step())
            {
                int fired = _locator.Check(forward, Occurrences);
                if (fired < 0) continue;
                double t = _locator.StopTime;
                OdeEventOccurrence occurrence = Occurrences[^1];
                Segments.Add(new Segment(_from, t, _y, -1, Occurrences.Count - 1));
                if (occurrence.Event.Terminal)
                {
                    _held = occurrence.State.ToArray();
                    return OdeStatus.Success;
                }
                var after = new double[_n];
                occurrence.Event.Reset!.Map(occurrence.State, p, after);
                occurrence.SetStateAfter(after);
                _y = after;
                _from = t;
                forward.Restart(t, _y);
                _locator.Restart(t, _y, fired);
            }
            return forward.Status;
        }

        public ReadOnlySpan<double> End(IOdeIntegrator<SystemField<TSystem>> forward) => _held ?? forward.State;

        // The boundary bounds[b], b = i + 1, is reached: the segment that ends there (unless a terminal event ended the
        // solve), and the observation there, if any, gets the state (the held one after a terminal event).
        public ReadOnlySpan<double> Reached(int i, ReadOnlySpan<double> x)
        {
            int b = i + 1, o = observation[b];
            if (_held is null)
            {
                Segments.Add(new Segment(_from, bounds[b], _y, o, -1));
                _y = x.ToArray();
                _from = bounds[b];
            }
            if (o >= 0)
            {
                x.CopyTo(ys.AsSpan(o * _n, _n));
                IsHeld[o] = _held is not null;
            }
            return _held ?? _y;
        }
    }

    private readonly struct Intervals<TSystem>(ForwardPass<TSystem> pass) : IIntervalRun<SystemField<TSystem>>, IObservationSink
        where TSystem : struct, IOdeSystem
    {
        public OdeStatus Run(IOdeIntegrator<SystemField<TSystem>> integrator, in SystemField<TSystem> field, ReadOnlySpan<double> start,
            double from, double to, ref DenseObservations observations) => pass.Run(integrator, field, start, to);

        public ReadOnlySpan<double> End(IOdeIntegrator<SystemField<TSystem>> integrator) => pass.End(integrator);

        public ReadOnlySpan<double> Reached(int i, ReadOnlySpan<double> x) => pass.Reached(i, x);
    }
}
