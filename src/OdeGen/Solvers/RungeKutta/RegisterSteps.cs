using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// A whole adaptive solve of an explicit Runge–Kutta method of at most <see cref="RegisterStages.MaxStages"/> stages in a
/// system's <see cref="IScalarRegisters{TSelf}"/>: the state, f there, every stage and the candidate stay in registers from
/// one step to the next. <c>Ode.Solve</c> takes it for small generated systems when it needs the end, save times, every step
/// or the dense output (no events); a step that reaches save times, or any step of a dense solve, stores its stages for the
/// continuous extension.
/// </summary>
/// <remarks>
/// A deliberate copy, for speed, of two things. (1) The kernel's stages and candidate, as <see cref="RegisterStages{TState}.TryStep"/>
/// is: the sums written out stage by stage for up to seven stages, the same terms in the same order (each weight h·a_ij
/// rounded, a term whose weight is 0 left out, each product rounded before it is added), the error Σ e_i k_i and its norm as
/// RegisterStages forms them, f the generated Evaluate on fields. (2) <see cref="StepLoop.Step{TKernel}"/>'s adaptive path
/// (budget, landing on the end, underflow, the controller's decision), with the loop's state in locals, and Ode.Solve's
/// rule for save times (its <c>Drive</c>; the dense output itself is the kernel's, called, not copied). Driven through
/// StepLoop and the kernel interface instead, the JIT kept the state in memory between the inlined pieces and the step took
/// as long as the integrator's (BENCHMARKS.md, 6 December 2026, afternoon); on Lorenz at Boost.Odeint's accuracy the
/// integrator's attempt took 107 ns, this one 89 (58 with Boost's hold band). <c>tests/OdeGen.Tests/Solvers/RegisterStepsTests.cs</c> holds every solve (result, status, time, work)
/// bit for bit to the integrator's; change them together.
/// </remarks>
internal static class RegisterSteps<TState> where TState : unmanaged, IScalarRegisters<TState>
{
    /// <summary>
    /// Solves from (t0, y0) to t1 (options checked by the caller); the state where it stopped into <paramref name="yEnd"/>.
    /// Returns the status; <paramref name="time"/> and <paramref name="stats"/> as the integrator reports them.
    /// </summary>
    public static OdeStatus Run(RegisterStages<TState> o, SolverOptions options, double[] atol, ReadOnlySpan<double> y0, double t0, double t1,
        Span<double> yEnd, OdeSolution solution, out double time, out SolverStats stats) => o.Shape switch
    {
        StageShape.Dopri5 => Run<Dopri5Shape>(o, options, atol, y0, t0, t1, yEnd, solution, out time, out stats),
        StageShape.Tsit5 => Run<Tsit5Shape>(o, options, atol, y0, t0, t1, yEnd, solution, out time, out stats),
        StageShape.BogackiShampine3 => Run<Bs3Shape>(o, options, atol, y0, t0, t1, yEnd, solution, out time, out stats),
        _ => Run<AnyShape>(o, options, atol, y0, t0, t1, yEnd, solution, out time, out stats),
    };

    // StepLoop.Begin, then StepLoop.Step's adaptive path until the end or a failure, with the loop's state in locals.
    // Optimized at once (one call runs the whole solve: its first tier would not inline f), and never inlined into the switch
    // above, which would take in every shape's loop and run out of registers and of the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static OdeStatus Run<TShape>(RegisterStages<TState> o, SolverOptions options, double[] atol, ReadOnlySpan<double> y0, double t0, double t1,
        Span<double> yEnd, OdeSolution solution, out double time, out SolverStats stats)
        where TShape : struct, IStageShape
    {
        double[] parameters = o.Parameters;
        stats = default;
        time = t0;
        // Save times (Drive's rule): those at t0 first; then, after each accepted step, those it reached, from its dense output
        // (the kernel's continuous extension on the step's stages, which each attempt stores for that when there are any).
        double[]? saveAt = options.SaveAt;
        bool saveSteps = saveAt is null && options.SaveSteps;   // every accepted step's state (t0's is the caller's)
        bool dense = options.Dense;                              // every accepted step's continuous extension
        int nextSave = 0;
        if (saveAt is not null) while (nextSave < saveAt.Length && saveAt[nextSave] == t0) y0.CopyTo(solution.AddSaved(saveAt[nextSave++]));
        Span<double> stageRows = saveAt is null && !dense ? default : stackalloc double[o.Tableau.Stages * TState.StateCount];
        // f at the start even for an empty interval.
        TState y = TState.Load(y0);
        TState f = TState.Derivative(t0, y, parameters);
        long evaluations = 1;
        OdeStatus status = OdeStatus.Success;
        if (t0 != t1 && TState.NonFinite(f) != 0) status = OdeStatus.NonFiniteValue;
        else if (t0 != t1)
        {
            double direction = t1 >= t0 ? 1.0 : -1.0;
            double next = direction * InitialStep(o, options, atol, y, f, t0, t1, direction, ref evaluations);
            var controller = new StepSizeController(options, o.Tableau);
            controller.AccumulateOver(TState.StateCount, options.Norm);
            long attempts = 0, maxSteps = options.MaxSteps;
            double maxStep = options.MaxStep, minStep = options.MinStep, relTol = options.RelTol, smallest = o.Tableau.Terms.SmallestCoefficient;
            ErrorNorm norm = options.Norm;
            bool fsal = o.Tableau.IsFsal;
            int stages = o.Tableau.Stages;
            double t = t0;
            while (true)
            {
                if (attempts >= maxSteps) { status = OdeStatus.MaxStepsExceeded; break; }
                double h = StepControl.ClampToEnd(next, t, t1, direction, maxStep);
                bool toEnd = h == t1 - t;
                if (!toEnd && Math.Abs(h) < StepControl.MinimumStep(minStep, t))
                {
                    status = controller.LastWasNonFinite ? OdeStatus.NonFiniteValue : OdeStatus.StepSizeTooSmall;
                    break;
                }
                attempts++;
                TState candidate, fCandidate;
                bool finite;
                double errorAccumulator;   // the error norm before StepControl.Finish
                // A weight h·a_ij that underflows to 0 is left out, as the kernel does: the shapes that know their zeros test none,
                // so such a step (|h| near 1e-300) takes the path that tests every weight, out of line.
                if (Math.Abs(h) * smallest != 0)
                    errorAccumulator = Attempt<TShape>(o, stages, fsal, t, h, y, f, atol, relTol, norm, stageRows, out candidate, out fCandidate, out finite);
                else
                    (errorAccumulator, candidate, fCandidate, finite) = AttemptTestingWeights(o, stages, fsal, t, h, y, f, atol, relTol, norm, stageRows);
                evaluations += stages - 1;
                double tNew = toEnd ? t1 : t + h;
                // f at the new point, for methods without FSAL, only for a step that passes the error test (StepLoop's rule).
                if (!TShape.IsFsal(fsal) && finite && StepControl.Finish(errorAccumulator, TState.StateCount, norm) <= 1.0)
                {
                    fCandidate = TState.Derivative(tNew, candidate, parameters);
                    evaluations++;
                    finite = TState.NonFinite(fCandidate) == 0;
                }
                if (controller.DecideAccumulated(finite ? errorAccumulator : double.NaN, h, out double hNext))
                {
                    if (dense) SaveDense(o, solution, t, tNew, y, f, candidate, fCandidate, stageRows);
                    if (saveAt is not null && nextSave < saveAt.Length && direction * (saveAt[nextSave] - tNew) <= 0)
                        nextSave = Save(o, solution, saveAt, nextSave, direction, t, tNew, y, f, candidate, fCandidate, stageRows);
                    else if (saveSteps) SaveStep(solution, tNew, candidate);
                    y = candidate;
                    f = fCandidate;
                    t = tNew;
                    stats.Steps++;
                    next = hNext;
                    if (tNew == t1) break;
                    continue;
                }
                stats.RejectedSteps++;
                next = hNext;
            }
            time = t;
        }
        stats.FunctionEvaluations = evaluations;
        TState.Store(y, yEnd);
        return status;
    }

    // StepLoop.Begin's first step: the given one, or the automatic one of the integrator (StepControl.InitialStep, two more
    // evaluations of f through the register form, whose bits are Evaluate's).
    // y and f by value: by reference, they would be memory for the whole solve.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double InitialStep(RegisterStages<TState> o, SolverOptions options, double[] atol, TState y, TState f,
        double t0, double t1, double direction, ref long evaluations)
    {
        int n = TState.StateCount;
        Span<double> ys = stackalloc double[n], fs = stackalloc double[n], y1 = stackalloc double[n], f1 = stackalloc double[n];
        TState.Store(y, ys);
        TState.Store(f, fs);
        var field = new ScalarRegistersField<TState>(o.Parameters);
        return StepControl.InitialStep(ref field, options, atol, o.Tableau.Order, n, t0, t1, direction, ys, fs, y1, f1, ref evaluations);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double ErrorAccumulator, TState Candidate, TState FCandidate, bool Finite) AttemptTestingWeights(RegisterStages<TState> o, int s, bool fsal,
        double t, double h, TState y, TState k0, double[] atol, double relTol, ErrorNorm norm, Span<double> stageRows)
    {
        double errorAccumulator = Attempt<AnyShape>(o, s, fsal, t, h, y, k0, atol, relTol, norm, stageRows, out TState candidate, out TState fCandidate, out bool finite);
        return (errorAccumulator, candidate, fCandidate, finite);
    }

    // The stages, the candidate, and the error norm's accumulator (RegisterStages.RegisterErrorAccumulator) of a step of size h from (t, y) with f(t, y) = k0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Attempt<TShape>(RegisterStages<TState> o, int s, bool fsal, double t, double h, in TState y, in TState k0,
        double[] atol, double relTol, ErrorNorm norm, Span<double> stageRows, out TState candidate, out TState fCandidate, out bool finite)
        where TShape : struct, IStageShape
    {
        ReadOnlySpan<double> p = o.Parameters;
        ref double a = ref MemoryMarshal.GetArrayDataReference(o.A7);   // 7 × 7, row-major, zeros beyond the tableau
        ref double c = ref MemoryMarshal.GetArrayDataReference(o.C7);
        ref double e = ref MemoryMarshal.GetArrayDataReference(o.E7);
        TState k1, k2 = default, k3 = default, k4 = default, k5 = default, k6 = default;
        TState arg, last;
        TState err = TState.AddProduct(default, e, k0);
        double bad = TState.NonFinite(k0);
        // Stage i: y + Σ_j (h·a_ij)·k_j over j < i, then f there. Written out: every k_j stays in a register.
        arg = Term<TShape>(y, h * A(ref a, 1, 0), k0, 1, 0);
        k1 = last = TState.Derivative(t + Unsafe.Add(ref c, 1) * h, arg, p);
        err = TState.AddProduct(err, Unsafe.Add(ref e, 1), k1);
        bad += TState.NonFinite(k1);
        if (TShape.HasStage(2, s))
        {
            arg = Term<TShape>(Term<TShape>(y, h * A(ref a, 2, 0), k0, 2, 0), h * A(ref a, 2, 1), k1, 2, 1);
            k2 = last = TState.Derivative(t + Unsafe.Add(ref c, 2) * h, arg, p);
            err = TState.AddProduct(err, Unsafe.Add(ref e, 2), k2);
            bad += TState.NonFinite(k2);
        }
        if (TShape.HasStage(3, s))
        {
            arg = Term<TShape>(Term<TShape>(Term<TShape>(y, h * A(ref a, 3, 0), k0, 3, 0), h * A(ref a, 3, 1), k1, 3, 1), h * A(ref a, 3, 2), k2, 3, 2);
            k3 = last = TState.Derivative(t + Unsafe.Add(ref c, 3) * h, arg, p);
            err = TState.AddProduct(err, Unsafe.Add(ref e, 3), k3);
            bad += TState.NonFinite(k3);
        }
        if (TShape.HasStage(4, s))
        {
            arg = Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(y, h * A(ref a, 4, 0), k0, 4, 0), h * A(ref a, 4, 1), k1, 4, 1),
                h * A(ref a, 4, 2), k2, 4, 2), h * A(ref a, 4, 3), k3, 4, 3);
            k4 = last = TState.Derivative(t + Unsafe.Add(ref c, 4) * h, arg, p);
            err = TState.AddProduct(err, Unsafe.Add(ref e, 4), k4);
            bad += TState.NonFinite(k4);
        }
        if (TShape.HasStage(5, s))
        {
            arg = Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(y, h * A(ref a, 5, 0), k0, 5, 0), h * A(ref a, 5, 1), k1, 5, 1),
                h * A(ref a, 5, 2), k2, 5, 2), h * A(ref a, 5, 3), k3, 5, 3), h * A(ref a, 5, 4), k4, 5, 4);
            k5 = last = TState.Derivative(t + Unsafe.Add(ref c, 5) * h, arg, p);
            err = TState.AddProduct(err, Unsafe.Add(ref e, 5), k5);
            bad += TState.NonFinite(k5);
        }
        if (TShape.HasStage(6, s))
        {
            arg = Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(Term<TShape>(y, h * A(ref a, 6, 0), k0, 6, 0), h * A(ref a, 6, 1), k1, 6, 1),
                h * A(ref a, 6, 2), k2, 6, 2), h * A(ref a, 6, 3), k3, 6, 3), h * A(ref a, 6, 4), k4, 6, 4), h * A(ref a, 6, 5), k5, 6, 5);
            k6 = last = TState.Derivative(t + Unsafe.Add(ref c, 6) * h, arg, p);
            err = TState.AddProduct(err, Unsafe.Add(ref e, 6), k6);
            bad += TState.NonFinite(k6);
        }
        // FSAL methods: the last stage's argument is the candidate and the last stage f there. Others: y + Σ (h·b_i)·k_i.
        if (TShape.IsFsal(fsal))
        {
            candidate = arg;
            fCandidate = last;
        }
        else
        {
            ref double b = ref MemoryMarshal.GetArrayDataReference(o.B7);
            candidate = Term<AnyShape>(Term<AnyShape>(Term<AnyShape>(Term<AnyShape>(Term<AnyShape>(Term<AnyShape>(Term<AnyShape>(y,
                h * b, k0, 7, 0), h * Unsafe.Add(ref b, 1), k1, 7, 1), h * Unsafe.Add(ref b, 2), k2, 7, 2), h * Unsafe.Add(ref b, 3), k3, 7, 3),
                h * Unsafe.Add(ref b, 4), k4, 7, 4), h * Unsafe.Add(ref b, 5), k5, 7, 5), h * Unsafe.Add(ref b, 6), k6, 7, 6);
            fCandidate = default;
        }
        bad += TState.NonFinite(candidate);
        // The stages in rows, for the dense output of a step that reaches save times (Save); empty when nothing is saved.
        if (!stageRows.IsEmpty) StoreStages(stageRows, s, k0, k1, k2, k3, k4, k5, k6);
        double errorAccumulator = RegisterStages<TState>.RegisterErrorAccumulator(h, y, candidate, err, atol, relTol, norm);
        finite = bad == 0 && !double.IsNaN(errorAccumulator);
        return errorAccumulator;
    }

    // The stages by value and out of line: passed by reference (in), they were address-exposed, and every attempt kept them in
    // memory (zeroed, stored and reloaded) even when nothing is saved.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreStages(Span<double> rows, int s, TState k0, TState k1, TState k2, TState k3, TState k4, TState k5, TState k6)
    {
        int n = TState.StateCount;
        TState.Store(k0, rows.Slice(0, n));
        TState.Store(k1, rows.Slice(n, n));
        if (s > 2) TState.Store(k2, rows.Slice(2 * n, n));
        if (s > 3) TState.Store(k3, rows.Slice(3 * n, n));
        if (s > 4) TState.Store(k4, rows.Slice(4 * n, n));
        if (s > 5) TState.Store(k5, rows.Slice(5 * n, n));
        if (s > 6) TState.Store(k6, rows.Slice(6 * n, n));
    }

    // Drive's saves after the step from (tPrev, yPrev) to (tNew, yNew) was accepted: every save time it reached, the one on
    // tNew as the state, the others from the step's dense output as the integrator's Interpolate computes it (the kernel's
    // continuous extension, or cubic Hermite). Returns the next save time's index.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Save(RegisterStages<TState> o, OdeSolution solution, double[] saveAt, int next, double direction, double tPrev, double tNew,
        TState yPrev, TState fPrev, TState yNew, TState fNew, Span<double> stageRows)
    {
        int n = TState.StateCount;
        Span<double> start = stackalloc double[n], end = stackalloc double[n], fStart = stackalloc double[n], fEnd = stackalloc double[n];
        StoreEnds(yPrev, fPrev, yNew, fNew, start, fStart, end, fEnd);
        double h = tNew - tPrev;
        while (next < saveAt.Length && direction * (saveAt[next] - tNew) <= 0)
        {
            double ts = saveAt[next++];
            Span<double> slot = solution.AddSaved(ts);
            if (ts == tNew || h == 0) end.CopyTo(slot);
            else o.Kernel.Interpolate((ts - tPrev) / h, h, L(start), L(end), L(fStart), L(fEnd), L(stageRows), L(slot));
        }
        return next;
    }

    // Drive's dense output of an accepted step: the coefficients as the integrator's CopyDenseCoefficients writes them (the
    // shared RungeKuttaDense, called, not copied).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveDense(RegisterStages<TState> o, OdeSolution solution, double tPrev, double tNew,
        TState yPrev, TState fPrev, TState yNew, TState fNew, Span<double> stageRows)
    {
        int n = TState.StateCount;
        Span<double> start = stackalloc double[n], end = stackalloc double[n], fStart = stackalloc double[n], fEnd = stackalloc double[n];
        StoreEnds(yPrev, fPrev, yNew, fNew, start, fStart, end, fEnd);
        RungeKuttaDense.Coefficients(o.Tableau, tNew - tPrev, start, end, fStart, fEnd, stageRows, solution.NextDenseStep());
        solution.EndDenseStep(tNew);
    }

    // A step's two ends, values and slopes, as doubles for the span-based continuous extension (Save, SaveDense).
    private static void StoreEnds(TState yPrev, TState fPrev, TState yNew, TState fNew, Span<double> start, Span<double> fStart,
        Span<double> end, Span<double> fEnd)
    {
        TState.Store(yPrev, start);
        TState.Store(yNew, end);
        TState.Store(fPrev, fStart);
        TState.Store(fNew, fEnd);
    }

    // Drive's save of an accepted step's state with SaveSteps. Out of line: the call is on the saving path only.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveStep(OdeSolution solution, double tNew, TState yNew) => TState.Store(yNew, solution.AddSaved(tNew));

    private static Span<Lane1> L(Span<double> values) => MemoryMarshal.Cast<double, Lane1>(values);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double A(ref double a, int i, int j) => Unsafe.Add(ref a, i * RegisterStages.MaxStages + j);

    // acc + w·k, or acc where the kernel leaves the term out (a_ij = 0, or h·a_ij underflowed to 0). A shape that knows its
    // zeros decides at compile time (no branch); AnyShape tests the weight.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TState Term<TShape>(in TState acc, double w, in TState k, int i, int j) where TShape : struct, IStageShape =>
        TShape.LeavesOut(i, j, w) ? acc : TState.AddProduct(acc, w, k);
}

/// <summary>The zeros of a tableau's a_ij that <see cref="RegisterSteps{TState}"/> knows at compile time.</summary>
internal enum StageShape
{
    /// <summary>Unknown zeros: every term tests its weight.</summary>
    Any,
    /// <summary>Dormand–Prince 5(4): seven stages, a_ij = 0 for (i, j) = (6, 1) only (b_2 = 0).</summary>
    Dopri5,
    /// <summary>Tsitouras 5(4): seven stages, no a_ij = 0.</summary>
    Tsit5,
    /// <summary>Bogacki–Shampine 3(2): four stages, a_ij = 0 for (i, j) = (2, 0) only.</summary>
    BogackiShampine3,
}

/// <summary>How <see cref="RegisterSteps{TState}"/> knows a tableau's stages and zeros (a struct per shape: the JIT folds the calls).</summary>
internal interface IStageShape
{
    /// <summary>True when stage i exists in a tableau of s stages.</summary>
    static abstract bool HasStage(int i, int s);

    /// <summary>True when the method is FSAL (<paramref name="fsal"/>, the tableau's, for a shape that does not know).</summary>
    static abstract bool IsFsal(bool fsal);

    /// <summary>True when the term (i, j) with weight h·a_ij = w is left out of stage i's sum (row 7: the candidate's b_j).</summary>
    static abstract bool LeavesOut(int i, int j, double w);
}

internal struct AnyShape : IStageShape
{
    public static bool HasStage(int i, int s) => i < s;
    public static bool IsFsal(bool fsal) => fsal;
    public static bool LeavesOut(int i, int j, double w) => w == 0;
}

internal struct Dopri5Shape : IStageShape
{
    public static bool HasStage(int i, int s) => i < 7;
    public static bool IsFsal(bool fsal) => true;
    public static bool LeavesOut(int i, int j, double w) => i == 6 && j == 1;
}

internal struct Tsit5Shape : IStageShape
{
    public static bool HasStage(int i, int s) => i < 7;
    public static bool IsFsal(bool fsal) => true;
    public static bool LeavesOut(int i, int j, double w) => false;
}

internal struct Bs3Shape : IStageShape
{
    public static bool HasStage(int i, int s) => i < 4;
    public static bool IsFsal(bool fsal) => true;
    public static bool LeavesOut(int i, int j, double w) => i == 2 && j == 0;
}

/// <summary>f as a vector field on a system's <see cref="IScalarRegisters{TSelf}"/> (the automatic first step's two evaluations).</summary>
internal readonly struct ScalarRegistersField<TState>(double[] parameters) : IVectorField where TState : unmanaged, IScalarRegisters<TState>
{
    public int Dimension => TState.StateCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) =>
        TState.Store(TState.Derivative(t, TState.Load(y), parameters), dydt);
}
