using OdeGen.Lanes;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// The generated Lorenz, counting its lane evaluations in a static: the TestingHost silos run in the test's process, so
/// the test sees whether a silo's worker is still solving.
/// </summary>
public readonly struct CountingLorenz : IOdeLaneSystem
{
    private static long s_evaluations;
    private static readonly Lorenz.RhsSystem Inner = default;

    public static long Evaluations => Interlocked.Read(ref s_evaluations);

    public int StateCount => Inner.StateCount;
    public int ParameterCount => Inner.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => Inner.Evaluate(t, y, p, dydt);

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot) => Inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        Inner.Vjp(t, y, p, a, yBar, pBar);

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        Inner.Jacobian(t, y, p, dfdy, dfdp);

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        Interlocked.Increment(ref s_evaluations);
        Inner.EvaluateLanes(t, y, p, dydt);
    }

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILane<TLane> => Inner.JvpLanes(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane> => Inner.VjpLanes(t, y, p, a, yBar, pBar);
}
