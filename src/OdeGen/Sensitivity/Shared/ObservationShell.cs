using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// What every sensitivity method does around its own algorithm, written once: the plain forward pass to the
/// observation times (restarting at each, so every y(t_i) is a step end point), handing those states to the inputs
/// (which keep them and evaluate a loss), the loss's time derivatives ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y(t_i)), and the
/// result — NaN in every entry when a pass failed, so a failed gradient cannot pass for a small one — with the work of
/// every pass.
/// </summary>
/// <remarks>
/// <para>The methods differ in what they integrate forwards (the state alone, the state with its sensitivities, the state
/// with a tape of its steps) and in their backward passes; they share these pieces so that the rules above — where the
/// states are taken, how the times are differentiated, what a failure returns — cannot drift apart.</para>
/// <para>Who uses which piece: the back-solve adjoint and the discrete adjoint (recording its tape through an
/// <see cref="IStepObserver{TLane}"/>, as a lane block records for the ensemble gradients) take the whole forward pass;
/// the interpolating adjoint takes it through its checkpoints as well as the observation times. Forward sensitivities
/// integrate n(n + m) more components through events and use each observation's sensitivities as they reach it, so they
/// drive their own pass; every method hands its states to <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/> and its gradient to
/// <see cref="Result"/>.</para>
/// </remarks>
internal static class ObservationShell
{
    /// <summary>
    /// Solves the plain system from t0 through every observation time, restarting at each so y(t_i) is a step
    /// end point; writes y(t_i) into row i of <paramref name="ys"/>. See <see cref="SolveToObservations{TSystem}(IOdeIntegrator{SystemField{TSystem}}, in SystemField{TSystem}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, Span{double}, IStepObserver{Lane1}?, Span{int})"/>.
    /// </summary>
    public static OdeStatus SolveToObservations<TSystem>(IOdeIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, GradientInputs inputs, Span<double> ys, IStepObserver<Lane1>? observer = null, Span<int> marks = default)
        where TSystem : struct, IOdeSystem =>
        SolveToObservations(integrator, field, inputs.Y0, inputs.T0, inputs.Times, ys, observer, marks);

    /// <summary>
    /// The forward pass from (<paramref name="t0"/>, <paramref name="y0"/>) through <paramref name="times"/> (monotone away
    /// from t0; times[0] may equal t0), restarting the integrator at each time so y(t_i) is a step end point; writes y(t_i)
    /// into row i of <paramref name="ys"/> and stops at the first failure. Each restart gets the options' MaxSteps.
    /// </summary>
    /// <remarks>
    /// An <paramref name="observer"/> sees every accepted step (start time, signed size, start state) and is started once
    /// for the whole pass; <paramref name="marks"/> (times.Length long) then gets its <see cref="IStepObserver{TLane}.Count"/>
    /// at each times[i], so the steps before times[i] are its entries 0 … marks[i] − 1, as
    /// <c>LaneBlockSolver.SolveBlockThrough</c> marks a lane block's tape. Without one the integrator runs unobserved.
    /// </remarks>
    public static OdeStatus SolveToObservations<TSystem>(IOdeIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, ReadOnlySpan<double> y0, double t0, ReadOnlySpan<double> times, Span<double> ys,
        IStepObserver<Lane1>? observer = null, Span<int> marks = default)
        where TSystem : struct, IOdeSystem
    {
        int n = y0.Length;
        observer?.Started();
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
                OdeStatus status = observer is null ? integrator.Run() : RunObserved(integrator, observer);
                if (status != OdeStatus.Success) return status;
                integrator.State.CopyTo(row);
            }
            if (observer is not null) marks[i] = observer.Count;
            current = row;
            tPrev = ti;
        }
        return OdeStatus.Success;
    }

    // Integrator.Run with every accepted step shown to the observer.
    private static OdeStatus RunObserved<TField>(IOdeIntegrator<TField> integrator, IStepObserver<Lane1> observer)
        where TField : struct, IVectorField
    {
        while (integrator.Step())
            observer.Accepted(integrator.PreviousTime, integrator.Time - integrator.PreviousTime,
                MemoryMarshal.Cast<double, Lane1>(integrator.PreviousState));
        return integrator.Status;
    }

    /// <summary>
    /// The forward pass has ended with <paramref name="status"/>, with y(t_i) in row i of <paramref name="ys"/>. On success
    /// the inputs get the states (<see cref="GradientInputs.Observe"/>: kept for the result and, with a loss, ∂L/∂y
    /// computed from them), and the result is ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y(t_i)) for every i, from the forward pass's
    /// states (more accurate than any state a backward pass re-creates), one counted evaluation of f each; zero where
    /// <paramref name="held"/>[i] (after a terminal event the state is held, so moving t_i changes nothing). On failure:
    /// zeros, which <see cref="Result"/> turns into NaN.
    /// </summary>
    public static double[] Observe<TSystem>(in TSystem system, GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys,
        EvaluationCounter counter, ReadOnlySpan<bool> held = default) where TSystem : struct, IOdeSystem
    {
        var gTimes = new double[inputs.Count];
        Observe(system, inputs, status, ys, counter, gTimes, new double[inputs.StateCount], held);
        return gTimes;
    }

    /// <summary>
    /// <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/>
    /// into a workspace's buffers: ∂L/∂t_i into <paramref name="gTimes"/> (zero on entry), f in <paramref name="f"/> (n long).
    /// </summary>
    public static void Observe<TSystem>(in TSystem system, GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys,
        EvaluationCounter counter, Span<double> gTimes, Span<double> f, ReadOnlySpan<bool> held = default) where TSystem : struct, IOdeSystem
    {
        Observe(inputs, status, ys);
        if (status != OdeStatus.Success) return;
        int n = inputs.StateCount;
        for (int i = 0; i < gTimes.Length; i++)
        {
            if (!held.IsEmpty && held[i]) continue;
            counter.Function++;
            system.Evaluate(inputs.Times[i], ys.Slice(i * n, n), inputs.P, f);
            gTimes[i] = Dot(inputs.DLdyRow(i), f);
        }
    }

    /// <summary>
    /// <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/>
    /// for a method that differentiates the observation times itself (the discrete adjoint, through its steps' sizes):
    /// hands the states to the inputs on success; ∂L/∂t_i is the method's to fill.
    /// </summary>
    public static void Observe(GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys)
    {
        if (status == OdeStatus.Success) inputs.Observe(ys);
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
