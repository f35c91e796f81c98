using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// A lane function of one argument, as a type: the float lane types apply it to their lanes widened to the double
/// lane type of the same register width (<see cref="ILane{TSelf}"/>), so the float lanes reuse the double kernels
/// (<see cref="LaneMath"/> and .NET's vector Exp, Sin, Cos) instead of a second set of float approximations. A struct
/// type argument rather than a delegate, so the JIT specializes and inlines each use.
/// </summary>
internal interface IWidenedFunction
{
    /// <summary>The function on every lane of <paramref name="x"/>.</summary>
    static abstract T Apply<T>(T x) where T : unmanaged, ILane<T>;
}

/// <summary>A lane function of two arguments, as a type (see <see cref="IWidenedFunction"/>).</summary>
internal interface IWidenedFunction2
{
    /// <summary>The function on every pair of lanes of <paramref name="x"/> and <paramref name="y"/>.</summary>
    static abstract T Apply<T>(T x, T y) where T : unmanaged, ILane<T>;
}

/// <summary>The double lane functions the float lanes widen to, one struct each.</summary>
internal static class WidenedFunctions
{
#pragma warning disable CS1591 // each struct is its ILane namesake
    public readonly struct Exp : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Exp(x); }
    public readonly struct Log : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Log(x); }
    public readonly struct Log10 : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Log10(x); }
    public readonly struct Cbrt : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Cbrt(x); }
    public readonly struct Sin : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Sin(x); }
    public readonly struct Cos : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Cos(x); }
    public readonly struct Tan : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Tan(x); }
    public readonly struct Asin : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Asin(x); }
    public readonly struct Acos : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Acos(x); }
    public readonly struct Atan : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Atan(x); }
    public readonly struct Sinh : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Sinh(x); }
    public readonly struct Cosh : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Cosh(x); }
    public readonly struct Tanh : IWidenedFunction { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x) where T : unmanaged, ILane<T> => T.Tanh(x); }
    public readonly struct Pow : IWidenedFunction2 { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T x, T y) where T : unmanaged, ILane<T> => T.Pow(x, y); }
    public readonly struct Atan2 : IWidenedFunction2 { [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Apply<T>(T y, T x) where T : unmanaged, ILane<T> => T.Atan2(y, x); }
#pragma warning restore CS1591
}
