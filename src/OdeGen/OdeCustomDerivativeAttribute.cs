namespace OdeGen;

/// <summary>
/// Gives a function the generator cannot see into (an extern, a lookup table, a library call) its
/// derivative rules, as a pair of methods in the same type:
/// <list type="bullet">
/// <item><c>static double Jvp(double x1, …, double xn, double x1Dot, …, double xnDot)</c> returns the tangent of the result;</item>
/// <item><c>static void Vjp(double x1, …, double xn, double resultBar, ref double x1Bar, …, ref double xnBar)</c> adds (+=) the adjoint of each argument.</item>
/// </list>
/// The marked function is <c>static double F(double x1, …, double xn)</c> with one to four arguments.
/// <c>[OdeDynamics]</c> methods and <c>[OdeDifferentiable]</c> helpers call it; the generated code calls
/// it and its rules, and never looks inside.
/// </summary>
/// <remarks>
/// Declare the function and its rules in the file of the methods that call it: the generator re-reads
/// a file only when it changes, so rules elsewhere could be renamed without the generated code following.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OdeCustomDerivativeAttribute : Attribute
{
    /// <summary>Names the rules, e.g. <c>[OdeCustomDerivative(nameof(LookupJvp), nameof(LookupVjp))]</c>.</summary>
    public OdeCustomDerivativeAttribute(string jvp, string vjp)
    {
        Jvp = jvp;
        Vjp = vjp;
    }

    /// <summary>Name of the forward rule.</summary>
    public string Jvp { get; }

    /// <summary>Name of the reverse rule.</summary>
    public string Vjp { get; }
}
