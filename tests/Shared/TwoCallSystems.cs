using OdeGen.Lanes;

namespace OdeGen.Testing;

/// <summary>
/// A generated system behind a wrapper that implements only <see cref="IOdeLaneSystem"/>: the runtime then takes the
/// path of a system without the one-sweep methods (Evaluate then Vjp), so the two paths can be compared on the same
/// arithmetic (tests/OdeGen.Tests/Sensitivity/OneSweepTests.cs, and benchmarks/OdeGen.Benchmarks/OneSweepBenchmarks.cs, which links this file).
/// </summary>
internal readonly struct TwoCalls<TSystem>(TSystem system) : IOdeLaneSystem where TSystem : struct, IOdeLaneSystem
{
    private readonly TSystem _system = system;

    public int StateCount => _system.StateCount;
    public int ParameterCount => _system.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => _system.Evaluate(t, y, p, dydt);

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot) => _system.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        _system.Vjp(t, y, p, a, yBar, pBar);

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) => _system.Jacobian(t, y, p, dfdy, dfdp);

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane> => _system.EvaluateLanes(t, y, p, dydt);

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot,
        Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILane<TLane> => _system.JvpLanes(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane> => _system.VjpLanes(t, y, p, a, yBar, pBar);
}

/// <summary>The second-order twin of <see cref="TwoCalls{TSystem}"/>: a CNF over it calls Evaluate and Divergence, Vjp and DivergenceVjp.</summary>
internal readonly struct TwoCallsSecondOrder<TSystem>(TSystem system) : IOdeLaneSystemSecondOrder where TSystem : struct, IOdeLaneSystemSecondOrder
{
    private readonly TSystem _system = system;

    public int StateCount => _system.StateCount;
    public int ParameterCount => _system.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => _system.Evaluate(t, y, p, dydt);

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot) => _system.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        _system.Vjp(t, y, p, a, yBar, pBar);

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) => _system.Jacobian(t, y, p, dfdy, dfdp);

    public double Divergence(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p) => _system.Divergence(t, y, p);

    public double DivergenceVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double s, Span<double> yBar, Span<double> pBar) =>
        _system.DivergenceVjp(t, y, p, s, yBar, pBar);

    public void Hvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> yBarDot, Span<double> pBarDot) => _system.Hvp(t, y, p, a, tDot, yDot, pDot, yBarDot, pBarDot);

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane> => _system.EvaluateLanes(t, y, p, dydt);

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot,
        Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILane<TLane> => _system.JvpLanes(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane> => _system.VjpLanes(t, y, p, a, yBar, pBar);

    public TLane DivergenceLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILane<TLane> => _system.DivergenceLanes(t, y, p);

    public TLane DivergenceVjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, TLane s, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane> => _system.DivergenceVjpLanes(t, y, p, s, yBar, pBar);

    public void HvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> yBarDot, Span<TLane> pBarDot)
        where TLane : unmanaged, ILane<TLane> => _system.HvpLanes(t, y, p, a, tDot, yDot, pDot, yBarDot, pBarDot);
}
