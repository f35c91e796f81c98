using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// What every sensitivity method does around its own algorithm, written once: the plain forward pass to the
/// observation times (restarting at each, so every y(t_i) is a step end point), the loss's time derivatives
/// ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y(t_i)), and the result — NaN in every entry when a pass failed, so a failed gradient
/// cannot pass for a small one — with the work of every pass.
/// </summary>
/// <remarks>
/// The methods differ in what they integrate forwards (the state alone, the state with its sensitivities, the state
/// with a tape of its steps) and in their backward passes; they share these pieces so that the rules above — where the
/// states are taken, how the times are differentiated, what a failure returns — cannot drift apart.
/// </remarks>
internal static class ObservationShell
{
    /// <summary>
    /// Solves the plain system from t0 through every observation time, restarting at each so y(t_i) is a step
    /// end point; writes y(t_i) into row i of <paramref name="ys"/>. MaxSteps bounds the whole pass.
    /// </summary>
    public static OdeStatus SolveToObservations<TSystem>(RungeKuttaIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, GradientInputs inputs, Span<double> ys) where TSystem : struct, IOdeSystem =>
        SolveToObservations(integrator, field, inputs.Y0, inputs.T0, inputs.Times, ys);

    /// <summary>
    /// The same pass from (<paramref name="t0"/>, <paramref name="y0"/>) through <paramref name="times"/>, for callers
    /// that hold no <see cref="GradientInputs"/> (the trainer's loss-only evaluation).
    /// </summary>
    public static OdeStatus SolveToObservations<TSystem>(RungeKuttaIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, ReadOnlySpan<double> y0, double t0, ReadOnlySpan<double> times, Span<double> ys)
        where TSystem : struct, IOdeSystem
    {
        int n = y0.Length;
        ReadOnlySpan<double> current = y0;
        double tPrev = t0;
        for (int i = 0; i < times.Length; i++)
        {
            Span<double> row = ys.Slice(i * n, n);
            double ti = times[i];
            if (ti == tPrev) current.CopyTo(row);
            else
            {
                integrator.Reset(field, current, tPrev, ti);
                OdeStatus status = integrator.Run();
                if (status != OdeStatus.Success) return status;
                integrator.State.CopyTo(row);
            }
            current = row;
            tPrev = ti;
        }
        return OdeStatus.Success;
    }

    /// <summary>
    /// ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y_i) for observation <paramref name="i"/> at time <paramref name="t"/>, from the
    /// forward pass's state <paramref name="y"/> (more accurate than any state a backward pass re-creates); one
    /// evaluation of f, counted. <paramref name="f"/> is scratch of length n.
    /// </summary>
    public static double TimeGradient<TSystem>(in TSystem system, GradientInputs inputs, int i, double t, ReadOnlySpan<double> y,
        EvaluationCounter counter, Span<double> f) where TSystem : struct, IOdeSystem
    {
        counter.Function++;
        system.Evaluate(t, y, inputs.P, f);
        return Dot(inputs.DLdyRow(i), f);
    }

    /// <summary>The gradient of a computation that ended with <paramref name="status"/>: every entry NaN unless it succeeded.</summary>
    public static OdeGradient Result(double[] gY0, double[] gP, double gT0, double[] gTimes, GradientStats stats, OdeStatus status, Sensitivity sensitivity)
    {
        if (status != OdeStatus.Success)
        {
            Array.Fill(gY0, double.NaN);
            Array.Fill(gP, double.NaN);
            Array.Fill(gTimes, double.NaN);
            gT0 = double.NaN;
        }
        return new OdeGradient(gY0, gP, gT0, gTimes, stats, status, sensitivity);
    }

    /// <summary>Σ a_i·b_i in index order.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
