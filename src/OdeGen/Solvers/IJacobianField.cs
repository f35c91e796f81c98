namespace OdeGen.Solvers;

/// <summary>
/// A vector field that also supplies its derivatives: what the stiff (linearly implicit) solvers step.
/// <see cref="SystemField{TSystem}"/> implements it from <see cref="IOdeSystem.Jacobian"/> and
/// <see cref="IOdeSystem.Jvp"/>; plain fields get one by finite differences (<see cref="FiniteDifferenceJacobianField{TField}"/>).
/// </summary>
public interface IJacobianField : IVectorField
{
    /// <summary>∂F/∂y at (t, y), row-major: dfdy[i·n + j] = ∂F_i/∂y_j (overwritten; length n²).</summary>
    void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy);

    /// <summary>∂F/∂t at (t, y) (overwritten; length n). Rosenbrock methods need it for non-autonomous fields.</summary>
    void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt);
}
