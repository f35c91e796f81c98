namespace OdeGen.Lanes;

/// <summary>
/// The bit-level operations the vector math kernels (<see cref="LaneMath"/>) need beyond <see cref="ILane{TSelf}"/>:
/// sign bits, the split of a double into exponent and significand, and powers of two. Internal, so the public lane contract the
/// generator emits against stays as it is; the SIMD lane types implement it explicitly.
/// </summary>
internal interface ILaneBits<TSelf> where TSelf : unmanaged, ILane<TSelf>, ILaneBits<TSelf>
{
    /// <summary>All bits set in the lanes whose sign bit is set (negative numbers, −0, negative NaNs).</summary>
    static abstract TSelf SignMask(TSelf x);

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>, lane by lane.</summary>
    static abstract TSelf CopySign(TSelf magnitude, TSelf sign);

    /// <summary>The biased exponent field (0 … 2047) of each lane, as a double.</summary>
    static abstract TSelf BiasedExponent(TSelf x);

    /// <summary>Each lane with its exponent field set to that of 1: the significand of a normal number, in [1, 2).</summary>
    static abstract TSelf Significand(TSelf x);

    /// <summary>2ᵏ for lanes holding integers k in [−1022, 1023] (the exponent field built directly).</summary>
    static abstract TSelf Pow2(TSelf k);
}
