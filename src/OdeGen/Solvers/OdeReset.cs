namespace OdeGen;

/// <summary>The state reset of an event: writes y⁺ = h(y⁻, θ) into <paramref name="yPlus"/>.</summary>
/// <param name="yMinus">The state just before the event (length: the state's).</param>
/// <param name="p">The parameters θ (empty for solves of a vector field without parameters).</param>
/// <param name="yPlus">Where y⁺ goes (same length as <paramref name="yMinus"/>).</param>
public delegate void ResetMap(ReadOnlySpan<double> yMinus, ReadOnlySpan<double> p, Span<double> yPlus);

/// <summary>
/// The Jacobians of a reset h(y⁻, θ), row-major: dhdy[i·n + j] = ∂h_i/∂y⁻_j (n × n), dhdp[i·m + k] = ∂h_i/∂θ_k (n × m).
/// Both are zero on entry.
/// </summary>
public delegate void ResetJacobian(ReadOnlySpan<double> yMinus, ReadOnlySpan<double> p, Span<double> dhdy, Span<double> dhdp);

/// <summary>
/// A state reset y⁺ = h(y⁻, θ) for an <see cref="OdeEvent"/> (set <see cref="OdeEvent.Reset"/>): the map and, for
/// differentiating calls, its Jacobians. A map is a plain callback today; a generated differentiable function can supply
/// both through the same two delegates (its Evaluate, and its Jvp applied to unit vectors).
/// </summary>
/// <example>
/// The bounce v⁺ = −e·v⁻ of a ball y = [h, v] with θ = [g, e]:
/// <code>
/// var bounce = new OdeReset(
///     (y, p, yPlus) => { yPlus[0] = y[0]; yPlus[1] = -p[1] * y[1]; },
///     (y, p, dhdy, dhdp) => { dhdy[0] = 1; dhdy[3] = -p[1]; dhdp[3] = -y[1]; });
/// </code>
/// </example>
public sealed class OdeReset
{
    /// <summary>A reset with its map and (optionally) its Jacobians.</summary>
    /// <param name="map">h(y⁻, θ).</param>
    /// <param name="jacobian">∂h/∂y⁻ and ∂h/∂θ; required when the event is used by a differentiating call.</param>
    public OdeReset(ResetMap map, ResetJacobian? jacobian = null)
    {
        Map = map ?? throw new ArgumentNullException(nameof(map));
        Jacobian = jacobian;
    }

    /// <summary>h(y⁻, θ).</summary>
    public ResetMap Map { get; }

    /// <summary>∂h/∂y⁻ and ∂h/∂θ, or null.</summary>
    public ResetJacobian? Jacobian { get; }
}
