namespace OdeGen.Lanes;

/// <summary>
/// The float flavour of <see cref="ILane{TSelf}"/>: one SIMD register of floats, one trajectory per lane, the number
/// type of the lane methods of float systems (<see cref="IOdeLaneSystemSingle"/>). <see cref="LaneSingle512"/> (16
/// floats), <see cref="LaneSingle256"/> (8), <see cref="LaneSingle128"/> (4) and <see cref="LaneSingle1"/> (one float,
/// for remainders and for testing the generated lane code against the scalar float methods bit for bit) supply each
/// operation, so the generated code, written once, is specialized by the JIT for every width.
/// </summary>
/// <remarks>
/// The members mean what <see cref="ILane{TSelf}"/>'s do, on floats. Masks are floats with all 32 bits set (true) or
/// clear (false). Twice the lanes of the double type of the same register width: a float register holds 2× the
/// trajectories.
/// </remarks>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
public interface ILaneSingle<TSelf> where TSelf : unmanaged, ILaneSingle<TSelf>
{
    /// <summary>Number of lanes (floats) in one value.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane 0.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Every lane equal to <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);

    /// <summary>Lane i from <c>values[i]</c>, for the first <see cref="Count"/> values.</summary>
    static abstract TSelf Load(ReadOnlySpan<float> values);

    /// <summary>Writes the lanes to <c>destination[0..Count]</c>.</summary>
    static abstract void Store(TSelf value, Span<float> destination);

    /// <summary>The value of one lane.</summary>
    static abstract float GetLane(TSelf value, int lane);

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

    /// <summary>
    /// Σ over lanes (for parameter adjoints shared across a minibatch), added in double: up to 16 floats within a factor
    /// 2²⁵ of each other sum exactly there, and a caller adding block sums over a minibatch rounds to float once, at the end.
    /// </summary>
    static abstract double Sum(TSelf value);

    /// <summary>Largest lane (for an error norm shared by the lanes of a block).</summary>
    static abstract float MaxAcross(TSelf value);

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

    // Functions: each lane as the MathF function of the same name, rounded once from the double kernel: the correctly
    // rounded float at every point measured (docs/notes/lane-math.md, "Float lanes"), so up to 2 ulp from MathF where MathF is
    // not; LaneSingle1 calls MathF itself.
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
