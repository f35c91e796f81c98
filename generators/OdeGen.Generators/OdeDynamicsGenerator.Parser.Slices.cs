using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// Reads through slices of the inputs: <c>y[1..][0]</c>, <c>p[..2][1]</c>, <c>y.Slice(1, 2)[k]</c>, and read-only span
    /// locals that name one (<c>ReadOnlySpan&lt;double&gt; s = y[1..];</c> then <c>s[0]</c>). An element of a slice that
    /// starts at the constant a is the element a + k of the span, with k a constant checked against the slice's length as
    /// C# would check it at run time.
    /// </summary>
    private sealed partial class Parser
    {
        /// <summary>Read-only span locals declared as a slice of y or p (a function's x or p).</summary>
        private readonly Dictionary<ISymbol, SliceOf> _slices = new(SymbolEqualityComparer.Default);

        /// <summary>A slice of the input span with role <paramref name="Role"/> (1 y, 2 p) from <paramref name="Start"/>, of <paramref name="Length"/> elements (null: to the end).</summary>
        private sealed record SliceOf(int Role, int Start, int? Length, string Text);

        private bool IsReadOnlyRealSpan(ITypeSymbol type) =>
            type is INamedTypeSymbol { TypeArguments.Length: 1 } named
            && named.OriginalDefinition.ToDisplayString() == "System.ReadOnlySpan<T>"
            && named.TypeArguments[0].SpecialType == _real;

        /// <summary>
        /// The slice <paramref name="expression"/> is, when it is <c>y[a..b]</c>, <c>y[a..]</c>, <c>y[..b]</c>, <c>y.Slice(a)</c>,
        /// <c>y.Slice(a, n)</c> with constant a, b, n on y or p (or a local that names such a slice); else null (no diagnostic).
        /// </summary>
        private SliceOf? Slice(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            if (expression is IdentifierNameSyntax name)
            {
                return _semantic.GetSymbolInfo(name, _cancellationToken).Symbol is { } local && _slices.TryGetValue(local, out SliceOf? alias) ? alias : null;
            }

            int? start, length;
            ExpressionSyntax owner;
            if (expression is ElementAccessExpressionSyntax { ArgumentList.Arguments.Count: 1 } access
                && access.ArgumentList.Arguments[0].Expression is RangeExpressionSyntax range)
            {
                owner = access.Expression;
                start = range.LeftOperand is null ? 0 : ConstantInt(range.LeftOperand);
                int? end = range.RightOperand is null ? null : ConstantInt(range.RightOperand);
                if (start is null || (range.RightOperand is not null && end is null) || end < start)
                {
                    return null;
                }

                length = end - start;
            }
            else if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Slice" } member } call
                && call.ArgumentList.Arguments.Count is 1 or 2 && call.ArgumentList.Arguments[0].NameColon is null
                && _semantic.GetSymbolInfo(call, _cancellationToken).Symbol is IMethodSymbol { ContainingType.Name: "ReadOnlySpan" })
            {
                owner = member.Expression;
                start = ConstantInt(call.ArgumentList.Arguments[0].Expression);
                length = call.ArgumentList.Arguments.Count == 2 ? ConstantInt(call.ArgumentList.Arguments[1].Expression) : null;
                if (start is null || (call.ArgumentList.Arguments.Count == 2 && (length is null || call.ArgumentList.Arguments[1].NameColon is not null)))
                {
                    return null;
                }
            }
            else
            {
                return null;
            }

            // A slice of a slice starts where both say; y[1..][1..] is y[2..].
            if (Slice(owner) is { } outer)
            {
                // A negative start or length throws in the user's method (Slice checks both); the generated code would read
                // an element before the slice instead.
                if (start < 0 || length < 0 || (outer.Length is { } room && (start > room || (length is { } n && start + n > room))))
                {
                    return null;
                }

                return new SliceOf(outer.Role, outer.Start + start!.Value, length ?? (outer.Length - start), expression.ToString());
            }

            int role = Role(_semantic.GetSymbolInfo(owner, _cancellationToken).Symbol);
            return role is 1 or 2 && start >= 0 && length is null or >= 0 ? new SliceOf(role, start!.Value, length, expression.ToString()) : null;
        }

        private int? ConstantInt(ExpressionSyntax expression) =>
            _semantic.GetConstantValue(expression, _cancellationToken) is { HasValue: true, Value: int value } ? value : null;

        /// <summary>The element <c>slice[k]</c>, read as the element a + k of the span; -1 after a diagnostic.</summary>
        private int SliceElement(ElementAccessExpressionSyntax access, SliceOf slice)
        {
            ExpressionSyntax? argument = access.ArgumentList.Arguments.Count == 1 ? access.ArgumentList.Arguments[0].Expression : null;
            int? k = argument is null ? null : ConstantInt(argument);
            if (argument is null || k is null)
            {
                Report(DiagnosticDescriptors.NonConstantIndex, (SyntaxNode?)argument ?? access.ArgumentList, argument?.ToString() ?? access.ArgumentList.ToString(), access.Expression.ToString());
                return -1;
            }

            if (k < 0 || k >= slice.Length)
            {
                Report(DiagnosticDescriptors.BufferIndexOutOfRange, argument, k.Value.ToString(CultureInfo.InvariantCulture), access.Expression.ToString(),
                    slice.Length?.ToString(CultureInfo.InvariantCulture) ?? "0");
                return -1;
            }

            string span = ParameterName(slice.Role);
            int index = CheckedIndex(slice.Start + (long)k.Value, fromEnd: false, argument, span, isState: slice.Role == 1, isOutput: false);
            return index < 0 ? -1 : _builder.Input(slice.Role == 1 ? Ir.Slot.Y : Ir.Slot.P, index);
        }
    }
}
