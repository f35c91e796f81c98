using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The back-solve adjoint (Chen, Rubanova, Bettencourt &amp; Duvenaud 2018, Algorithm 2, extended to a loss
/// at several times by repeating the adjoint step on each interval and summing).
/// </summary>
/// <remarks>
/// <para>Forward pass: the plain system, restarted at each observation time, keeping only y(t_i): memory is
/// O(N·n) in the number N of observation times and independent of the number of steps.</para>
/// <para>Backward pass: one integrator for [z; a; a_p; a_t] (2n + m + 1 components), from t_N to t0, interval by
/// interval. At t_N it starts from [y(t_N); ∂L/∂y(t_N); 0; −∂L/∂t_N]. At each earlier observation time t_i the
/// loss term joins: a += ∂L/∂y(t_i), a_t −= ∂L/∂t_i; and z is reset to the forward pass's y(t_i), which
/// costs nothing and keeps the error of integrating the state backwards from compounding over intervals.
/// At t0, a = dL/dy0, a_p = dL/dp and a_t = dL/dt0 (which equals −a(t0)·f(t0, y0), since d(a·f)/dt = a·∂f/∂t).</para>
/// <para>Error control covers all components, the adjoint quadratures a_p and a_t included, unless the method asks
/// for the seminorm (then z and a only); the backward tolerances are the method's when it sets them.</para>
/// </remarks>
internal static class BacksolveAdjointSolver
{
    /// <summary>
    /// Computes the gradient of <paramref name="workspace"/>'s inputs into its result buffers. With <paramref name="states"/>
    /// (y(t_i) as row i, from a forward pass the caller already made with these options: an ODE block's output), the forward
    /// pass is not repeated and the backward pass starts from them; the integrator's restarted solve would compute the same
    /// values (OdeBlockTests hold the two gradients to the bit).
    /// </summary>
    public static void Gradient<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options, BacksolveAdjointSensitivity sensitivity,
        ReadOnlySpan<double> states = default)
        where TSystem : struct, IOdeSystem
    {
        GradientInputs inputs = workspace.Inputs!;
        int n = inputs.StateCount, m = inputs.ParameterCount, count = inputs.Count;
        if (workspace.Work is not Work<TSystem> work || !work.Fits(sensitivity, options, n, m))
            workspace.Work = work = new Work<TSystem>(system, n, m, options, sensitivity);
        work.Bind(system, inputs.P, workspace.Counter, count);
        EvaluationCounter counter = workspace.Counter;
        double[] gTimes = workspace.Times;

        // Forward pass.
        RungeKuttaIntegrator<SystemField<TSystem>> forward = work.Forward;
        double[] ys = work.Ys;
        OdeStatus status;
        if (states.IsEmpty)
        {
            // Events can only observe the solution here (RejectEvents): located in the pass, they change neither it nor the gradient.
            ObservedEvents? events = ObservedEvents.For(options, inputs.T0, inputs.Y0);
            status = ObservationShell.SolveToObservations(forward, work.SystemField, inputs, ys, events: events);
            workspace.Events = events is null ? Array.Empty<OdeEventOccurrence>() : events.Occurrences;   // not "?? []": that is a new List per call
        }
        else
        {
            if (states.Length != ys.Length) throw new ArgumentException($"The back-solve adjoint: {count} observations of {n} states need {ys.Length} forward states, not {states.Length}.", nameof(states));
            states.CopyTo(ys);
            status = OdeStatus.Success;
        }

        ObservationShell.Observe(system, inputs, status, ys, counter, gTimes, work.F);

        // Backward pass.
        RungeKuttaIntegrator<AdjointField<TSystem>> backward = work.Backward;
        int dim = work.AdjointField.Dimension;
        double[] x = work.X;
        if (status == OdeStatus.Success)
        {
            ys.AsSpan((count - 1) * n, n).CopyTo(x);
            inputs.DLdyRow(count - 1).CopyTo(x.AsSpan(n, n));
            x[dim - 1] = -gTimes[count - 1];
            for (int i = count - 1; i >= 0; i--)
            {
                double from = inputs.Times[i], to = i > 0 ? inputs.Times[i - 1] : inputs.T0;
                if (from != to)
                {
                    backward.Reset(work.AdjointField, x, from, to);
                    status = backward.Run();
                    if (status != OdeStatus.Success) break;
                    backward.State.CopyTo(x);
                }
                if (i == 0) break;
                ys.AsSpan((i - 1) * n, n).CopyTo(x);
                ReadOnlySpan<double> w = inputs.DLdyRow(i - 1);
                for (int k = 0; k < n; k++) x[n + k] += w[k];
                x[dim - 1] -= gTimes[i - 1];
            }
        }

        x.AsSpan(n, n).CopyTo(workspace.Y0);
        x.AsSpan(2 * n, m).CopyTo(workspace.Parameters);
        var stats = new GradientStats(forward.Stats, backward.Stats,
            forward.Stats.FunctionEvaluations + counter.Function, counter.Jvp, counter.Vjp, counter.Jacobian)
        { WorkspaceBytes = workspace.HeldBytes };
        workspace.Finish(x[dim - 1], stats, status);
    }

    /// <summary>The back-solve's integrators and buffers, kept between calls with the same options and settings.</summary>
    private sealed class Work<TSystem> : IGradientWork where TSystem : struct, IOdeSystem
    {
        private readonly SolverOptions _options;
        private readonly double[]? _absTol;
        private readonly double? _relTol, _backwardAbsTol;
        private readonly bool _seminorm;
        private readonly int _n, _m;

        public Work(in TSystem system, int n, int m, SolverOptions options, BacksolveAdjointSensitivity sensitivity)
        {
            (_options, _absTol, _n, _m) = (options, WorkKey.AbsTolCopy(options), n, m);
            (_relTol, _backwardAbsTol, _seminorm) = (sensitivity.RelTol, sensitivity.AbsTol, sensitivity.Seminorm);
            Forward = new RungeKuttaIntegrator<SystemField<TSystem>>(n, options);
            int dim = (2 * n) + m + 1;
            Backward = new RungeKuttaIntegrator<AdjointField<TSystem>>(dim, sensitivity.BackwardOptions(options, dim, n, 2 * n));
            sensitivity.ApplyErrorControl(Backward, 2 * n);
            X = new double[dim];
            F = new double[n];
        }

        public RungeKuttaIntegrator<SystemField<TSystem>> Forward { get; }
        public RungeKuttaIntegrator<AdjointField<TSystem>> Backward { get; }
        public SystemField<TSystem> SystemField { get; private set; }
        public AdjointField<TSystem> AdjointField { get; private set; }
        /// <summary>The backward state [z; a; a_p; a_t].</summary>
        public double[] X { get; }
        /// <summary>f at an observation.</summary>
        public double[] F { get; }
        /// <summary>y(times[i]) as row i.</summary>
        public double[] Ys { get; private set; } = [];

        public long HeldBytes => sizeof(double) * ((long)Ys.Length + X.Length + F.Length);

        public bool Fits(Sensitivity sensitivity, SolverOptions options, int n, int m) =>
            sensitivity is BacksolveAdjointSensitivity s && s.RelTol == _relTol && s.AbsTol == _backwardAbsTol && s.Seminorm == _seminorm
            && n == _n && m == _m && WorkKey.SameOptions(_options, _absTol, options);

        /// <summary>Points the fields at this call's system and parameters, clears the counters, sizes the observation rows.</summary>
        public void Bind(in TSystem system, double[] p, EvaluationCounter counter, int count)
        {
            SystemField = SystemField.Rebind(system, p);
            AdjointField = new AdjointField<TSystem>(system, p, counter);
            if (Ys.Length != count * _n) Ys = new double[count * _n];
            Array.Clear(X);
            Forward.ClearStats();
            Backward.ClearStats();
        }
    }
}
