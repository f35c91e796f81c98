using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Differentiation;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>What <c>SecondOrder = true</c> asks of the method: a size for a system's Divergence directions, no opaque rules.</summary>
    private sealed partial class Parser
    {
        /// <summary>The attribute's SecondOrder: Divergence, DivergenceVjp and Hvp are generated too (a function: Hvp).</summary>
        private bool _secondOrder;

        /// <summary>True once a call goes to a function or rule marked [Obsolete] as a warning (<see cref="SystemHeader.CallsObsolete"/>).</summary>
        private bool _callsObsolete;

        /// <summary>
        /// Divergence carries one tangent per state through one sweep, so the number of states must be known when the
        /// code is generated (ODE0041 on the attribute otherwise).
        /// </summary>
        private void CheckSecondOrderSizes(int states)
        {
            // A function's second order is Hvp only, which carries one tangent whatever the sizes.
            if (_secondOrder && !_isFunction && states < 0)
            {
                Report(DiagnosticDescriptors.SecondOrderNeedsStates, AttributeArgument("SecondOrder"), _method.Name);
            }
        }

        /// <summary>
        /// Reports ODE0042 on the SecondOrder argument when a second-order method would hold more than
        /// <see cref="SecondOrder.MaxInstructions"/> IR instructions. Measuring costs one differentiation, so it runs only
        /// where a cheap estimate says the limit may be passed: in the largest methods measured, DivergenceVjp held up to
        /// 4.1 times the primal's instructions per state plus one and Hvp about 10 times the primal's; the estimate takes
        /// 16 and 24 (the ratios grow with the size of a method, so the margin is wide). Below it nothing is measured.
        /// </summary>
        private void CheckSecondOrderSize(IrFunction primal, int states)
        {
            if (!_secondOrder || _diagnostics.Any(d => d.IsError))
            {
                return;
            }

            long bound = primal.Body.Count * ((16L * (Math.Max(states, 0) + 1)) + 24);
            if (bound <= SecondOrder.MaxInstructions)
            {
                return;
            }

            int largest;
            try
            {
                largest = SecondOrder.LargestMethod(primal, states, _isFunction ? TargetKind.Function : TargetKind.Dynamics);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The same transform fails again in the pipeline's differentiation step, which reports it (ODE0011).
                return;
            }

            if (largest > SecondOrder.MaxInstructions)
            {
                Report(DiagnosticDescriptors.SecondOrderTooLarge, AttributeArgument("SecondOrder"), _method.Name,
                    largest.ToString("N0", CultureInfo.InvariantCulture), SecondOrder.MaxInstructions.ToString("N0", CultureInfo.InvariantCulture));
            }
        }

        /// <summary>How many forward rules are being lowered (<see cref="Partials"/>): calls inside them get no partials of their own.</summary>
        private int _forwardRules;

        /// <summary>
        /// The partial derivatives ∂F/∂x_k of a function with user rules, for second order: its forward rule, whose body the
        /// generator reads as it reads an [OdeDifferentiable] helper, lowered once per argument with the unit tangent e_k
        /// (the rule is linear in the tangents). The second-order code differentiates these values again, as JAX
        /// differentiates a custom_jvp rule; the first-order code keeps calling the rules. Null after ODE0040 on the call
        /// (a rule elsewhere, or with a body outside the subset, whose own errors are reported where they are).
        /// Calls of functions with rules inside the forward rule (the function itself, say) are called with their
        /// first-order rules: the second order needs no third derivative.
        /// </summary>
        private int[]? Partials(InvocationExpressionSyntax invocation, string name, IMethodSymbol jvp, int[] args)
        {
            MethodDeclarationSyntax? declaration = Declaration(jvp);
            string? problem = declaration is null || declaration.SyntaxTree != _syntax.SyntaxTree ? "it is declared in another file"
                : declaration.ExpressionBody is null && declaration.Body is null ? "it has no body"
                : null;
            int n = args.Length, errors = _diagnostics.Count(d => d.IsError);
            var partials = new int[n];
            for (int k = 0; k < n && problem is null; k++)
            {
                var values = new int[2 * n];
                for (int j = 0; j < n; j++)
                {
                    values[j] = args[j];
                    values[n + j] = _builder.Const(j == k ? 1 : 0);
                }

                // The rule is linear in the tangents, so its terms in a zero tangent are structural zeros: the partial is
                // built with the rewrites of derivative code (x·0 = 0, x + 0 = x), not the user's bit-exact arithmetic.
                bool derivative = _builder.DerivativeValues;
                _builder.DerivativeValues = true;
                _forwardRules++;
                partials[k] = Inline(jvp, declaration!, values, jvp.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));
                _forwardRules--;
                _builder.DerivativeValues = derivative;
                problem = partials[k] < 0 || _diagnostics.Count(d => d.IsError) > errors ? "its body is outside the differentiable subset (see the error reported in it)" : null;
            }

            if (problem is not null)
            {
                Report(DiagnosticDescriptors.SecondOrderCustomDerivative, invocation, name, jvp.Name, problem);
                return null;
            }

            return partials;
        }

        /// <summary>The attribute's named argument <paramref name="key"/>, or the attribute, or the method.</summary>
        private SyntaxNode AttributeArgument(string key)
        {
            var attribute = _context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
            return attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == key)
                ?? (SyntaxNode?)attribute ?? _syntax;
        }
    }
}
