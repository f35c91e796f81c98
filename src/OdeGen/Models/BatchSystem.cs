namespace OdeGen.Models;

/// <summary>
/// <see cref="Count"/> samples of one system as one system of Count·n states, sample s in states s·n…s·n + n − 1, all sharing
/// the parameters: an adaptive solver then takes one step size for the whole batch (torchdiffeq's odeint over a batch
/// tensor) and its error norm runs over every sample's states. The samples do not interact: ∂f/∂y is block diagonal, and
/// ∂f/∂p stacks the samples' rows.
/// </summary>
/// <remarks>
/// Evaluate, Vjp and EvaluateVjp (the adjoint's back-solve: f and the VJP from one forward pass) go through
/// <see cref="IBatchOdeSystem"/> when the system has it (one batch-major call: one matrix product per convolution for the
/// batch), else sample by sample; so do the kept forms (<see cref="IOdeSystemKept"/>) through <see cref="IBatchOdeSystemKept"/>
/// when the system has it (the discrete adjoint then keeps each stage's values for its VJP). Jvp is sample by sample (each sample's tangent is its own Jvp with
/// the shared parameter tangent), as is Jacobian.
/// </remarks>
internal readonly struct BatchSystem<TSystem> : IOdeAugmentedSystem, IOdeSystemKept
    where TSystem : struct, IOdeSystem
{
    [ThreadStatic]
    private static double[]? t_block;

    private readonly TSystem _system;
    private readonly IBatchOdeSystem? _batch;
    private readonly IBatchOdeSystemKept? _kept;

    /// <summary>Creates the batch; <paramref name="batch"/> is <paramref name="system"/> as an <see cref="IBatchOdeSystem"/> (boxed once by the caller) or null.</summary>
    public BatchSystem(in TSystem system, IBatchOdeSystem? batch, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _system = system;
        _batch = batch;
        _kept = batch as IBatchOdeSystemKept;
        Count = count;
    }

    /// <summary>Samples in the batch.</summary>
    public int Count { get; }

    /// <inheritdoc/>
    public int StateCount => Count * _system.StateCount;

    /// <inheritdoc/>
    public int ParameterCount => _system.ParameterCount;

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        if (_batch is not null)
        {
            _batch.EvaluateBatch(Count, t, y, p, dydt);
            return;
        }

        int n = _system.StateCount;
        for (int s = 0; s < Count; s++) _system.Evaluate(t, y.Slice(s * n, n), p, dydt.Slice(s * n, n));
    }

    /// <inheritdoc/>
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        int n = _system.StateCount;
        for (int s = 0; s < Count; s++)
            _system.Jvp(t, y.Slice(s * n, n), p, tDot, yDot.Slice(s * n, n), pDot, dydt.Slice(s * n, n), dydtDot.Slice(s * n, n));
    }

    /// <inheritdoc/>
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        if (_batch is not null) return _batch.VjpBatch(Count, t, y, p, a, yBar, pBar);
        int n = _system.StateCount;
        double tBar = 0.0;
        for (int s = 0; s < Count; s++) tBar += _system.Vjp(t, y.Slice(s * n, n), p, a.Slice(s * n, n), yBar.Slice(s * n, n), pBar);
        return tBar;
    }

    /// <inheritdoc/>
    public double EvaluateVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt, Span<double> yBar, Span<double> pBar)
    {
        if (_batch is not null) return _batch.EvaluateVjpBatch(Count, t, y, p, a, dydt, yBar, pBar);
        Evaluate(t, y, p, dydt);
        return Vjp(t, y, p, a, yBar, pBar);
    }

    /// <inheritdoc/>
    /// <remarks>Count · <see cref="IBatchOdeSystemKept.KeptPerSample"/> with <see cref="IBatchOdeSystemKept"/>, else 0 (nothing kept).</remarks>
    public int KeptCount => _kept is null ? 0 : checked(Count * _kept.KeptPerSample);

    /// <inheritdoc/>
    public void EvaluateKeeping(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept) =>
        RequireKept().EvaluateBatchKeeping(Count, t, y, p, dydt, kept);

    /// <inheritdoc/>
    public void EvaluateFromKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt) =>
        RequireKept().EvaluateBatchFromKept(Count, t, y, p, kept, dydt);

    /// <inheritdoc/>
    public double VjpKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a, Span<double> yBar,
        Span<double> pBar) =>
        RequireKept().VjpBatchKept(Count, t, y, p, kept, a, yBar, pBar);

    private IBatchOdeSystemKept RequireKept() =>
        _kept ?? throw new InvalidOperationException($"{typeof(TSystem).Name} keeps nothing (KeptCount is 0): it does not implement IBatchOdeSystemKept.");

    /// <inheritdoc/>
    /// <remarks>Block diagonal in y: each sample's n × n block from the system's Jacobian, zeros elsewhere.</remarks>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        int n = _system.StateCount, m = _system.ParameterCount, size = StateCount;
        double[]? block = t_block;
        if (block is null || block.Length < n * n) t_block = block = new double[n * n];
        dfdy[..(size * size)].Clear();
        for (int s = 0; s < Count; s++)
        {
            _system.Jacobian(t, y.Slice(s * n, n), p, block.AsSpan(0, n * n), dfdp.Slice(s * n * m, n * m));
            for (int i = 0; i < n; i++) block.AsSpan(i * n, n).CopyTo(dfdy.Slice((((s * n) + i) * size) + (s * n), n));
        }
    }
}
