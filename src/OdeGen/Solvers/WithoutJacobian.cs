namespace OdeGen.Solvers;

/// <summary>
/// A vector field offered where an <see cref="IJacobianField"/> is expected, for methods that never ask for derivatives
/// (<see cref="OdeMethod.IsStiff"/> false): every integrator is created through <see cref="OdeMethod.CreateIntegrator{TField}"/>,
/// whose fields supply ∂F/∂y, and this lets a plain field through without the finite-difference workspace.
/// </summary>
internal readonly struct WithoutJacobian<TField>(TField field) : IJacobianField where TField : struct, IVectorField
{
    private readonly TField _field = field;

    public int Dimension => _field.Dimension;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => _field.Evaluate(t, y, dydt);

    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => throw Unsupported();

    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt) => throw Unsupported();

    private static InvalidOperationException Unsupported() =>
        new("An explicit method asked for a Jacobian: stiff methods must get a field with derivatives (FiniteDifferenceJacobianField).");
}
