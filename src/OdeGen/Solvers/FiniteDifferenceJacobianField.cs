namespace OdeGen.Solvers;

/// <summary>
/// Gives any vector field the derivatives the stiff solvers need, by forward differences:
/// column j of ∂F/∂y is (F(t, y + δ_j e_j) − F(t, y))/δ_j with δ_j = √ε·max(|y_j|, 1e-5) (n + 1 evaluations),
/// and ∂F/∂t = (F(t + δ, y) − F(t, y))/δ with δ = √ε·max(|t|, 1e-5). About half the digits of an exact
/// Jacobian, which a Rosenbrock method tolerates at moderate tolerances (its order conditions assume the exact one,
/// so very tight tolerances cost more steps). <c>Ode.Solve</c> uses it for plain <see cref="IVectorField"/> inputs;
/// an <see cref="IOdeSystem"/> gets its exact, generated Jacobian instead.
/// </summary>
/// <remarks>Copies share the scratch arrays: use one instance per thread.</remarks>
public readonly struct FiniteDifferenceJacobianField<TField> : IJacobianField where TField : struct, IVectorField
{
    private readonly TField _field;
    private readonly double[] _f0, _f1, _shifted;

    /// <summary>Wraps <paramref name="field"/> and allocates the scratch the differences need.</summary>
    public FiniteDifferenceJacobianField(in TField field)
    {
        _field = field;
        int n = field.Dimension;
        _f0 = new double[n];
        _f1 = new double[n];
        _shifted = new double[n];
    }

    /// <summary>The wrapped field.</summary>
    public TField Field => _field;

    /// <inheritdoc/>
    public int Dimension => _field.Dimension;

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => _field.Evaluate(t, y, dydt);

    /// <inheritdoc/>
    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy)
    {
        int n = _f0.Length;
        const double sqrtEps = 1.4901161193847656e-8;   // √(2^−52)
        _field.Evaluate(t, y, _f0);
        y.CopyTo(_shifted);
        for (int j = 0; j < n; j++)
        {
            double yj = y[j];
            double delta = sqrtEps * Math.Max(Math.Abs(yj), 1e-5);
            _shifted[j] = yj + delta;
            delta = _shifted[j] - yj;   // the increment actually represented
            _field.Evaluate(t, _shifted, _f1);
            for (int i = 0; i < n; i++) dfdy[i * n + j] = (_f1[i] - _f0[i]) / delta;
            _shifted[j] = yj;
        }
    }

    /// <inheritdoc/>
    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt)
    {
        const double sqrtEps = 1.4901161193847656e-8;   // √(2^−52)
        double delta = sqrtEps * Math.Max(Math.Abs(t), 1e-5);
        double t1 = t + delta;
        delta = t1 - t;
        _field.Evaluate(t, y, _f0);
        _field.Evaluate(t1, y, _f1);
        for (int i = 0; i < _f0.Length; i++) dfdt[i] = (_f1[i] - _f0[i]) / delta;
    }
}
