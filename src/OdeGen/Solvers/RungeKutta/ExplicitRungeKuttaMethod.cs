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

    public override IOdeIntegrator<TField> CreateIntegrator<TField>(int dimension, SolverOptions options) =>
        new RungeKuttaIntegrator<TField>(dimension, options);
}
