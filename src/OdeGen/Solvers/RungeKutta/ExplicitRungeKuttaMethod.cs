namespace OdeGen.Solvers;

/// <summary>
/// An explicit Runge–Kutta method: a <see cref="ButcherTableau"/> stepped by <see cref="RungeKuttaIntegrator{TField}"/>
/// (and, one trajectory per lane, by the ensembles' block solver and the discrete adjoint, through the same kernel).
/// </summary>
internal sealed class ExplicitRungeKuttaMethod(ButcherTableau tableau) : OdeMethod
{
    public override ButcherTableau Tableau => tableau;
    public override string Name => tableau.Name;
    public override int Order => tableau.Order;
    public override bool IsStiff => false;
    public override bool IsAdaptive => tableau.IsAdaptive;
    public override bool IsFsal => tableau.IsFsal;
    public override int DenseOutputOrder => tableau.Dense is null ? 3 : tableau.DenseOrder;
    public override int DenseDegree => tableau.Dense is { } d ? d[0].Length : 3;
    public override bool SupportsPartialErrorControl => true;
    public override bool SupportsDiscreteAdjoint => true;
    public override bool SupportsBacksolveAdjoint => true;
    public override bool SupportsLanes => true;

    /// <summary>The family's own <see cref="OdeMethod.CreateIntegrator{TField}"/> (called from it, not virtually).</summary>
    internal IOdeIntegrator<TField> CreateRungeKutta<TField>(int dimension, SolverOptions options) where TField : struct, IJacobianField =>
        new RungeKuttaIntegrator<TField>(dimension, options);
}
