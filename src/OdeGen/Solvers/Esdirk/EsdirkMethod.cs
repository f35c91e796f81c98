namespace OdeGen.Solvers;

/// <summary>A stiff ESDIRK method (<see cref="EsdirkTableau"/>), stepped by <see cref="EsdirkIntegrator{TField}"/>.</summary>
internal sealed class EsdirkMethod(EsdirkTableau tableau) : OdeMethod
{
    public override EsdirkTableau Esdirk => tableau;
    public override string Name => tableau.Name;
    public override int Order => tableau.Order;
    public override bool IsStiff => true;
    public override bool IsAdaptive => true;
    public override int DenseOutputOrder => 3;
    public override int DenseDegree => 3;

    /// <summary>The family's own <see cref="OdeMethod.CreateIntegrator{TField}"/> (called from it, not virtually).</summary>
    internal IOdeIntegrator<TField> CreateEsdirk<TField>(int dimension, SolverOptions options) where TField : struct, IJacobianField =>
        new EsdirkIntegrator<TField>(dimension, options);
}
