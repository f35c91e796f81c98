namespace OdeGen.Lanes;

/// <summary>
/// One SIMD register of doubles holding one trajectory per lane: the number type of the generated lane
/// methods (<see cref="IOdeLaneSystem"/>). The generated code is written once, generic over
/// <typeparamref name="TSelf"/>; <see cref="Lane512"/>, <see cref="Lane256"/>, <see cref="Lane128"/> and
/// <see cref="Lane1"/> (one double, for remainders and tests) supply each operation for their width, the way
/// TensorPrimitives' operator structs do, so the JIT specializes every call and the generated code never
/// branches on the CPU. Float systems use its float twin, <see cref="ILaneSingle{TSelf}"/>.
/// </summary>
/// <remarks>
/// Comparisons return masks (all bits set in a lane where true, zero where false), consumed by
/// <see cref="Select"/>, <see cref="And"/>, <see cref="Or"/> and <see cref="AndNot"/>: a branch on a
/// differentiated value becomes a blend of both sides, lane by lane.
/// </remarks>
public interface ILane<TSelf> where TSelf : unmanaged, ILane<TSelf>
{
    /// <summary>Number of lanes (doubles) in one value.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane 0.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Every lane equal to <paramref name="value"/>.</summary>
    static abstract TSelf Create(double value);

    /// <summary>Lane i from <c>values[i]</c>, for the first <see cref="Count"/> values.</summary>
    static abstract TSelf Load(ReadOnlySpan<double> values);

    /// <summary>Writes the lanes to <c>destination[0..Count]</c>.</summary>
    static abstract void Store(TSelf value, Span<double> destination);

    /// <summary>The value of one lane.</summary>
    static abstract double GetLane(TSelf value, int lane);

    // Offset and strided access, for loops of the scalar methods vectorized across their index
    // (OdeDynamicsAttribute.VectorizeLoops): lane k is element start + k (or start + k·stride) of a span.
    /// <summary>Lane k holds k (0, 1, 2, …): a loop index as a number, lane k running iteration i + k.</summary>
    static abstract TSelf Indices { get; }

    /// <summary>Lane k from <c>values[start + k]</c>; throws when the run leaves the span.</summary>
    static abstract TSelf Load(ReadOnlySpan<double> values, int start);

    /// <summary>Lane k from <c>values[start + k·stride]</c> (any stride, negative too); throws when an element is outside the span.</summary>
    static abstract TSelf LoadStrided(ReadOnlySpan<double> values, int start, int stride);

    /// <summary>Writes lane k to <c>destination[start + k]</c>; throws when the run leaves the span.</summary>
    static abstract void Store(TSelf value, Span<double> destination, int start);

    /// <summary>Writes lane k to <c>destination[start + k·stride]</c>, in lane order; throws when an element is outside the span.</summary>
    static abstract void StoreStrided(TSelf value, Span<double> destination, int start, int stride);

    /// <summary>operator +, lane by lane.</summary>
    static abstract TSelf operator +(TSelf a, TSelf b);
    /// <summary>operator -, lane by lane.</summary>
    static abstract TSelf operator -(TSelf a, TSelf b);
    /// <summary>operator *, lane by lane.</summary>
    static abstract TSelf operator *(TSelf a, TSelf b);
    /// <summary>operator /, lane by lane.</summary>
    static abstract TSelf operator /(TSelf a, TSelf b);
    /// <summary>operator -, lane by lane.</summary>
    static abstract TSelf operator -(TSelf a);

    /// <summary>a·b + c with one rounding.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>Σ over lanes (for parameter adjoints shared across a minibatch).</summary>
    static abstract double Sum(TSelf value);

    /// <summary>Largest lane (for an error norm shared by the lanes of a block).</summary>
    static abstract double MaxAcross(TSelf value);

    /// <summary>True when every lane is finite.</summary>
    static abstract bool AllFinite(TSelf value);

    // Comparisons and masks.
    /// <summary>LessThan, lane by lane.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);
    /// <summary>LessThanOrEqual, lane by lane.</summary>
    static abstract TSelf LessThanOrEqual(TSelf a, TSelf b);
    /// <summary>GreaterThan, lane by lane.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    /// <summary>GreaterThanOrEqual, lane by lane.</summary>
    static abstract TSelf GreaterThanOrEqual(TSelf a, TSelf b);
    /// <summary>Equal, lane by lane.</summary>
    static abstract TSelf Equal(TSelf a, TSelf b);
    /// <summary>NotEqual, lane by lane.</summary>
    static abstract TSelf NotEqual(TSelf a, TSelf b);
    /// <summary>And, lane by lane.</summary>
    static abstract TSelf And(TSelf a, TSelf b);
    /// <summary>Or, lane by lane.</summary>
    static abstract TSelf Or(TSelf a, TSelf b);
    /// <summary>a AND NOT b, bitwise (for !mask use AndNot(allOnes, b) or Select).</summary>
    static abstract TSelf AndNot(TSelf a, TSelf b);
    /// <summary>Lane by lane: mask lane set ? ifTrue : ifFalse.</summary>
    static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);

    // Functions: each lane as the Math function of the same name (accuracy: docs/lanes.md).
    /// <summary>Sqrt, lane by lane.</summary>
    static abstract TSelf Sqrt(TSelf x);
    /// <summary>Abs, lane by lane.</summary>
    static abstract TSelf Abs(TSelf x);
    /// <summary>Min, lane by lane.</summary>
    static abstract TSelf Min(TSelf a, TSelf b);
    /// <summary>Max, lane by lane.</summary>
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>Floor, lane by lane.</summary>
    static abstract TSelf Floor(TSelf x);
    /// <summary>Exp, lane by lane.</summary>
    static abstract TSelf Exp(TSelf x);
    /// <summary>Log, lane by lane.</summary>
    static abstract TSelf Log(TSelf x);
    /// <summary>Log10, lane by lane.</summary>
    static abstract TSelf Log10(TSelf x);
    /// <summary>Pow, lane by lane.</summary>
    static abstract TSelf Pow(TSelf x, TSelf y);
    /// <summary>Cbrt, lane by lane.</summary>
    static abstract TSelf Cbrt(TSelf x);
    /// <summary>Sin, lane by lane.</summary>
    static abstract TSelf Sin(TSelf x);
    /// <summary>Cos, lane by lane.</summary>
    static abstract TSelf Cos(TSelf x);
    /// <summary>Tan, lane by lane.</summary>
    static abstract TSelf Tan(TSelf x);
    /// <summary>Asin, lane by lane.</summary>
    static abstract TSelf Asin(TSelf x);
    /// <summary>Acos, lane by lane.</summary>
    static abstract TSelf Acos(TSelf x);
    /// <summary>Atan, lane by lane.</summary>
    static abstract TSelf Atan(TSelf x);
    /// <summary>Atan2, lane by lane.</summary>
    static abstract TSelf Atan2(TSelf y, TSelf x);
    /// <summary>Sinh, lane by lane.</summary>
    static abstract TSelf Sinh(TSelf x);
    /// <summary>Cosh, lane by lane.</summary>
    static abstract TSelf Cosh(TSelf x);
    /// <summary>Tanh, lane by lane.</summary>
    static abstract TSelf Tanh(TSelf x);
}
