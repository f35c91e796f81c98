using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// Two registers of trajectories side by side as one register value: every operation is the same operation on
/// <see cref="First"/> and then on <see cref="Second"/>, so a step written once for one register runs two independent
/// dependency chains with their instructions next to each other, and the CPU overlaps them. Each half computes exactly
/// what it would alone (lanes never interact in a fixed step). The JIT keeps both halves in registers (a pair of pairs,
/// or four registers in one value, it kept on the stack, 5 to 10 times slower on Lorenz).
/// </summary>
internal struct LanePair<TState, TLane> : ILaneRegisters<LanePair<TState, TLane>, TLane>
    where TState : unmanaged, ILaneRegisters<TState, TLane>
    where TLane : unmanaged, ILane<TLane>
{
    /// <summary>The first register: states 0 … n − 1 of the span, parameters 0 … m − 1.</summary>
    public TState First;

    /// <summary>The second register: states n … 2n − 1, parameters m … 2m − 1.</summary>
    public TState Second;

    /// <inheritdoc/>
    public static int StateCount => 2 * TState.StateCount;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LanePair<TState, TLane> Load(ReadOnlySpan<TLane> y) =>
        new() { First = TState.Load(y[..TState.StateCount]), Second = TState.Load(y[TState.StateCount..]) };

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(in LanePair<TState, TLane> value, Span<TLane> y)
    {
        TState.Store(value.First, y[..TState.StateCount]);
        TState.Store(value.Second, y[TState.StateCount..]);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LanePair<TState, TLane> MultiplyAdd(in LanePair<TState, TLane> y, TLane w, in LanePair<TState, TLane> k) =>
        new() { First = TState.MultiplyAdd(y.First, w, k.First), Second = TState.MultiplyAdd(y.Second, w, k.Second) };

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LanePair<TState, TLane> AddProduct(in LanePair<TState, TLane> y, TLane w, in LanePair<TState, TLane> k) =>
        new() { First = TState.AddProduct(y.First, w, k.First), Second = TState.AddProduct(y.Second, w, k.Second) };

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLane NonFinite(in LanePair<TState, TLane> y) => TState.NonFinite(y.First) + TState.NonFinite(y.Second);

    /// <summary>f of both registers; <paramref name="p"/> holds the first register's parameters, then the second's (equal halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LanePair<TState, TLane> Derivative(double t, in LanePair<TState, TLane> y, ReadOnlySpan<TLane> p)
    {
        int m = p.Length >> 1;
        return new() { First = TState.Derivative(t, y.First, p[..m]), Second = TState.Derivative(t, y.Second, p[m..]) };
    }
}
