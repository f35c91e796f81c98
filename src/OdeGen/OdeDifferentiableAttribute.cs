namespace OdeGen;

/// <summary>
/// Marks a helper that <c>[OdeDynamics]</c> methods may call: <c>static double H(double a, …)</c>,
/// written in the same differentiable subset. The generator inlines its body at each call and
/// differentiates it with the caller, so it costs nothing at run time.
/// </summary>
/// <remarks>
/// The helper must be declared in the same file as the methods that call it: the generator
/// re-reads a file only when it changes, so a helper elsewhere could change without the
/// generated code following it (diagnostic ODE0017).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OdeDifferentiableAttribute : Attribute
{
}
