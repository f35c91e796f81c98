namespace OdeGen.Solvers;

/// <summary>A stiff Rosenbrock method (<see cref="RosenbrockTableau"/>), stepped by <see cref="RosenbrockIntegrator{TField}"/>.</summary>
internal sealed class RosenbrockMethod(RosenbrockTableau tableau) : OdeMethod
{
    public override RosenbrockTableau Rosenbrock => tableau;
    public override string Name => tableau.Name;
    public override int Order => tableau.Order;
    public override bool IsStiff => true;
    public override bool IsAdaptive => true;
    public override int DenseOutputOrder => 3;
    public override int DenseDegree => 3;
    public override bool UsesTimeDerivative => true;

    /// <summary>The family's own <see cref="OdeMethod.CreateIntegrator{TField}"/> (called from it, not virtually).</summary>
    internal IOdeIntegrator<TField> CreateRosenbrock<TField>(int dimension, SolverOptions options) where TField : struct, IJacobianField =>
        new RosenbrockIntegrator<TField>(dimension, options);
}
