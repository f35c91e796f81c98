namespace OdeGen;

/// <summary>
/// The back-solve adjoint (see <see cref="Sensitivity.BacksolveAdjoint"/>). <see cref="Sensitivity.Backsolve"/> gives the
/// backward pass its own tolerances or seminorm error control.
/// </summary>
public sealed class BacksolveAdjointSensitivity : AdjointSensitivity
{
    /// <inheritdoc/>
    public override string Name => "BacksolveAdjoint" + SettingsSuffix();

    /// <exception cref="NotSupportedException">The options' method does not support it (<see cref="OdeMethod.SupportsBacksolveAdjoint"/>).</exception>
    internal OdeGradient ComputeGradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem =>
        ComputeInWorkspace(system, inputs, options);

    /// <exception cref="NotSupportedException">The options' method does not support it (<see cref="OdeMethod.SupportsBacksolveAdjoint"/>).</exception>
    internal bool ComputeGradientInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options)
        where TSystem : struct, IOdeSystem =>
        ComputeFromStatesInto(system, workspace, options, default);

    /// <summary>
    /// <see cref="ComputeGradientInto{TSystem}"/> from the forward pass's states y(t_i) (row i; empty: solve forward as ComputeGradientInto does), which
    /// the caller computed with the same options: the backward pass starts from them and the forward pass is not repeated.
    /// </summary>
    /// <exception cref="NotSupportedException">The options' method does not support it (<see cref="OdeMethod.SupportsBacksolveAdjoint"/>).</exception>
    internal bool ComputeFromStatesInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options, ReadOnlySpan<double> states)
        where TSystem : struct, IOdeSystem
    {
        RejectEvents(options, "The back-solve adjoint");
        options.Method.Require(m => m.SupportsBacksolveAdjoint, "The back-solve adjoint",
            "Integrating a stiff state backwards is unstable, and its backward Jacobian would need second derivatives of f: " +
            "use Sensitivity.InterpolatingAdjoint(...) or Sensitivity.Forward with stiff methods.");
        BacksolveAdjointSolver.Gradient(system, workspace, options, this, states);
        return true;
    }
}
