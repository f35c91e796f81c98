using System.ComponentModel;

namespace OdeGen.Lanes;

/// <summary>
/// The whole state of one trajectory as a value of doubles, state i in field S{i}: what <c>Ode.Solve</c>'s register steps
/// keep in registers from one stage, and one step, to the next. The generator writes it (as <c>ScalarRegisters</c> inside the
/// system) beside <see cref="ILaneRegisters{TSelf, TLane}"/>, for the same systems; every operation is Evaluate's on doubles,
/// so it computes the scalar methods' bits.
/// </summary>
/// <remarks>
/// Why not <c>LaneRegisters&lt;Lane1&gt;</c>: every <see cref="Lane1"/> operation is a call the JIT must inline, and a whole
/// Runge–Kutta step written on it exhausted the JIT's inlining budget (the sums became calls); on doubles the arithmetic needs
/// no inlining (BENCHMARKS.md, 6 December 2026, afternoon).
/// </remarks>
// Public because generated code in the user's assembly implements it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IScalarRegisters<TSelf> where TSelf : unmanaged, IScalarRegisters<TSelf>
{
    /// <summary>Number of states (fields).</summary>
    static abstract int StateCount { get; }

    /// <summary>State i from <c>y[i]</c>.</summary>
    static abstract TSelf Load(ReadOnlySpan<double> y);

    /// <summary>Writes state i to <c>y[i]</c>.</summary>
    static abstract void Store(in TSelf value, Span<double> y);

    /// <summary>y + w·k, state by state, the product rounded before it is added (no fused multiply-add).</summary>
    static abstract TSelf AddProduct(in TSelf y, double w, in TSelf k);

    /// <summary>Σ_i (y_i − y_i): 0 when every state is finite, NaN when one is not.</summary>
    static abstract double NonFinite(in TSelf y);

    /// <summary>f(t, y, p): the generated Evaluate on fields instead of spans.</summary>
    static abstract TSelf Derivative(double t, in TSelf y, ReadOnlySpan<double> p);
}
