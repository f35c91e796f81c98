using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>What <c>SecondOrder = true</c> asks of the method: a size for a system's Divergence directions, no opaque rules.</summary>
    private sealed partial class Parser
    {
        /// <summary>The attribute's SecondOrder: Divergence, DivergenceVjp and Hvp are generated too.</summary>
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
