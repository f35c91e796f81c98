namespace OdeGen;

/// <summary>
/// Forward sensitivities (see <see cref="Sensitivity.Forward"/>); <see cref="Sensitivity.ForwardWith"/> sets the settings:
/// <c>Sensitivity.ForwardWith(sensitivitiesInErrorControl: false)</c>.
/// </summary>
public sealed class ForwardSensitivity : Sensitivity
{
    /// <summary>
    /// When true (the default) the step-size controller sees the sensitivity components as well as the
    /// state, which keeps the derivatives as accurate as the solution. When false only the state controls
    /// the steps: cheaper, the state is bit-for-bit what a plain solve with the same options would take
    /// (same steps), and the sensitivities are then only as accurate as those steps happen to make them.
    /// False is for explicit methods only (a stiff method with it throws <see cref="NotSupportedException"/>).
    /// </summary>
    public bool SensitivitiesInErrorControl { get; init; } = true;

    /// <inheritdoc/>
    public override string Name => SensitivitiesInErrorControl ? "Forward" : "Forward (state-only error control)";

    internal OdeGradient ComputeGradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem =>
        ForwardSensitivitySolver.Gradient(system, inputs, options, this);
}
