using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// The words a message uses for the code it is about: an [OdeDynamics] system (t, y, p, dydt), a [Differentiable]
    /// function (x, p, y), or the body of a helper or forward rule inlined into either, with the parameter names the user
    /// wrote. One parser serves all of them, so a message that named the dynamics' attribute or spans would send a
    /// function's author to an attribute and parameters their method does not have.
    /// </summary>
    private sealed partial class Parser
    {
        /// <summary>The marked method's attribute as the user writes it: [OdeDynamics] or [Differentiable].</summary>
        private string AttributeText => _isFunction ? "[Differentiable]" : "[OdeDynamics]";

        /// <summary>The number type's keyword: double, or float for the float flavour.</summary>
        private string RealText => _real == SpecialType.System_Single ? "float" : "double";

        /// <summary>Whether the code being lowered is the body of an inlined helper or forward rule, not the marked method's.</summary>
        private bool InHelper => _inlining.Count > 0;

        /// <summary>
        /// The user's name of the parameter with role <paramref name="role"/> (0 t, 1 y or x, 2 p, 3 dydt or y; see
        /// <see cref="Role"/>), or the documented name when the signature does not have it.
        /// </summary>
        private string ParameterName(int role)
        {
            int index = _isFunction ? role - 1 : role;
            if (index >= 0 && _method.Parameters.Length == (_isFunction ? 3 : 4))
            {
                return _method.Parameters[index].Name;
            }

            return _isFunction ? role switch { 1 => "x", 2 => "p", _ => "y" } : role switch { 0 => "t", 1 => "y", 2 => "p", _ => "dydt" };
        }

        /// <summary>Where the code is, plural, for "not supported in …": [OdeDynamics] methods, [Differentiable] methods, or the inlined kind.</summary>
        private string MethodsText => !InHelper ? AttributeText + " methods"
            : IsHelper(_inlining[_inlining.Count - 1]) ? "[OdeDifferentiable] helpers" : "[OdeCustomDerivative] forward rules";

        /// <summary>ODE0003's advice: the statements the code may use.</summary>
        private string StatementAdvice => $"{RealText} locals, assignments (=, +=, -=, *=, /=) and "
            + (InHelper ? "a last 'return value;'" : $"writes to {ParameterName(3)}[constant]");

        /// <summary>ODE0004's advice: the values an expression may use (a helper sees its own parameters, not the method's spans).</summary>
        private string ExpressionAdvice => $"{RealText} arithmetic (+ - * /), numeric or const values, "
            + (InHelper ? "its parameters" : _isFunction ? $"{ParameterName(1)}[i], {ParameterName(2)}[i]" : $"{ParameterName(0)}, {ParameterName(1)}[i], {ParameterName(2)}[i]")
            + $", {RealText} locals and System.Math functions";

        /// <summary>The differentiated inputs, for ODE0016: "t, y or p", or a function's "x or p".</summary>
        private string InputsText => _isFunction ? $"{ParameterName(1)} or {ParameterName(2)}"
            : $"{ParameterName(0)}, {ParameterName(1)} or {ParameterName(2)}";

        /// <summary>ODE0005's advice: the library functions the code may call (a float method calls MathF's, or Math's float overloads).</summary>
        private string MathFunctionsText => _real == SpecialType.System_Single
            ? "the System.MathF functions (and Math.Abs, Min, Max, Sign, Clamp on float)"
            : "the System.Math functions on double";

        /// <summary>
        /// What a kink costs beyond the one-sided derivative (ODE0010, ODE0016): for dynamics, the adjoint's assumption that f
        /// is smooth; a function's derivatives are used as they are.
        /// </summary>
        private string SmoothnessCaveat => _isFunction ? "" : ", and adjoint gradients assume f is smooth";

        /// <summary>
        /// The words of <paramref name="descriptor"/>'s message that depend on the kind of code, after the arguments of the
        /// place that reports it (their positions in the message are fixed per code: see DiagnosticDescriptors).
        /// </summary>
        private string[] KindWords(DiagnosticDescriptor descriptor) => descriptor.Id switch
        {
            "ODE0003" => new[] { MethodsText, StatementAdvice },
            "ODE0004" => new[] { MethodsText, ExpressionAdvice },
            "ODE0006" => new[] { IntTerms("constants", "loop variables", "int locals") },
            "ODE0007" => new[] { RealText, ParameterName(3) },
            "ODE0015" => new[] { IntTerms("constants", "int locals", "loop variables") },
            "ODE0005" => new[] { MathFunctionsText },
            "ODE0010" => new[] { SmoothnessCaveat },
            "ODE0016" => new[] { InputsText, _isFunction ? "the function" : "f", SmoothnessCaveat },
            "ODE0026" => new[] { _isFunction ? "functions" : "systems" },
            _ => System.Array.Empty<string>(),
        };

        /// <summary>
        /// What an int expression (an index in a loop, a bound, an int local) may be built from: <paramref name="terms"/>,
        /// then the lengths of the spans the code can see (none in a helper's body), joined with commas and a last "and".
        /// </summary>
        private string IntTerms(params string[] terms)
        {
            IEnumerable<string> lengths = InHelper ? Enumerable.Empty<string>()
                : (_isFunction ? new[] { 1, 2, 3 } : new[] { 1, 2 }).Select(role => ParameterName(role) + ".Length");
            List<string> all = terms.Concat(lengths).ToList();
            return all.Count == 1 ? all[0] : string.Join(", ", all.Take(all.Count - 1)) + " and " + all[all.Count - 1];
        }
    }
}
