namespace OdeGen;

/// <summary>
/// Marks a method <c>static void M(ReadOnlySpan&lt;double&gt; x, ReadOnlySpan&lt;double&gt; p, Span&lt;double&gt; y)</c>
/// as a differentiable function y = g(x, p): a layer, an encoder, a head, a map whose fixed point is sought. The
/// OdeGen source generator differentiates it at compile time and adds <c>{Type}.{M}Function</c>, a
/// <c>readonly struct</c> implementing <see cref="IDifferentiableFunction"/> (a float method:
/// <see cref="IDifferentiableFunctionSingle"/>) and its lane interface.
/// </summary>
/// <remarks>
/// The body is written in the same differentiable subset as <c>[OdeDynamics]</c> methods (docs/supported-csharp.md);
/// the differences are that there is no time t and that x, p and y have three independent lengths. The sizes are
/// inferred from the constant indices the body uses; a body whose loops run over <c>x.Length</c>, <c>p.Length</c> or
/// <c>y.Length</c> gets a struct whose constructor takes those sizes, unless <see cref="Inputs"/>,
/// <see cref="Parameters"/> or <see cref="Outputs"/> fix them. Not to be confused with
/// <see cref="OdeDifferentiableAttribute"/>, which marks a scalar helper inlined into its callers.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DifferentiableAttribute : Attribute
{
    /// <summary>Number of inputs (length of x); 0 means "infer from the body".</summary>
    public int Inputs { get; set; }

    /// <summary>Number of parameters (length of p); 0 means "infer from the body".</summary>
    public int Parameters { get; set; }

    /// <summary>Number of outputs (length of y); 0 means "infer from the body".</summary>
    public int Outputs { get; set; }

    /// <summary>
    /// Runs the loops of the scalar <c>Evaluate</c>, <c>Jvp</c> and <c>Vjp</c> across their index in SIMD registers, as
    /// <see cref="OdeDynamicsAttribute.VectorizeLoops"/> does for dynamics (results change in the last bits). Off by
    /// default; double methods only.
    /// </summary>
    public bool VectorizeLoops { get; set; }

    /// <summary>
    /// Contracts the function's own products and sums into fused multiply-adds in every generated method, as
    /// <see cref="OdeDynamicsAttribute.FuseMultiplyAdds"/> does for dynamics (results change in the last bits). Off by default.
    /// </summary>
    public bool FuseMultiplyAdds { get; set; }

    /// <summary>
    /// Asks for the second-order method <c>Hvp</c> (forward over reverse: the derivative of <c>Vjp</c> along a direction
    /// of x and p, yBar fixed): the struct then implements <see cref="IDifferentiableFunctionSecondOrder"/> and its lane
    /// form (float: <see cref="IDifferentiableFunctionSingleSecondOrder"/>). Functions with user-supplied derivative rules
    /// cannot be differentiated twice (ODE0040). Off by default.
    /// </summary>
    public bool SecondOrder { get; set; }
}
