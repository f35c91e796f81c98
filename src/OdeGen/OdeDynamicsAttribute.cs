namespace OdeGen;

/// <summary>
/// Marks a method <c>static void M(double t, ReadOnlySpan&lt;double&gt; y, ReadOnlySpan&lt;double&gt; p, Span&lt;double&gt; dydt)</c>
/// as ODE dynamics. The OdeGen source generator differentiates it at compile time and adds
/// <c>{Type}.{M}System</c>, a <c>readonly struct</c> implementing <see cref="IOdeSystem"/>.
/// </summary>
/// <remarks>
/// The containing type (and every type around it) must be <c>partial</c>. The state and parameter
/// counts are inferred from the constant indices the body uses; set <see cref="States"/> and
/// <see cref="Parameters"/> where they cannot be inferred or should be larger than the indices used.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OdeDynamicsAttribute : Attribute
{
    /// <summary>Number of states (length of y and dydt); 0 means "infer from the body".</summary>
    public int States { get; set; }

    /// <summary>Number of parameters (length of p); 0 means "infer from the body".</summary>
    public int Parameters { get; set; }

    /// <summary>
    /// Runs the loops of the scalar <c>Evaluate</c>, <c>Jvp</c> and <c>Vjp</c> across their index in SIMD registers
    /// (<c>Vector512</c>, else 256, else 128, chosen by the JIT; NEON on Arm64), where each iteration is independent
    /// of the others but for sums (docs/lanes.md, "Vectorized loops"; docs/notes/vectorized-loops.md). Like <c>-fassociative-math</c>, this
    /// changes results in the last bits: sums are added lane by lane and the lanes summed after the loop, and
    /// Tanh, Exp, Sin and the other functions come from the vector kernels (1–3 ulp from <c>Math</c>), so
    /// <c>Evaluate</c> is no longer your method bit for bit. Off by default. Double methods only (a float
    /// method ignores it).
    /// </summary>
    public bool VectorizeLoops { get; set; }

    /// <summary>
    /// Contracts your method's own <c>a * b + c</c>, <c>a * b - c</c> and <c>c ± a * b</c> into fused multiply-adds (one
    /// rounding instead of two, one instruction on x64 with FMA and on Arm64) where the product is used only there,
    /// as <c>gcc -ffp-contract=fast</c> does. The contracted f is the one every generated method computes and
    /// differentiates (scalar, lane and fused-register forms alike, so <c>Lane1</c> still equals the scalar methods bit
    /// for bit), which speeds up fixed-step ensembles (docs/lanes.md, "Fused multiply-adds"). Like
    /// <see cref="VectorizeLoops"/>, this changes results in the last bits: <c>Evaluate</c> is no longer your method
    /// bit for bit. Sums in loops (<c>s += a * b</c>) keep two roundings. On a CPU without FMA the fused operation is
    /// exact but computed in software (slow). Off by default.
    /// </summary>
    public bool FuseMultiplyAdds { get; set; }

    /// <summary>
    /// Adds the second derivatives a continuous normalizing flow needs: the generated struct then also implements
    /// <see cref="IOdeSystemSecondOrder"/> (<c>Divergence</c> = tr(∂f/∂y), <c>DivergenceVjp</c>, <c>Hvp</c>, forward over
    /// reverse) and its lane forms (<see cref="IOdeLaneSystemSecondOrder"/>), or their float flavours for a float method.
    /// The code is the generator's own first-order code differentiated once more (docs/how-differentiation-works.md,
    /// "Second order"). Needs the number of states at compile time (set <see cref="States"/> when loops run over
    /// y.Length, ODE0041); functions with user-supplied derivative rules are differentiated through their forward rule,
    /// which must be in the differentiable subset (ODE0040). Off by default.
    /// </summary>
    public bool SecondOrder { get; set; }
}
