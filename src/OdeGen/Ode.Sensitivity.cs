using OdeGen.Solvers;

namespace OdeGen;

/// <summary>Entry points: solve, and differentiate solves (this file: the sensitivity entry points).</summary>
public static partial class Ode
{
    /// <summary>
    /// The tangent of a solve for one nudge of its inputs (a Jacobian-vector product through the ODE):
    /// solves [y; z] with z' = ∂f/∂y·z + ∂f/∂p·ṗ, z(t0) = ẏ0 − f(t0, y0)·ṫ0, using the system's generated
    /// <see cref="IOdeSystem.Jvp"/>, and returns z(t1) + f(t1, y(t1))·ṫ1.
    /// </summary>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0">Initial state (length StateCount).</param>
    /// <param name="p">Parameters (length ParameterCount).</param>
    /// <param name="t0">Initial time.</param>
    /// <param name="t1">Final time (before t0 integrates backwards).</param>
    /// <param name="y0Dot">Nudge of y0 (length StateCount).</param>
    /// <param name="pDot">Nudge of p (length ParameterCount).</param>
    /// <param name="t0Dot">Nudge of t0.</param>
    /// <param name="t1Dot">Nudge of t1.</param>
    /// <param name="options">Solver options; <see cref="SolverOptions.SaveAt"/> adds tangents at those times.</param>
    /// <param name="tangentInErrorControl">
    /// True (default): the step-size controller sees y and z. False: only y, so the steps are those of a plain
    /// solve (exactly, when the system's Jvp computes f as Evaluate does) and z follows them. Explicit methods only.
    /// </param>
    /// <remarks>
    /// Stiff methods (<see cref="OdeMethod.IsStiff"/>) step [y; z] with the Jacobian [[J, 0], [H, J]], J from the generated
    /// <see cref="IOdeSystem.Jacobian"/> and H = ∂(J·z + ∂f/∂p·ṗ)/∂y by forward differences of the JVP (docs/sensitivity.md).
    /// </remarks>
    /// <exception cref="ArgumentException">A size does not match the system, a value is not finite, or SaveAt lies outside [t0, t1].</exception>
    /// <exception cref="NotSupportedException">A stiff method with <paramref name="tangentInErrorControl"/> false.</exception>
    /// <exception cref="ArgumentException">
    /// An event in <see cref="SolverOptions.Events"/> without <see cref="OdeEvent.Gradient"/>, or a reset without its Jacobian:
    /// event times and resets are differentiated (docs/sensitivity.md, "Events"; <see cref="OdeTangent.EventTimeTangents"/>).
    /// </exception>
    /// <returns>The result; a failed solve is reported in <see cref="OdeTangent.Status"/> with NaN results, not thrown.</returns>
    public static OdeTangent Jvp<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0, double t1,
        ReadOnlySpan<double> y0Dot, ReadOnlySpan<double> pDot, double t0Dot = 0, double t1Dot = 0, SolverOptions? options = null,
        bool tangentInErrorControl = true)
        where TSystem : struct, IOdeSystem
    {
        options ??= SolverOptions.Default;
        Guard.StateAndParameters(system, y0, p);
        Guard.FiniteVector(y0Dot, system.StateCount, nameof(y0Dot), "StateCount");
        Guard.FiniteVector(pDot, system.ParameterCount, nameof(pDot), "ParameterCount");
        Guard.Interval(t0, t1);
        Guard.FiniteTime(t0Dot, nameof(t0Dot));
        Guard.FiniteTime(t1Dot, nameof(t1Dot));
        double[] saveTimes = SaveTimes.Check(options.SaveAt, t0, t1);

        int n = system.StateCount;
        double[] pArray = p.ToArray();
        var counter = new EvaluationCounter();
        OdeMethod method = options.Method;
        if (!tangentInErrorControl)
            method.Require(m => m.SupportsPartialErrorControl, "Ode.Jvp with the tangent left out of error control (tangentInErrorControl = false)",
                "Or pass tangentInErrorControl: true.");
        var field = new TangentField<TSystem>(system, pArray, pDot.ToArray(), counter,
            withDerivatives: method.IsStiff, couplingByDifferences: method.IsStiff);
        var integrator = options.Method.CreateIntegrator<TangentField<TSystem>>(2 * n, AugmentedOptions.For(options, 2 * n, n));
        if (!tangentInErrorControl) integrator.ErrorComponents = n;

        // Starting later by ṫ0 with the same y0 is, to first order, starting at t0 from y0 − f(t0, y0)·ṫ0.
        var x0 = new double[2 * n];
        y0.CopyTo(x0);
        y0Dot.CopyTo(x0.AsSpan(n));
        var f = new double[n];
        if (t0Dot != 0)
        {
            counter.Function++;
            system.Evaluate(t0, y0, pArray, f);
            for (int i = 0; i < n; i++) x0[n + i] -= f[i] * t0Dot;
        }

        var saved = new double[saveTimes.Length * 2 * n];
        ForwardEventRun<TSystem>? events = null;
        if (options.Events is { Count: > 0 } list)
        {
            EventJump.Require(list, "Ode.Jvp");
            events = new ForwardEventRun<TSystem>(system, pArray, list, options.EventInteriorPoints, 1, pDot.ToArray());
            events.Start(t0, x0);
        }
        OdeStatus status = SolveThroughSaveTimes(integrator, field, events, x0, t0, t1, saveTimes, saved);
        double[] state = x0[..n];
        double[] tangent = x0[n..];
        // After a terminal event the state is held, so moving t1 changes nothing.
        if (status == OdeStatus.Success && t1Dot != 0 && events is not { Terminated: true })
        {
            counter.Function++;
            system.Evaluate(t1, state, pArray, f);
            for (int i = 0; i < n; i++) tangent[i] += f[i] * t1Dot;
        }
        if (status != OdeStatus.Success)
        {
            Array.Fill(state, double.NaN);
            Array.Fill(tangent, double.NaN);
            Array.Fill(saved, double.NaN);
        }
        var savedStates = new double[saveTimes.Length * n];
        var savedTangents = new double[saveTimes.Length * n];
        for (int k = 0; k < saveTimes.Length; k++)
        {
            saved.AsSpan(2 * k * n, n).CopyTo(savedStates.AsSpan(k * n, n));
            saved.AsSpan(2 * k * n + n, n).CopyTo(savedTangents.AsSpan(k * n, n));
        }
        return new OdeTangent(state, tangent, saveTimes, savedStates, savedTangents, integrator.Stats, counter.Jvp, counter.Function, status)
        {
            Events = events?.Occurrences ?? [],
            EventTimeTangents = events is null ? [] : [.. events.TimeDerivatives.Select(tau => status == OdeStatus.Success ? tau[0] : double.NaN)],
        };
    }

    /// <summary>
    /// The full forward sensitivities of a solve: y(t1) with ∂y(t1)/∂y0, ∂y(t1)/∂p (and the end-time
    /// derivatives), by integrating the state together with its n × (n + m) sensitivity matrix built from the
    /// system's generated <see cref="IOdeSystem.Jacobian"/>.
    /// </summary>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0">Initial state (length StateCount).</param>
    /// <param name="p">Parameters (length ParameterCount).</param>
    /// <param name="t0">Initial time.</param>
    /// <param name="t1">Final time (before t0 integrates backwards).</param>
    /// <param name="options">Solver options; <see cref="SolverOptions.SaveAt"/> adds sensitivities at those times.</param>
    /// <param name="sensitivity">Settings (error control); <see cref="Sensitivity.Forward"/> when null.</param>
    /// <remarks>Stiff methods work too (the augmented Jacobian is described in docs/sensitivity.md, "Stiff problems").</remarks>
    /// <exception cref="ArgumentException">A size does not match the system, a value is not finite, or SaveAt lies outside [t0, t1].</exception>
    /// <exception cref="NotSupportedException">A stiff method with <see cref="ForwardSensitivity.SensitivitiesInErrorControl"/> false.</exception>
    /// <exception cref="ArgumentException">
    /// An event in <see cref="SolverOptions.Events"/> without <see cref="OdeEvent.Gradient"/>, or a reset without its Jacobian:
    /// event times and resets are differentiated (docs/sensitivity.md, "Events"; <see cref="OdeSensitivities.EventSensitivities"/>).
    /// </exception>
    /// <returns>The result; a failed solve is reported in <see cref="OdeSensitivities.Status"/> with NaN results, not thrown.</returns>
    public static OdeSensitivities Sensitivities<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, double t1, SolverOptions? options = null, ForwardSensitivity? sensitivity = null)
        where TSystem : struct, IOdeSystem
    {
        options ??= SolverOptions.Default;
        ForwardSensitivity forward = sensitivity ?? Sensitivity.Forward;
        Guard.StateAndParameters(system, y0, p);
        Guard.Interval(t0, t1);
        double[] saveTimes = SaveTimes.Check(options.SaveAt, t0, t1);

        int n = system.StateCount, m = system.ParameterCount;
        double[] pArray = p.ToArray();
        var counter = new EvaluationCounter();
        var integrator = ForwardSensitivitySolver.CreateIntegrator(system, pArray, options, forward.SensitivitiesInErrorControl, counter, out var field);
        double[] x0 = ForwardSensitivitySolver.InitialState(y0, m);
        int d = x0.Length;
        var saved = new double[saveTimes.Length * d];
        ForwardEventRun<TSystem>? events = null;
        if (options.Events is { Count: > 0 } list)
        {
            EventJump.Require(list, "Ode.Sensitivities");
            events = new ForwardEventRun<TSystem>(system, pArray, list, options.EventInteriorPoints, n + m, ForwardSensitivitySolver.ParameterSeed(n, m));
            events.Start(t0, x0);
        }
        OdeStatus status = SolveThroughSaveTimes(integrator, field, events, x0, t0, t1, saveTimes, saved);

        ReadOnlySpan<double> x = x0;
        double[] state = x[..n].ToArray();
        double[] dydy0 = OdeSensitivities.Split(x, n, m, 0, n);
        double[] dydp = OdeSensitivities.Split(x, n, m, n, m);
        var dydt0 = new double[n];
        var dydt1 = new double[n];
        if (status == OdeStatus.Success)
        {
            var f0 = new double[n];
            counter.Function += 2;
            system.Evaluate(t0, y0, pArray, f0);
            system.Evaluate(t1, state, pArray, dydt1);
            if (events is { Terminated: true }) Array.Clear(dydt1);
            for (int i = 0; i < n; i++) dydt0[i] = -ForwardSensitivitySolver.Dot(dydy0.AsSpan(i * n, n), f0);
        }
        else
        {
            foreach (double[] a in new[] { state, dydy0, dydp, dydt0, dydt1, saved }) Array.Fill(a, double.NaN);
        }
        return new OdeSensitivities(n, m, state, dydy0, dydp, dydt0, dydt1, saveTimes, saved, integrator.Stats,
            counter.Function, counter.Jacobian, status)
        {
            Events = events?.Occurrences ?? [],
            EventSensitivities = events is null ? [] : ForwardSensitivitySolver.EventSensitivities(system, events, y0, pArray, t0, status),
        };
    }

    // The forward pass of Jvp and Sensitivities: the observation shell's pass through [t0, t1] with the save times taken
    // from the dense output (so saving does not shorten the steps), through the events when there are some. x0 ends as
    // the final state.
    private static OdeStatus SolveThroughSaveTimes<TSystem, TField>(IOdeIntegrator<TField> integrator, in TField field,
        ForwardEventRun<TSystem>? events, double[] x0, double t0, double t1, double[] saveTimes, double[] saved)
        where TSystem : struct, IOdeSystem where TField : struct, IJacobianField
    {
        int d = x0.Length;
        // The shell keeps the state at both ends of [t0, t1]: on the stack when small (nothing allocated beyond x0).
        Span<double> states = 2 * d <= 512 ? stackalloc double[2 * d] : new double[2 * d];
        x0.CopyTo(states);
        var run = new ForwardIntervals<TSystem, TField>(events, x0);
        OdeStatus status = ObservationShell.SolveThroughObservations(integrator, field, [t0, t1], saveTimes, t1 >= t0 ? 1.0 : -1.0,
            states, saved, ref run);
        states.Slice(d, d).CopyTo(x0);
        return status;
    }

    /// <summary>
    /// The gradient of a loss on the states at observation times: dL/dy0, dL/dp, dL/dt0 and dL/dtimes[i],
    /// given ∂L/∂y(times[i]) as row i of <paramref name="dLdy"/>.
    /// </summary>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0">Initial state (length StateCount).</param>
    /// <param name="p">Parameters (length ParameterCount).</param>
    /// <param name="t0">Initial time.</param>
    /// <param name="times">
    /// Observation times: strictly increasing, all after t0; or, for a problem solved backwards in time,
    /// strictly decreasing, all before t0. times[0] may equal t0 (the loss then sees y0 itself).
    /// </param>
    /// <param name="dLdy">∂L/∂y(times[i]) as row i: times.Length × StateCount, row-major.</param>
    /// <param name="sensitivity">
    /// How to differentiate. When null: <see cref="Sensitivity.InterpolatingAdjoint"/> with its default checkpoints, for every
    /// solver method. It is the stable adjoint: the back-solve adjoint re-integrates the state backwards and can return a
    /// wrong gradient with a Success status on chaotic or dissipative problems (Lorenz at T = 2 is 9 % off), so it
    /// must be asked for by name (<see cref="Sensitivity.BacksolveAdjoint"/>).
    /// </param>
    /// <param name="options">
    /// Solver options for every pass (SaveAt is not used). MaxSteps bounds each run of a pass: the run from one observation
    /// time (or checkpoint) to the next, across the restarts of the events' resets in it. A stiff method
    /// (<see cref="OdeMethod.Rodas4"/>, <see cref="OdeMethod.Kvaerno5"/>) works with <see cref="Sensitivity.Forward"/> and
    /// <see cref="Sensitivity.InterpolatingAdjoint"/>, which then use it for every pass, forward and backward.
    /// </param>
    /// <exception cref="NotSupportedException">
    /// A stiff method with <see cref="Sensitivity.BacksolveAdjoint"/> or <see cref="Sensitivity.DiscreteAdjoint"/> given explicitly,
    /// or with state-only error control (<see cref="ForwardSensitivity.SensitivitiesInErrorControl"/> false,
    /// <see cref="AdjointSensitivity.Seminorm"/>): the message names what to use instead. Also
    /// <see cref="SolverOptions.Events"/> with <see cref="Sensitivity.BacksolveAdjoint"/> or <see cref="Sensitivity.DiscreteAdjoint"/>:
    /// <see cref="Sensitivity.Forward"/> and <see cref="Sensitivity.InterpolatingAdjoint"/> differentiate through events
    /// (event times by the implicit function theorem, terminal events, resets; docs/sensitivity.md, "Events").
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A size does not match (the message names the expected size), a value is not finite, or the times are not
    /// strictly monotone away from t0; or an event without <see cref="OdeEvent.Gradient"/> (a reset without its Jacobian).
    /// </exception>
    /// <returns>
    /// The gradient. A failed forward or backward solve does not throw: <see cref="OdeGradient.Status"/> says why
    /// and every gradient entry is NaN.
    /// </returns>
    public static OdeGradient Gradient<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0,
        ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, Sensitivity? sensitivity = null, SolverOptions? options = null)
        where TSystem : struct, IOdeSystem
    {
        GradientWorkspace<TSystem> workspace = GradientWorkspace<TSystem>.Rent();
        try
        {
            workspace.Inputs = GradientInputs.Create(system, y0, p, t0, times, dLdy, workspace.Inputs);
            return Compute(system, workspace, sensitivity, options);
        }
        finally
        {
            workspace.Return();
        }
    }

    /// <summary>
    /// <see cref="Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> for a loss that is computed from the forward pass itself: once the method's forward solve has
    /// the states at <paramref name="times"/>, <paramref name="loss"/> gets them (row i = y(times[i])) and writes
    /// ∂L/∂y into its second argument (zeroed before the call, times.Length × StateCount); the backward pass then
    /// uses it. One forward solve serves both the loss and the gradient, where computing ∂L/∂y first would need a
    /// solve of its own. The result carries the loss (<see cref="OdeGradient.Loss"/>) and the states
    /// (<see cref="OdeGradient.States"/>). Arguments, exceptions and failures as in <see cref="Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>.
    /// </summary>
    /// <remarks>
    /// With <see cref="Sensitivity.Forward"/> the sensitivities at every observation time are kept until the loss has
    /// been called (times.Length × StateCount × (StateCount + ParameterCount) doubles); the adjoints keep nothing extra.
    /// The loss is called once, on the thread of the call, and not at all when the forward pass fails.
    /// </remarks>
    public static OdeGradient LossGradient<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0,
        ReadOnlySpan<double> times, ObservationLoss loss, Sensitivity? sensitivity = null, SolverOptions? options = null)
        where TSystem : struct, IOdeSystem
    {
        GradientWorkspace<TSystem> workspace = GradientWorkspace<TSystem>.Rent();
        try
        {
            workspace.Inputs = GradientInputs.Create(system, y0, p, t0, times, loss, workspace.Inputs);
            return Compute(system, workspace, sensitivity, options);
        }
        finally
        {
            workspace.Return();
        }
    }

    /// <summary>The sensitivity of Ode.Gradient when none is given (one instance, so its workspace is found again).</summary>
    internal static readonly InterpolatingAdjointSensitivity DefaultSensitivity = Sensitivity.InterpolatingAdjoint();

    /// <summary>
    /// The gradient of <paramref name="workspace"/>'s inputs (<see cref="GradientWorkspace{TSystem}.Compute"/>). The result's
    /// arrays are the caller's: the workspace is the thread's, and its next call overwrites its buffers. A failure is
    /// returned in the result's status, as Ode.Gradient documents, not thrown.
    /// </summary>
    private static OdeGradient Compute<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, Sensitivity? sensitivity, SolverOptions? options)
        where TSystem : struct, IOdeSystem =>
        workspace.Compute(system, sensitivity, options).ToGradient();

    internal static OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, Sensitivity? sensitivity, SolverOptions? options)
        where TSystem : struct, IOdeSystem
    {
        options ??= SolverOptions.Default;
        sensitivity ??= DefaultSensitivity;
        OdeGradient g = sensitivity.Compute(system, inputs, options);
        g.States = inputs.States;
        g.Loss = g.IsSuccess ? inputs.LossValue : double.NaN;
        return g;
    }
}

/// <summary>
/// A loss on the states at the observation times, for <see cref="Ode.LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/>:
/// returns L(y(times[0]), …, y(times[N−1])) and writes ∂L/∂y(times[i]) as row i of <paramref name="dLdy"/>.
/// </summary>
/// <param name="states">Row i = y(times[i]), times.Length × StateCount, row-major.</param>
/// <param name="dLdy">Where ∂L/∂y goes, in the same layout; all zero on entry.</param>
/// <returns>The loss.</returns>
public delegate double ObservationLoss(ReadOnlySpan<double> states, Span<double> dLdy);
