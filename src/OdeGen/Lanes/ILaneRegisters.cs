using System.ComponentModel;
namespace OdeGen.Lanes;

/// <summary>
/// The whole state of one register of trajectories as a value: one <typeparamref name="TLane"/> per state, held in
/// fields the JIT keeps in SIMD registers. The generator writes it (as <c>LaneRegisters&lt;TLane&gt;</c> inside the
/// system) for dynamics that are straight-line code over constant indices, with f in this form; the fused steppers
/// of <see cref="FusedFixedSteps"/> and the per-lane adaptive steps run whole Runge–Kutta steps on it without a store
/// between the stages. The scalar solve (<c>Ode.Solve</c>) uses its one-trajectory sibling in doubles,
/// <see cref="IScalarRegisters{TSelf}"/>.
/// </summary>
// Public because generated code in the user's assembly implements or calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILaneRegisters<TSelf, TLane>
    where TSelf : unmanaged, ILaneRegisters<TSelf, TLane>
    where TLane : unmanaged, ILane<TLane>
{
    /// <summary>Number of states (fields).</summary>
    static abstract int StateCount { get; }

    /// <summary>State i from <c>y[i]</c>.</summary>
    static abstract TSelf Load(ReadOnlySpan<TLane> y);

    /// <summary>Writes state i to <c>y[i]</c>.</summary>
    static abstract void Store(in TSelf value, Span<TLane> y);

    /// <summary>y + w·k, state by state, each with one rounding (a fused multiply-add).</summary>
    static abstract TSelf MultiplyAdd(in TSelf y, TLane w, in TSelf k);

    /// <summary>
    /// y + w·k, state by state, the product rounded before it is added (two roundings, no fused multiply-add): the sums of the
    /// scalar adaptive step, which adds its terms as <c>RungeKuttaKernel</c> does (<c>RegisterStages</c>).
    /// </summary>
    static abstract TSelf AddProduct(in TSelf y, TLane w, in TSelf k);

    /// <summary>Σ_i (y_i − y_i): 0 in a lane where every state is finite, NaN where one is not.</summary>
    static abstract TLane NonFinite(in TSelf y);

    /// <summary>f(t, y, p) in every lane: the generated EvaluateLanes on registers instead of spans.</summary>
    static abstract TSelf Derivative(double t, in TSelf y, ReadOnlySpan<TLane> p);
}
