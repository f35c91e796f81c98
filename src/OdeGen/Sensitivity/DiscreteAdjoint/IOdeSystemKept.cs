using System.Runtime.CompilerServices;

namespace OdeGen;

/// <summary>
/// A system whose VJP can read what an evaluation at the same point computed (the one-system form of
/// <see cref="Models.IBatchOdeSystemKept"/>, which the batch of an ODE block implements through it): the discrete adjoint
/// keeps those values for the stages of its steps (<see cref="KeptStages"/>) and its reverse sweep reads them instead of
/// evaluating f again. Each method gives its namesake's bits.
/// </summary>
internal interface IOdeSystemKept : IOdeSystem
{
    /// <summary>Doubles one evaluation keeps; 0 when the system keeps nothing.</summary>
    int KeptCount { get; }

    /// <summary>Evaluate (its bits), writing kept[0 … KeptCount).</summary>
    void EvaluateKeeping(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept);

    /// <summary>Evaluate's dydt at (t, y, p) from what EvaluateKeeping kept there.</summary>
    void EvaluateFromKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt);

    /// <summary>Vjp at (t, y, p) (its bits) from what EvaluateKeeping kept there.</summary>
    double VjpKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar);
}

/// <summary>
/// Calls of <see cref="IOdeSystemKept"/> on a system known only as <typeparamref name="TSystem"/>, as
/// <see cref="AugmentedCalls{TSystem}"/> makes its calls: <see cref="Has"/> is a constant once the JIT specializes for the
/// struct, and each call is compiled optimized from the start, where the JIT removes the cast's box (nothing allocated).
/// </summary>
internal static class KeptCalls<TSystem> where TSystem : struct, IOdeSystem
{
    /// <summary>Whether <typeparamref name="TSystem"/> implements <see cref="IOdeSystemKept"/>.</summary>
    public static bool Has => typeof(IOdeSystemKept).IsAssignableFrom(typeof(TSystem));

    /// <summary>Doubles an evaluation of <paramref name="system"/> keeps (0 without the interface).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int KeptCount(in TSystem system) => Has ? ((IOdeSystemKept)system).KeptCount : 0;

    /// <inheritdoc cref="IOdeSystemKept.EvaluateKeeping"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EvaluateKeeping(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept) =>
        ((IOdeSystemKept)system).EvaluateKeeping(t, y, p, dydt, kept);

    /// <inheritdoc cref="IOdeSystemKept.EvaluateFromKept"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EvaluateFromKept(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt) =>
        ((IOdeSystemKept)system).EvaluateFromKept(t, y, p, kept, dydt);

    /// <inheritdoc cref="IOdeSystemKept.VjpKept"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double VjpKept(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar) =>
        ((IOdeSystemKept)system).VjpKept(t, y, p, kept, a, yBar, pBar);
}
