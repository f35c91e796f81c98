namespace OdeGen;

/// <summary>
/// The derivatives through one event occurrence at t*, where g(t*, y(t*)) = 0, for a direction (column) s⁻ of the
/// state's sensitivity just before it and the parameters' direction θ̇:
/// <list type="bullet">
/// <item>the event time, by the implicit function theorem: dτ = −(g_y·s⁻)/D, D = g_t + g_y·f⁻;</item>
/// <item>a terminal event (the state is held from then on): s = s⁻ + f⁻·dτ;</item>
/// <item>a reset y⁺ = h(y⁻, θ), by the saltation matrix: s⁺ = h_y·s⁻ + h_θ·θ̇ + (h_y·f⁻ − f⁺)·dτ, f⁺ = f(t*, y⁺).</item>
/// </list>
/// The adjoint applies the transposes: λ⁻ = λ⁺ − g_yᵀ(f⁻·λ⁺)/D for a terminal event; λ⁻ = h_yᵀλ⁺ + c·(w·λ⁺) and
/// θ̄ += h_θᵀλ⁺ for a reset, with w = h_y·f⁻ − f⁺ and c = −g_yᵀ/D.
/// </summary>
/// <remarks>
/// All scratch is allocated once per differentiating call. The crossing is judged tangential (grazing), and the derivative
/// not to exist, when D is zero, not finite, of the wrong sign for the crossing, or tiny next to the mean slope of g across
/// the step that held the crossing (|D| ≤ 10⁻⁸·|Δg/Δt|) or next to its own terms (|D| ≤ 10⁻¹²·(|g_t| + Σ|g_y,i f_i|)).
/// </remarks>
internal sealed class EventJump
{
    private const double SlopeRatio = 1e-8, CancellationRatio = 1e-12;
    private readonly int _n, _m;
    private readonly double[] _gy, _fMinus, _fPlus, _hy, _hp, _w, _column;
    private double _d;
    private bool _reset;

    public EventJump(int n, int m)
    {
        _n = n;
        _m = m;
        _gy = new double[n];
        _fMinus = new double[n];
        _fPlus = new double[n];
        _hy = new double[n * n];
        _hp = new double[n * m];
        _w = new double[n];
        _column = new double[n];
    }

    /// <summary>f(t*, y⁻), valid after <see cref="Prepare"/>.</summary>
    public ReadOnlySpan<double> FMinus => _fMinus;

    /// <summary>
    /// Throws unless every event can be differentiated: each needs <see cref="OdeEvent.Gradient"/>, and each reset its
    /// <see cref="OdeReset.Jacobian"/>. <paramref name="caller"/> names the call in the message.
    /// </summary>
    public static void Require(IReadOnlyList<OdeEvent>? events, string caller)
    {
        if (events is null) return;
        for (int i = 0; i < events.Count; i++)
        {
            OdeEvent ev = events[i] ?? throw new ArgumentException($"Events[{i}] is null.", "options");
            if (ev.Gradient is null)
                throw new ArgumentException(
                    $"Events[{i}] ({ev}) has no gradient, and {caller} differentiates the event time: supply ∂g/∂y and ∂g/∂t, as " +
                    "new OdeEvent(condition, (t, y, dgdy) => { dgdy[j] = ∂g/∂y_j; return ∂g/∂t; }) or OdeEvent { Gradient = ... }, " +
                    "or build the event with OdeEvent.StateCrossing or OdeEvent.AtTime, which supply it.", "options");
            if (!ev.Terminal && ev.Reset is { Jacobian: null })
                throw new ArgumentException(
                    $"Events[{i}] ({ev}) has a reset without a Jacobian, and {caller} differentiates through it: construct the reset as " +
                    "new OdeReset(map, (y, p, dhdy, dhdp) => { ... }) filling ∂h/∂y (StateCount × StateCount, row-major) and " +
                    "∂h/∂θ (StateCount × ParameterCount, row-major).", "options");
        }
    }

    /// <summary>
    /// Evaluates the derivatives at an occurrence: g_y, g_t and f⁻, and for a reset (<paramref name="yPlus"/> not empty)
    /// h_y, h_θ and f⁺. Returns false when the crossing is grazing (see the remarks).
    /// </summary>
    public bool Prepare<TSystem>(in TSystem system, double[] p, OdeEvent ev, double t, ReadOnlySpan<double> yMinus,
        ReadOnlySpan<double> yPlus, double meanSlope) where TSystem : struct, IOdeSystem
    {
        int n = _n;
        Array.Clear(_gy);
        double gt = ev.Gradient!(t, yMinus, _gy);
        RequireFiniteGradient(ev, t, gt);
        system.Evaluate(t, yMinus, p, _fMinus);
        double d = gt, scale = Math.Abs(gt);
        for (int i = 0; i < n; i++)
        {
            d += _gy[i] * _fMinus[i];
            scale += Math.Abs(_gy[i] * _fMinus[i]);
        }
        _d = d;
        _reset = !ev.Terminal && !yPlus.IsEmpty;
        if (_reset)
        {
            Array.Clear(_hy);
            Array.Clear(_hp);
            ev.Reset!.Jacobian!(yMinus, p, _hy, _hp);
            system.Evaluate(t, yPlus, p, _fPlus);
            for (int i = 0; i < n; i++)
            {
                double s = -_fPlus[i];
                for (int j = 0; j < n; j++) s += _hy[i * n + j] * _fMinus[j];
                _w[i] = s;
            }
        }
        bool transversal = double.IsFinite(d) && d != 0
            && Math.Abs(d) > CancellationRatio * scale
            && !(meanSlope * d < 0)
            && !(Math.Abs(d) <= SlopeRatio * Math.Abs(meanSlope));
        return transversal;
    }

    // The user's dg/dt and dg/dy: a NaN or ∞ there would make the crossing look tangential (GrazingEvent, whose message
    // sends the user to the event surface) or the gradients NaN; it is the gradient callback that needs fixing.
    private void RequireFiniteGradient(OdeEvent ev, double t, double gt)
    {
        if (!double.IsFinite(gt))
            throw new ArgumentException(FormattableString.Invariant($"The gradient of event '{ev}' returned dg/dt = {gt} at t = {t}: it must be finite."), "options");
        for (int i = 0; i < _n; i++)
        {
            if (!double.IsFinite(_gy[i]))
                throw new ArgumentException(FormattableString.Invariant($"The gradient of event '{ev}' wrote dg/dy[{i}] = {_gy[i]} at t = {t}: every entry must be finite."), "options");
        }
    }

    /// <summary>
    /// Applies the event to the sensitivity columns: <paramref name="s"/> is n × <paramref name="cols"/> row-major (one
    /// direction per column), <paramref name="pSeed"/> the parameters' direction of each column (m × cols; empty when
    /// all are zero). Writes each column's dτ into <paramref name="tau"/>; with <paramref name="jump"/> false the columns are
    /// left as they are (an event that neither stops nor resets only has a time to differentiate).
    /// </summary>
    public void Forward(Span<double> s, int cols, ReadOnlySpan<double> pSeed, Span<double> tau, bool jump)
    {
        int n = _n, m = _m;
        for (int c = 0; c < cols; c++)
        {
            double gs = 0;
            for (int i = 0; i < n; i++) gs += _gy[i] * s[i * cols + c];
            tau[c] = -gs / _d;
        }
        if (!jump) return;
        if (!_reset)
        {
            for (int i = 0; i < n; i++)
                for (int c = 0; c < cols; c++) s[i * cols + c] += _fMinus[i] * tau[c];
            return;
        }
        for (int c = 0; c < cols; c++)
        {
            for (int i = 0; i < n; i++) _column[i] = s[i * cols + c];
            for (int i = 0; i < n; i++)
            {
                double v = _w[i] * tau[c];
                for (int j = 0; j < n; j++) v += _hy[i * n + j] * _column[j];
                if (!pSeed.IsEmpty)
                    for (int k = 0; k < m; k++) v += _hp[i * m + k] * pSeed[k * cols + c];
                s[i * cols + c] = v;
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Forward"/> (with the jump): <paramref name="lambda"/> holds λ⁺ and becomes λ⁻;
    /// <paramref name="thetaBar"/> gets h_θᵀλ⁺ added for a reset.
    /// </summary>
    public void Adjoint(Span<double> lambda, Span<double> thetaBar)
    {
        int n = _n, m = _m;
        if (!_reset)
        {
            double fl = 0;
            for (int i = 0; i < n; i++) fl += _fMinus[i] * lambda[i];
            for (int i = 0; i < n; i++) lambda[i] -= _gy[i] * fl / _d;
            return;
        }
        double wl = 0;
        for (int i = 0; i < n; i++) wl += _w[i] * lambda[i];
        for (int k = 0; k < m; k++)
        {
            double v = 0;
            for (int i = 0; i < n; i++) v += _hp[i * m + k] * lambda[i];
            thetaBar[k] += v;
        }
        lambda.CopyTo(_column);
        for (int j = 0; j < n; j++)
        {
            double v = -_gy[j] * wl / _d;
            for (int i = 0; i < n; i++) v += _hy[i * n + j] * _column[i];
            lambda[j] = v;
        }
    }
}
