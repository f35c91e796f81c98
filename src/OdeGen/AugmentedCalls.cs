using System.Runtime.CompilerServices;

namespace OdeGen;

/// <summary>
/// Calls of the one-sweep methods (<see cref="IOdeAugmentedSystem"/> and its relatives) on a system known only as
/// <typeparamref name="TSystem"/>: callers test <c>Has…</c>, a constant once the JIT specializes for the struct, and call
/// through here only when it holds, so a system without the interface keeps its two calls and pays nothing.
/// </summary>
/// <remarks>
/// The casts box in IL; each method is compiled fully optimized from the start (<see cref="MethodImplOptions.AggressiveOptimization"/>),
/// where the JIT devirtualizes the call on the exact struct type and removes the box, so nothing is allocated even while
/// the caller still runs unoptimized code (tests/OdeGen.Tests/Sensitivity/OneSweepTests.cs asserts it). The lane methods
/// are generic interface methods, which the JIT does not devirtualize that way: a caller boxes the system once and keeps
/// the interface (<see cref="Flows.LaneCnfKernel{TSystem, TLane}"/>).
/// </remarks>
internal static class AugmentedCalls<TSystem> where TSystem : struct, IOdeSystem
{
    /// <summary>Whether <typeparamref name="TSystem"/> computes f and its VJP in one sweep.</summary>
    public static bool HasEvaluateVjp => typeof(IOdeAugmentedSystem).IsAssignableFrom(typeof(TSystem));

    /// <summary>Whether <typeparamref name="TSystem"/> computes f with its divergence, and both VJPs, in one sweep each.</summary>
    public static bool HasDivergencePairs => typeof(IOdeAugmentedSystemSecondOrder).IsAssignableFrom(typeof(TSystem));

    /// <summary>Whether <typeparamref name="TSystem"/> has their lane forms too.</summary>
    public static bool HasDivergencePairLanes => typeof(IOdeAugmentedLaneSystemSecondOrder).IsAssignableFrom(typeof(TSystem));

    /// <inheritdoc cref="IOdeAugmentedSystem.EvaluateVjp"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double EvaluateVjp(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> dydt, Span<double> yBar, Span<double> pBar) =>
        ((IOdeAugmentedSystem)system).EvaluateVjp(t, y, p, a, dydt, yBar, pBar);

    /// <inheritdoc cref="IOdeAugmentedSystemSecondOrder.EvaluateDivergence"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double EvaluateDivergence(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) =>
        ((IOdeAugmentedSystemSecondOrder)system).EvaluateDivergence(t, y, p, dydt);

    /// <inheritdoc cref="IOdeAugmentedSystemSecondOrder.VjpDivergenceVjp"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double VjpDivergenceVjp(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, double s,
        Span<double> yBar, Span<double> pBar) =>
        ((IOdeAugmentedSystemSecondOrder)system).VjpDivergenceVjp(t, y, p, a, s, yBar, pBar);
}
