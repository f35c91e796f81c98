using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Flows;

/// <summary>
/// The field's generated code as the augmented CNF dynamics call it: in lanes (one sample per lane, θ broadcast), so
/// that one implementation of the augmented arithmetic (<see cref="CnfAugmentedSystem{TKernel, TLane}"/>) serves the
/// scalar methods (<see cref="ScalarCnfKernel{TSystem}"/>, one "lane" of <see cref="Lane1"/>) and the lane methods
/// (<see cref="LaneCnfKernel{TSystem, TLane}"/>). The paired calls (f with its trace, the VJPs of both) go to the system's
/// one-sweep methods when it has them (<see cref="IOdeAugmentedSystemSecondOrder"/>: every generated system), else to the two.
/// </summary>
internal interface ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
{
    int StateCount { get; }
    int ParameterCount { get; }
    void Evaluate(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, Span<TLane> f);
    void Jvp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> zDot, ReadOnlySpan<TLane> pDot, Span<TLane> f, Span<TLane> fDot);
    TLane Vjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> zBar, Span<TLane> pBar);
    TLane Divergence(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p);
    TLane DivergenceVjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, TLane s, Span<TLane> zBar, Span<TLane> pBar);

    /// <summary>f into <paramref name="f"/> and the trace returned: Evaluate and Divergence, in one sweep when the system has it.</summary>
    TLane EvaluateDivergence(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, Span<TLane> f);

    /// <summary>Vjp plus DivergenceVjp (their t-components summed), in one reverse sweep when the system has it.</summary>
    TLane VjpDivergenceVjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, TLane s, Span<TLane> zBar, Span<TLane> pBar);

    void Hvp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, double tDot, ReadOnlySpan<TLane> zDot, ReadOnlySpan<TLane> pDot,
        Span<TLane> zBarDot, Span<TLane> pBarDot);
}

/// <summary>Any <see cref="IOdeSystemSecondOrder"/>, one sample at a time (a <see cref="Lane1"/> is a double).</summary>
internal readonly struct ScalarCnfKernel<TSystem>(TSystem system) : ICnfKernel<Lane1> where TSystem : struct, IOdeSystemSecondOrder
{
    private readonly TSystem _system = system;

    public int StateCount => _system.StateCount;
    public int ParameterCount => _system.ParameterCount;

    private static ReadOnlySpan<double> D(ReadOnlySpan<Lane1> v) => MemoryMarshal.Cast<Lane1, double>(v);
    private static Span<double> D(Span<Lane1> v) => MemoryMarshal.Cast<Lane1, double>(v);

    public void Evaluate(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, Span<Lane1> f) => _system.Evaluate(t, D(z), D(p), D(f));

    public void Jvp(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, double tDot, ReadOnlySpan<Lane1> zDot, ReadOnlySpan<Lane1> pDot, Span<Lane1> f, Span<Lane1> fDot) =>
        _system.Jvp(t, D(z), D(p), tDot, D(zDot), D(pDot), D(f), D(fDot));

    public Lane1 Vjp(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, ReadOnlySpan<Lane1> a, Span<Lane1> zBar, Span<Lane1> pBar) =>
        new(_system.Vjp(t, D(z), D(p), D(a), D(zBar), D(pBar)));

    public Lane1 Divergence(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p) => new(_system.Divergence(t, D(z), D(p)));

    public Lane1 DivergenceVjp(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, Lane1 s, Span<Lane1> zBar, Span<Lane1> pBar) =>
        new(_system.DivergenceVjp(t, D(z), D(p), s.Value, D(zBar), D(pBar)));

    public Lane1 EvaluateDivergence(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, Span<Lane1> f)
    {
        if (AugmentedCalls<TSystem>.HasDivergencePairs) return new(AugmentedCalls<TSystem>.EvaluateDivergence(in _system, t, D(z), D(p), D(f)));
        _system.Evaluate(t, D(z), D(p), D(f));
        return new(_system.Divergence(t, D(z), D(p)));
    }

    public Lane1 VjpDivergenceVjp(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, ReadOnlySpan<Lane1> a, Lane1 s, Span<Lane1> zBar, Span<Lane1> pBar)
    {
        if (AugmentedCalls<TSystem>.HasDivergencePairs)
            return new(AugmentedCalls<TSystem>.VjpDivergenceVjp(in _system, t, D(z), D(p), D(a), s.Value, D(zBar), D(pBar)));
        double vjp = _system.Vjp(t, D(z), D(p), D(a), D(zBar), D(pBar));
        return new(vjp + _system.DivergenceVjp(t, D(z), D(p), s.Value, D(zBar), D(pBar)));
    }

    public void Hvp(double t, ReadOnlySpan<Lane1> z, ReadOnlySpan<Lane1> p, ReadOnlySpan<Lane1> a, double tDot, ReadOnlySpan<Lane1> zDot, ReadOnlySpan<Lane1> pDot,
        Span<Lane1> zBarDot, Span<Lane1> pBarDot) =>
        _system.Hvp(t, D(z), D(p), D(a), tDot, D(zDot), D(pDot), D(zBarDot), D(pBarDot));
}

/// <summary>A generated system's lane methods: <c>TLane.Count</c> samples per call.</summary>
internal readonly struct LaneCnfKernel<TSystem, TLane>(TSystem system) : ICnfKernel<TLane>
    where TSystem : struct, IOdeLaneSystemSecondOrder where TLane : unmanaged, ILane<TLane>
{
    private readonly TSystem _system = system;

    // The one-sweep lane methods are generic interface methods, which the JIT does not devirtualize on a boxed struct as it
    // does the scalar ones (AugmentedCalls): the system is boxed once here, with the kernel (once per flow), and called
    // through the interface; the call's dispatch is nothing beside a lane sweep of the field.
    private readonly IOdeAugmentedLaneSystemSecondOrder? _oneSweep = AugmentedCalls<TSystem>.HasDivergencePairLanes ? (IOdeAugmentedLaneSystemSecondOrder)system : null;

    public int StateCount => _system.StateCount;
    public int ParameterCount => _system.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, Span<TLane> f) => _system.EvaluateLanes(t, z, p, f);

    public void Jvp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> zDot, ReadOnlySpan<TLane> pDot, Span<TLane> f, Span<TLane> fDot) =>
        _system.JvpLanes(t, z, p, tDot, zDot, pDot, f, fDot);

    public TLane Vjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> zBar, Span<TLane> pBar) =>
        _system.VjpLanes(t, z, p, a, zBar, pBar);

    public TLane Divergence(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p) => _system.DivergenceLanes(t, z, p);

    public TLane DivergenceVjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, TLane s, Span<TLane> zBar, Span<TLane> pBar) =>
        _system.DivergenceVjpLanes(t, z, p, s, zBar, pBar);

    public TLane EvaluateDivergence(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, Span<TLane> f)
    {
        if (_oneSweep is not null) return _oneSweep.EvaluateDivergenceLanes(t, z, p, f);
        _system.EvaluateLanes(t, z, p, f);
        return _system.DivergenceLanes(t, z, p);
    }

    public TLane VjpDivergenceVjp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, TLane s, Span<TLane> zBar, Span<TLane> pBar)
    {
        if (_oneSweep is not null) return _oneSweep.VjpDivergenceVjpLanes(t, z, p, a, s, zBar, pBar);
        TLane vjp = _system.VjpLanes(t, z, p, a, zBar, pBar);
        return vjp + _system.DivergenceVjpLanes(t, z, p, s, zBar, pBar);
    }

    public void Hvp(double t, ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, double tDot, ReadOnlySpan<TLane> zDot, ReadOnlySpan<TLane> pDot,
        Span<TLane> zBarDot, Span<TLane> pBarDot) =>
        _system.HvpLanes(t, z, p, a, tDot, zDot, pDot, zBarDot, pBarDot);
}
