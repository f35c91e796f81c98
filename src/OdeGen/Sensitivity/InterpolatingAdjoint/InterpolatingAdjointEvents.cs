using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The interpolating adjoint through events (<see cref="SolverOptions.Events"/>). The forward pass locates the events and
/// ends a segment at each one that stops or resets the solve, keeping the state where every segment starts (y⁺ after a
/// reset). The backward pass goes through the segments from the last: at a segment's end it adds the observation's loss
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
        int count = bounds.Length;

        // Forward pass: segments between boundaries and stopping events, each with the state it starts from.
        var systemField = new SystemField<TSystem>(system, p);
        var forward = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
        var locator = new EventLocator(events, n, n);
        var occurrences = new List<OdeEventOccurrence>();
        var segments = new List<Segment>(count + 4);
        var ys = new double[inputs.Count * n];
        double[] y = inputs.Y0.ToArray();
        double from = bounds[0];
        if (observation[0] >= 0) y.CopyTo(ys, observation[0] * n);
        locator.Start(from, y);
        OdeStatus status = OdeStatus.Success;
        double[]? held = null;
        int b = 1;
        for (; b < count && status == OdeStatus.Success && held is null; b++)
        {
            double to = bounds[b];
            forward.Reset(systemField, y, from, to);
            while (true)
            {
                if (!forward.Step())
                {
                    status = forward.Status;
                    if (status != OdeStatus.Success) break;
                    segments.Add(new Segment(from, to, y, observation[b], -1));
                    y = forward.State.ToArray();
                    from = to;
                    if (observation[b] >= 0) y.CopyTo(ys, observation[b] * n);
                    break;
                }
                int fired = locator.Check(forward, occurrences);
                if (fired < 0) continue;
                double t = locator.StopTime;
                OdeEventOccurrence occurrence = occurrences[^1];
                segments.Add(new Segment(from, t, y, -1, occurrences.Count - 1));
                if (occurrence.Event.Terminal)
                {
                    held = occurrence.State.ToArray();
                    break;
                }
                var after = new double[n];
                occurrence.Event.Reset!.Map(occurrence.State, p, after);
                occurrence.SetStateAfter(after);
                y = after;
                from = t;
                forward.Restart(t, y);
                locator.Restart(t, y, fired);
                SolverStats stats = forward.Stats;
                if (stats.Steps + stats.RejectedSteps >= options.MaxSteps)
                {
                    status = OdeStatus.MaxStepsExceeded;
                    break;
                }
            }
        }
        // After a terminal event every later observation (including the one the interrupted segment was heading for) sees y(t*).
        var isHeld = new bool[inputs.Count];
        if (held is not null)
        {
            for (int c = b - 1; c < count; c++)
            {
                int i = observation[c];
                if (i < 0) continue;
                isHeld[i] = true;
                held.CopyTo(ys, i * n);
            }
        }
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
}
