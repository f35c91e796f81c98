using OdeGen.Models;

namespace OdeGen.Samples.Classifier;

/// <summary>
/// Counts the evaluations of an ODE block's dynamics, split into the forward pass and the backward pass, per sample. The
/// counts are the solver's own calls (nothing is estimated): f evaluations forward; f evaluations and vector-Jacobian
/// products backward (torchdiffeq's "backward NFE" counts the augmented dynamics' evaluations, one VJP each).
/// </summary>
/// <remarks>
/// Counting is per thread while a block's pass runs (no shared write per evaluation); each pass adds its count to the totals
/// once, so several threads and several models (tests run in parallel) never mix their numbers.
/// </remarks>
public sealed class EvaluationCounter
{
    [ThreadStatic]
    private static long t_evaluations;

    [ThreadStatic]
    private static long t_vjps;

    private long _forwardPasses, _forwardEvaluations, _backwardPasses, _backwardEvaluations, _backwardVjps;

    /// <summary>Mean f evaluations per forward pass since the last <see cref="Reset"/>.</summary>
    public double ForwardPerSample => _forwardPasses == 0 ? 0 : (double)_forwardEvaluations / _forwardPasses;

    /// <summary>Mean vector-Jacobian products per backward pass (the backward NFE).</summary>
    public double BackwardPerSample => _backwardPasses == 0 ? 0 : (double)_backwardVjps / _backwardPasses;

    /// <summary>Mean plain f evaluations per backward pass (the adjoint's re-solve of z, the discrete adjoint's replay).</summary>
    public double BackwardEvaluationsPerSample => _backwardPasses == 0 ? 0 : (double)_backwardEvaluations / _backwardPasses;

    /// <summary>Forgets the counts.</summary>
    public void Reset() => _forwardPasses = _forwardEvaluations = _backwardPasses = _backwardEvaluations = _backwardVjps = 0;

    internal static void Evaluation() => t_evaluations++;

    internal static void Vjp() => t_vjps++;

    internal static void Begin() => t_evaluations = t_vjps = 0;

    internal void EndForward()
    {
        Interlocked.Increment(ref _forwardPasses);
        Interlocked.Add(ref _forwardEvaluations, t_evaluations);
    }

    internal void EndBackward()
    {
        Interlocked.Increment(ref _backwardPasses);
        Interlocked.Add(ref _backwardEvaluations, t_evaluations);
        Interlocked.Add(ref _backwardVjps, t_vjps);
    }
}

/// <summary>
/// Dynamics that count their calls on this thread (see <see cref="EvaluationCounter"/>) and otherwise are <typeparamref name="TSystem"/>;
/// a batch call (<see cref="IBatchOdeSystem"/>) counts once, as every sample of the batch is evaluated once.
/// </summary>
public readonly struct CountingDynamics<TSystem>(TSystem inner) : IBatchOdeSystemKept, IOdeAugmentedSystem
    where TSystem : struct, IOdeSystem
{
    private readonly TSystem _inner = inner;
    private readonly IBatchOdeSystem? _batch = inner is IBatchOdeSystem batch ? batch : null;   // boxed once
    private readonly IOdeAugmentedSystem? _augmented = inner is IOdeAugmentedSystem augmented ? augmented : null;
    private readonly IBatchOdeSystemKept? _kept = inner is IBatchOdeSystemKept kept ? kept : null;

    /// <summary>The counted dynamics.</summary>
    public TSystem Inner => _inner;

    /// <inheritdoc/>
    public int StateCount => _inner.StateCount;

    /// <inheritdoc/>
    public int ParameterCount => _inner.ParameterCount;

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        EvaluationCounter.Evaluation();
        _inner.Evaluate(t, y, p, dydt);
    }

    /// <inheritdoc/>
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        EvaluationCounter.Evaluation();
        _inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
    }

    /// <inheritdoc/>
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        EvaluationCounter.Vjp();
        return _inner.Vjp(t, y, p, a, yBar, pBar);
    }

    /// <inheritdoc/>
    /// <remarks>Counted as the f evaluation and the VJP it stands for (the counts do not depend on whether the inner dynamics fuse them).</remarks>
    public double EvaluateVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt, Span<double> yBar, Span<double> pBar)
    {
        EvaluationCounter.Evaluation();
        EvaluationCounter.Vjp();
        if (_augmented is not null) return _augmented.EvaluateVjp(t, y, p, a, dydt, yBar, pBar);
        _inner.Evaluate(t, y, p, dydt);
        return _inner.Vjp(t, y, p, a, yBar, pBar);
    }

    /// <inheritdoc/>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        _inner.Jacobian(t, y, p, dfdy, dfdp);

    /// <inheritdoc/>
    public void EvaluateBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        EvaluationCounter.Evaluation();
        if (_batch is not null)
        {
            _batch.EvaluateBatch(count, t, y, p, dydt);
            return;
        }

        int n = _inner.StateCount;
        for (int s = 0; s < count; s++) _inner.Evaluate(t, y.Slice(s * n, n), p, dydt.Slice(s * n, n));
    }

    /// <inheritdoc/>
    public double VjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        EvaluationCounter.Vjp();
        if (_batch is not null) return _batch.VjpBatch(count, t, y, p, a, yBar, pBar);
        int n = _inner.StateCount;
        double tBar = 0.0;
        for (int s = 0; s < count; s++) tBar += _inner.Vjp(t, y.Slice(s * n, n), p, a.Slice(s * n, n), yBar.Slice(s * n, n), pBar);
        return tBar;
    }

    /// <inheritdoc/>
    /// <remarks>Counted as the batch evaluation and the batch VJP it stands for.</remarks>
    public double EvaluateVjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt,
        Span<double> yBar, Span<double> pBar)
    {
        EvaluationCounter.Evaluation();
        EvaluationCounter.Vjp();
        if (_batch is not null) return _batch.EvaluateVjpBatch(count, t, y, p, a, dydt, yBar, pBar);
        int n = _inner.StateCount;
        double tBar = 0.0;
        for (int s = 0; s < count; s++)
        {
            _inner.Evaluate(t, y.Slice(s * n, n), p, dydt.Slice(s * n, n));
            tBar += _inner.Vjp(t, y.Slice(s * n, n), p, a.Slice(s * n, n), yBar.Slice(s * n, n), pBar);
        }

        return tBar;
    }

    /// <inheritdoc/>
    /// <remarks>0 when the inner dynamics keep nothing: the discrete adjoint then keeps nothing and calls none of the kept forms.</remarks>
    public int KeptPerSample => _kept?.KeptPerSample ?? 0;

    /// <inheritdoc/>
    /// <remarks>Counted as the evaluation it is.</remarks>
    public void EvaluateBatchKeeping(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept)
    {
        EvaluationCounter.Evaluation();
        RequireKept().EvaluateBatchKeeping(count, t, y, p, dydt, kept);
    }

    /// <inheritdoc/>
    /// <remarks>Not counted: it reads what an evaluation kept (the dynamics' last layer on it), it does not evaluate f.</remarks>
    public void EvaluateBatchFromKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt) =>
        RequireKept().EvaluateBatchFromKept(count, t, y, p, kept, dydt);

    /// <inheritdoc/>
    /// <remarks>Counted as the VJP it is.</remarks>
    public double VjpBatchKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        EvaluationCounter.Vjp();
        return RequireKept().VjpBatchKept(count, t, y, p, kept, a, yBar, pBar);
    }

    private IBatchOdeSystemKept RequireKept() =>
        _kept ?? throw new InvalidOperationException($"{typeof(TSystem).Name} keeps nothing for its VJP (KeptPerSample is 0).");
}

/// <summary>An <see cref="OdeBlock{TSystem}"/> whose passes are counted by an <see cref="EvaluationCounter"/>.</summary>
public sealed class CountingOdeBlock<TSystem>(TSystem system, double t0, double t1, Sensitivity sensitivity, SolverOptions options,
    ParameterInitializer? initialize, EvaluationCounter counter)
    : OdeBlock<CountingDynamics<TSystem>>(new CountingDynamics<TSystem>(system), t0, t1, sensitivity, options, initialize)
    where TSystem : struct, IOdeSystem
{
    /// <summary>Where the counts go.</summary>
    public EvaluationCounter Counter { get; } = counter;

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        EvaluationCounter.Begin();
        base.Forward(x, parameters, y, scratch);
        Counter.EndForward();
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        EvaluationCounter.Begin();
        base.Backward(x, parameters, yBar, xBar, parameterBar, scratch);
        Counter.EndBackward();
    }

    /// <inheritdoc/>
    public override void BackwardFromOutput(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        EvaluationCounter.Begin();
        base.BackwardFromOutput(x, y, parameters, yBar, xBar, parameterBar, scratch);
        Counter.EndBackward();
    }

    /// <inheritdoc/>
    /// <remarks>A batch solved as one system is one pass whose evaluations each sample saw (one sample at a time, Forward counts).</remarks>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        if (!BatchAsOneSystem)
        {
            base.ForwardBatch(count, x, parameters, y, scratch);
            return;
        }

        EvaluationCounter.Begin();
        base.ForwardBatch(count, x, parameters, y, scratch);
        Counter.EndForward();
    }

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (!BatchAsOneSystem)
        {
            base.BackwardBatch(count, x, parameters, yBar, xBar, parameterBar, scratch);
            return;
        }

        EvaluationCounter.Begin();
        base.BackwardBatch(count, x, parameters, yBar, xBar, parameterBar, scratch);
        Counter.EndBackward();
    }

    /// <inheritdoc/>
    public override void BackwardBatchFromOutput(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (!BatchAsOneSystem)
        {
            base.BackwardBatchFromOutput(count, x, y, parameters, yBar, xBar, parameterBar, scratch);   // one sample at a time, counted there
            return;
        }

        EvaluationCounter.Begin();
        base.BackwardBatchFromOutput(count, x, y, parameters, yBar, xBar, parameterBar, scratch);
        Counter.EndBackward();
    }
}
