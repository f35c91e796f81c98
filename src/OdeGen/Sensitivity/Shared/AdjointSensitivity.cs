using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// Settings shared by the continuous adjoint methods (<see cref="BacksolveAdjointSensitivity"/>,
/// <see cref="InterpolatingAdjointSensitivity"/>): how the backward pass controls its step size.
/// </summary>
/// <remarks>
/// The backward pass integrates a different system from the forward pass (the adjoint a = ∂L/∂y and the
/// quadratures a_p = ∂L/∂p, a_t = ∂L/∂t0, plus the state itself for the back-solve), so it may deserve its own
/// tolerances. When <see cref="SolverOptions.AbsTolVector"/> is set (it is sized for the state), the back-solve
/// applies it to its copy of the state and the scalar absolute tolerance to the adjoint components.
/// </remarks>
public abstract class AdjointSensitivity : Sensitivity
{
    private readonly double? _relTol, _absTol;

    private protected AdjointSensitivity() { }

    /// <summary>Relative tolerance of the backward pass; null (the default) uses the forward pass's <see cref="SolverOptions.RelTol"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double? RelTol
    {
        get => _relTol;
        init => _relTol = CheckTolerance(value, nameof(RelTol));
    }

    /// <summary>Absolute tolerance of the backward pass; null (the default) uses the forward pass's <see cref="SolverOptions.AbsTol"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double? AbsTol
    {
        get => _absTol;
        init => _absTol = CheckTolerance(value, nameof(AbsTol));
    }

    /// <summary>
    /// Seminorm error control (Kidger, Chen &amp; Lyons 2021, "Hey, that's not an ODE"): the backward step-size
    /// controller measures the error of the state and the adjoint a only, not of the parameter adjoint a_p and
    /// the time adjoint a_t. Those are quadratures: nothing else in the backward system depends on them, so their
    /// local error does not propagate, and controlling it only shortens steps (most when there are many
    /// parameters). Off by default; the gradient is then as accurate as the tolerances make every component.
    /// Explicit methods only: the stiff integrators control every component (a stiff method with it throws <see cref="NotSupportedException"/>).
    /// </summary>
    public bool Seminorm { get; init; }

    private static double? CheckTolerance(double? value, string name)
    {
        if (value is { } v && !(v >= 0 && double.IsFinite(v)))
            throw new ArgumentOutOfRangeException(name, v, $"{name} must be finite and non-negative.");
        return value;
    }

    /// <summary>", rtol …, atol …, seminorm" for the settings that differ from the defaults, in parentheses.</summary>
    private protected string SettingsSuffix()
    {
        var parts = new List<string>(3);
        if (_relTol is { } r) parts.Add(FormattableString.Invariant($"rtol {r:G3}"));
        if (_absTol is { } a) parts.Add(FormattableString.Invariant($"atol {a:G3}"));
        if (Seminorm) parts.Add("seminorm");
        return parts.Count == 0 ? "" : " [" + string.Join(", ", parts) + "]";
    }

    /// <summary>
    /// The options of the backward pass: the forward options with this method's tolerances, and an absolute
    /// tolerance vector laid out for the backward state (its first <paramref name="stateComponents"/> components
    /// are a copy of the state and take the forward vector; the rest take the scalar absolute tolerance).
    /// With <see cref="Seminorm"/>, only the leading <paramref name="controlled"/> components will enter the error
    /// norm (see <see cref="ApplyErrorControl{TField}(IOdeIntegrator{TField}, int)"/>), and the tolerances are scaled by √(dimension / controlled).
    /// </summary>
    /// <remarks>
    /// Why the scaling: the integrator's norm is the RMS over the components it controls, so controlling fewer of
    /// them would divide by a smaller count and make the norm larger, not smaller (with few parameters, a
    /// seminorm done that way takes more steps than the full norm). The seminorm of Kidger et al. is the full RMS
    /// norm with the quadrature components set to zero: Σ over the controlled components, divided by the full
    /// dimension. Scaling every tolerance by k = √(dimension / controlled) turns the first into the second exactly
    /// (each scaled error shrinks by k, the mean of squares by k² = dimension / controlled), so the seminorm is
    /// never larger than the norm it comes from.
    /// </remarks>
    internal SolverOptions BackwardOptions(SolverOptions forward, int dimension, int stateComponents, int controlled)
    {
        double k = Seminorm && controlled < dimension ? Math.Sqrt((double)dimension / controlled) : 1.0;
        double relTol = k * (_relTol ?? forward.RelTol), absTol = k * (_absTol ?? forward.AbsTol);
        double[]? atolVector = forward.AbsTolVector is { } v && _absTol is null && stateComponents > 0
            ? AugmentedOptions.Expand(v, dimension, stateComponents, absTol, k)
            : null;
        if (_relTol is null && _absTol is null && forward.AbsTolVector is null && k == 1.0) return forward;
        return AugmentedOptions.WithTolerances(forward, relTol, absTol, atolVector);
    }

    /// <summary>
    /// Applies <see cref="Seminorm"/>: the backward state's leading <paramref name="controlled"/> components
    /// (the state copy and the adjoint a) stay in the error norm, the quadratures after them leave it. Pair with
    /// <see cref="BackwardOptions"/> given the same count.
    /// </summary>
    internal void ApplyErrorControl<TField>(IOdeIntegrator<TField> backward, int controlled) where TField : struct, IVectorField
    {
        if (Seminorm) backward.ErrorComponents = controlled;
    }
}
