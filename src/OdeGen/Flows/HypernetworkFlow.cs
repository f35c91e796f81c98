namespace OdeGen.Flows;

/// <summary>
/// A continuous normalizing flow (<see cref="CnfFlow"/>) over a field split into a part of t alone and a per-sample part:
/// dz/dt = g(t, z, q) with q = H(t, θ). H (a hypernetwork, as in torchdiffeq's examples/cnf.py, or any layer weights that
/// depend on t only) runs once per evaluation of the dynamics for the whole chunk; g runs per sample. The trace is g's
/// generated Divergence (exact) or Hutchinson's estimate through g's Jvp; in the backward pass the per-sample VJPs sum
/// their cotangent of q over the chunk and H's generated Vjp runs once on that sum.
/// </summary>
/// <typeparam name="THypernetwork">H, generated with <c>[Differentiable]</c>: input [t] (InputCount 1), parameters θ, outputs q.</typeparam>
/// <typeparam name="TField">g, generated with <c>[OdeDynamics(SecondOrder = true)]</c>, whose parameters are q.</typeparam>
/// <remarks>
/// θ is H's parameter vector: <see cref="CnfFlow.ParameterCount"/> is H's ParameterCount, and training gradients are
/// with respect to it. The results equal those of a field written per sample that computes H inside (to rounding), at a
/// fraction of the cost when H is the larger part. Options, sensitivities and regularizers are those of
/// <see cref="ContinuousNormalizingFlow{TSystem}"/>.
/// </remarks>
public sealed class ContinuousNormalizingFlow<THypernetwork, TField> : CnfFlow
    where THypernetwork : struct, IDifferentiableFunction where TField : struct, IOdeSystemSecondOrder
{
    /// <summary>A flow that runs g's scalar code one sample at a time (<see cref="ContinuousNormalizingFlow.WithHypernetwork"/>: in lanes).</summary>
    /// <param name="hypernetwork">H: [t] and θ to the field's parameters q.</param>
    /// <param name="field">g(t, z, q); its StateCount is the dimension D, its ParameterCount H's OutputCount.</param>
    /// <param name="options">Settings; <see cref="CnfOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">H does not map one input to the field's parameters, the field has no states, or T0 equals T1.</exception>
    public ContinuousNormalizingFlow(THypernetwork hypernetwork, TField field, CnfOptions? options = null)
        : this(hypernetwork, field, options, null)
    {
    }

    internal ContinuousNormalizingFlow(THypernetwork hypernetwork, TField field, CnfOptions? options, CnfEngine? engine)
        : base(Checked(hypernetwork, field), hypernetwork.ParameterCount, options, engine ?? CnfEngine.Hyper(hypernetwork, field))
    {
    }

    // The dimension, once the sizes fit: H's input is t alone and its outputs are exactly g's parameters.
    private static int Checked(in THypernetwork hypernetwork, in TField field)
    {
        Guard.Sizes(field);
        if (hypernetwork.InputCount != 1)
            throw new ArgumentException(
                $"{typeof(THypernetwork).Name} has {hypernetwork.InputCount} inputs; a hypernetwork of t has one ([Differentiable(Inputs = 1)], x[0] = t).",
                nameof(hypernetwork));
        if (hypernetwork.OutputCount != field.ParameterCount)
            throw new ArgumentException(
                $"{typeof(THypernetwork).Name} has {hypernetwork.OutputCount} outputs but {typeof(TField).Name} has {field.ParameterCount} parameters; " +
                "the hypernetwork's outputs are the field's parameters, so the counts must be equal.", nameof(hypernetwork));
        if (hypernetwork.ParameterCount < 0)
            throw new ArgumentException($"{typeof(THypernetwork).Name}.ParameterCount is {hypernetwork.ParameterCount}; it cannot be negative.", nameof(hypernetwork));
        return field.StateCount;
    }
}
