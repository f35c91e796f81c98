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
    public static OdeGradient Gradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options, BacksolveAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        int n = inputs.StateCount, m = inputs.ParameterCount, count = inputs.Count;
        var counter = new EvaluationCounter();
        double[] p = inputs.P;

        // Forward pass.
        var forward = new RungeKuttaIntegrator<SystemField<TSystem>>(n, options);
        var systemField = new SystemField<TSystem>(system, p);
        var ys = new double[count * n];
        OdeStatus status = ObservationShell.SolveToObservations(forward, systemField, inputs, ys);
        double[] gTimes = ObservationShell.Observe(system, inputs, status, ys, counter);

        // Backward pass.
        var adjointField = new AdjointField<TSystem>(system, p, counter);
        int dim = adjointField.Dimension;
        var backward = new RungeKuttaIntegrator<AdjointField<TSystem>>(dim, sensitivity.BackwardOptions(options, dim, n, 2 * n));
        sensitivity.ApplyErrorControl(backward, 2 * n);
        var x = new double[dim];
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
                    backward.Reset(adjointField, x, from, to);
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

        double[] gY0 = x.AsSpan(n, n).ToArray();
        double[] gP = x.AsSpan(2 * n, m).ToArray();
        var stats = new GradientStats(forward.Stats, backward.Stats,
            forward.Stats.FunctionEvaluations + counter.Function, counter.Jvp, counter.Vjp, counter.Jacobian);
        return ObservationShell.Result(gY0, gP, x[dim - 1], gTimes, stats, status, sensitivity);
    }
}
