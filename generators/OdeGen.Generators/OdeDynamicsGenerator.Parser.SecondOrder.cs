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

        /// <summary>
        /// A function with user-supplied rules cannot be differentiated twice: the generator cannot see into its
        /// rules (ODE0040 on the call).
        /// </summary>
        private void CheckSecondOrderCall(InvocationExpressionSyntax invocation, string name)
        {
            if (_secondOrder)
            {
                Report(DiagnosticDescriptors.SecondOrderCustomDerivative, invocation, name);
            }
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
