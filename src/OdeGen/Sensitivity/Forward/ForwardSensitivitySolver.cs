using OdeGen.Solvers;

namespace OdeGen;

/// <summary>Forward sensitivities: one solve of the state with its full sensitivity matrix.</summary>
internal static class ForwardSensitivitySolver
{
    /// <summary>Layout of the augmented state: y (n), then S = [∂y/∂y0 | ∂y/∂p] row-major, n × (n + m).</summary>
    public static int Dimension(int n, int m) => n + n * (n + m);

    /// <summary>
    /// The integrator for [y; S] with the options' method. Stiff methods get the augmented Jacobian with its coupling
    /// blocks by differences (see <see cref="ForwardSensitivityField{TSystem}"/>): Rosenbrock methods need the exact
    /// Jacobian for their order (block-diagonal, Rodas4 took 44,089 steps instead of 131 on Robertson to t = 40 at
    /// rtol 1e-4), and Kvaerno5's Newton iteration converges better with it (64 steps instead of 101, 110 instead of 401 at 1e-6).
    /// </summary>
    /// <exception cref="NotSupportedException">A stiff method with state-only error control.</exception>
    public static IOdeIntegrator<ForwardSensitivityField<TSystem>> CreateIntegrator<TSystem>(
        in TSystem system, double[] p, SolverOptions options, bool sensitivitiesInErrorControl, EvaluationCounter counter,
        out ForwardSensitivityField<TSystem> field) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        OdeMethod method = options.Method;
        if (!sensitivitiesInErrorControl)
            method.Require(m => m.SupportsPartialErrorControl, "Forward sensitivities left out of error control (SensitivitiesInErrorControl = false)",
                "Or set SensitivitiesInErrorControl = true (Sensitivity.Forward).");
        field = new ForwardSensitivityField<TSystem>(system, p, counter, withDerivatives: method.IsStiff, couplingByDifferences: method.IsStiff);
        var integrator = options.Method.CreateIntegrator<ForwardSensitivityField<TSystem>>(Dimension(n, m), AugmentedOptions.For(options, Dimension(n, m), n));
        if (!sensitivitiesInErrorControl) integrator.ErrorComponents = n;
        return integrator;
    }

    /// <summary>The augmented initial state [y0; I | 0].</summary>
    public static double[] InitialState(ReadOnlySpan<double> y0, int m)
    {
        int n = y0.Length, cols = n + m;
        var x = new double[Dimension(n, m)];
        y0.CopyTo(x);
        for (int i = 0; i < n; i++) x[n + i * cols + i] = 1.0;
        return x;
    }

    /// <summary>θ's direction of each column of S = [∂y/∂y0 | ∂y/∂θ]: [0 | I], m × (n + m).</summary>
    public static double[] ParameterSeed(int n, int m)
    {
        var seed = new double[m * (n + m)];
        for (int k = 0; k < m; k++) seed[k * (n + m) + n + k] = 1.0;
        return seed;
    }

    /// <summary>The event-time and event-state sensitivities of a run with S = [∂y/∂y0 | ∂y/∂θ] (NaN when it failed).</summary>
    public static OdeEventSensitivity[] EventSensitivities<TSystem>(in TSystem system, ForwardEventRun<TSystem> events,
        ReadOnlySpan<double> y0, double[] p, double t0, OdeStatus status) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount, m = system.ParameterCount, cols = n + m;
        var f0 = new double[n];
        system.Evaluate(t0, y0, p, f0);
        var result = new OdeEventSensitivity[events.TimeDerivatives.Count];
        for (int q = 0; q < result.Length; q++)
        {
            double[] tau = events.TimeDerivatives[q], dy = events.StateDerivatives[q];
            if (status != OdeStatus.Success)
            {
                Array.Fill(tau, double.NaN);
                Array.Fill(dy, double.NaN);
            }
            // dy is S alone (n × (n + m)); Split reads S after the n state components of an augmented state.
            double[] augmented = [.. new double[n], .. dy];
            double[] dydy0 = OdeSensitivities.Split(augmented, n, m, 0, n);
            double[] dydp = OdeSensitivities.Split(augmented, n, m, n, m);
            result[q] = new OdeEventSensitivity(events.Occurrences[q], tau[..n], tau[n..cols], -Dot(tau.AsSpan(0, n), f0), dydy0, dydp);
        }
        return result;
    }

    public static OdeGradient Gradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, ForwardSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        int n = inputs.StateCount, m = inputs.ParameterCount, cols = n + m, count = inputs.Count;
        var counter = new EvaluationCounter();
        var integrator = CreateIntegrator(system, inputs.P, options, sensitivity.SensitivitiesInErrorControl, counter, out var field);
        double[] x = InitialState(inputs.Y0, m);
        var gY0 = new double[n];
        var gP = new double[m];
        var ys = new double[count * n];
        // With a loss computed from the forward states, ∂L/∂y is known only after the last observation, so the
        // augmented states are kept until then; with dLdy given, each one is used as soon as it is reached.
        int d = x.Length;
        double[] kept = inputs.Loss is null ? [] : new double[count * d];
        ForwardEventRun<TSystem>? events = null;
        if (options.Events is { Count: > 0 } list)
        {
            EventJump.Require(list, "Ode.Gradient with Sensitivity.Forward");
            events = new ForwardEventRun<TSystem>(system, inputs.P, list, options.EventInteriorPoints, cols, ParameterSeed(n, m));
            events.Start(inputs.T0, x);
        }
        // The shell's loop: restart at each observation time so y(t_i) and S(t_i) are step end points, not interpolants.
        var run = new ForwardIntervals<TSystem, ForwardSensitivityField<TSystem>>(events, x);
        var sink = new Observations(inputs, x, ys, kept, gY0, gP);
        OdeStatus status = ObservationShell.SolveToObservations(integrator, field, x, inputs.T0, inputs.Times, ref run, ref sink);
        // After a terminal event the state is held: moving a later observation time changes nothing.
        bool[] held = events is null ? [] : new bool[count];
        for (int i = 0; i < held.Length; i++) held[i] = events!.IsHeld(inputs.Times[i], inputs.Direction);
        double[] gTimes = ObservationShell.Observe(system, inputs, status, ys, counter, held);
        if (status == OdeStatus.Success && inputs.Loss is not null)
            for (int i = 0; i < count; i++) sink.Accumulate(i, kept.AsSpan(i * d, d));
        double gT0 = double.NaN;
        if (status == OdeStatus.Success)
        {
            // Moving t0 with y0 fixed shifts every y(t) by −Φ(t, t0)·f(t0, y0), hence dL/dt0 = −dL/dy0 · f(t0, y0).
            var f = new double[n];
            counter.Function++;
            system.Evaluate(inputs.T0, inputs.Y0, inputs.P, f);
            gT0 = -Dot(gY0, f);
        }
        var stats = new GradientStats(integrator.Stats, default, counter.Function, counter.Jvp, counter.Vjp, counter.Jacobian);
        OdeGradient result = ObservationShell.Result(gY0, gP, gT0, gTimes, stats, status, sensitivity);
        result.Events = events?.Occurrences ?? [];
        return result;
    }

    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => ObservationShell.Dot(a, b);

    // At each observation: y into its row, and the sensitivities used at once (dLdy given) or kept until the loss is known.
    private readonly struct Observations(GradientInputs inputs, double[] x, double[] ys, double[] kept, double[] gY0, double[] gP) : IObservationSink
    {
        public ReadOnlySpan<double> Reached(int i, ReadOnlySpan<double> state)
        {
            int n = inputs.StateCount, d = x.Length;
            state.CopyTo(x);
            x.AsSpan(0, n).CopyTo(ys.AsSpan(i * n, n));
            if (inputs.Loss is null) Accumulate(i, x);
            else x.CopyTo(kept, i * d);
            return x;
        }

        // dL/dy0 += ∂L/∂y_iᵀ·∂y_i/∂y0 and dL/dp += ∂L/∂y_iᵀ·∂y_i/∂p, one row of S per state component.
        public void Accumulate(int i, ReadOnlySpan<double> xi)
        {
            int n = inputs.StateCount, m = inputs.ParameterCount, cols = n + m;
            ReadOnlySpan<double> w = inputs.DLdyRow(i);
            ReadOnlySpan<double> s = xi.Slice(n, n * cols);
            for (int k = 0; k < n; k++)
            {
                double wk = w[k];
                if (wk == 0) continue;
                ReadOnlySpan<double> sRow = s.Slice(k * cols, cols);
                for (int c = 0; c < n; c++) gY0[c] += wk * sRow[c];
                for (int c = 0; c < m; c++) gP[c] += wk * sRow[n + c];
            }
        }
    }
}
