using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// The branch part of the parser: <c>if</c>/<c>else</c> and <c>?:</c>. Each side is lowered in SSA
    /// form; locals declared outside and assigned on a side become variables that each side sets at
    /// its end, read after the branch. The derivative is that of the side taken.
    /// </summary>
    private sealed partial class Parser
    {
        /// <summary><c>if (condition) statement [else statement]</c>.</summary>
        private void IfStatement(IfStatementSyntax statement)
        {
            _statements.Add($"if ({OneLine(statement.Condition).TrimEnd(';')})");
            int stmt = _statements.Count - 1;
            _builder.Stmt = stmt;
            int condition = Condition(statement.Condition);
            if (condition < 0)
            {
                return;
            }

            // Locals declared outside and assigned inside (not accumulators of an open loop) get a variable.
            var merged = new List<(ILocalSymbol Local, int Variable, int Before)>();
            foreach (ExpressionSyntax written in statement.DescendantNodes().Select(Written).OfType<ExpressionSyntax>())
            {
                if (_semantic.GetSymbolInfo(written, _cancellationToken).Symbol is ILocalSymbol local
                    && written is IdentifierNameSyntax
                    && local.Type.SpecialType == _real
                    && !_accumulators.ContainsKey(local)
                    && !merged.Any(m => SymbolEqualityComparer.Default.Equals(m.Local, local))
                    && local.DeclaringSyntaxReferences.All(r => !statement.Span.Contains(r.Span)))
                {
                    int before = _locals.TryGetValue(local, out int value) ? value : -1;

                    // C# definite assignment: a local unassigned before the branch is never read on a side that leaves it so.
                    merged.Add((local, _builder.Var(before >= 0 ? before : _builder.Const(0), Keyword(local) ? null : local.Name), before));
                }
            }

            _builder.If(condition);
            List<ElementRanges.Interval> writtenBefore = SaveWritten();
            Side(statement.Statement, merged);
            List<ElementRanges.Interval> writtenWhenTrue = SaveWritten();
            _outputWritten = writtenBefore;
            if (statement.Else is { } otherwise)
            {
                _statements.Add("else");
                _builder.Stmt = _statements.Count - 1;
                _builder.Else();
                _outputWritten = new List<ElementRanges.Interval>(writtenBefore);
                Side(otherwise.Statement, merged);
            }

            JoinWritten(writtenWhenTrue, _outputWritten);

            _builder.Stmt = stmt;
            _builder.EndIf();
            foreach ((ILocalSymbol local, int variable, _) in merged)
            {
                _locals[local] = _builder.VarGet(variable);
            }
        }

        /// <summary>Lowers one side in SSA form, then sets the merged variables to what the side left.</summary>
        private void Side(StatementSyntax side, List<(ILocalSymbol Local, int Variable, int Before)> merged)
        {
            var saved = new Dictionary<ISymbol, int>(_locals, SymbolEqualityComparer.Default);
            _openBranches++;
            Statement(side, isLast: false, topLevel: false);
            _openBranches--;
            foreach ((ILocalSymbol local, int variable, int before) in merged)
            {
                if (_locals.TryGetValue(local, out int after) && after != before)
                {
                    _builder.VarSet(variable, after);
                }
            }

            _locals.Clear();
            foreach (KeyValuePair<ISymbol, int> entry in saved)
            {
                _locals[entry.Key] = entry.Value;
            }
        }

        /// <summary><c>condition ? whenTrue : whenFalse</c>, lowered as a branch that sets one variable.</summary>
        private int Conditional(ConditionalExpressionSyntax conditional)
        {
            if (Unparenthesized(conditional.WhenTrue) is ThrowExpressionSyntax || Unparenthesized(conditional.WhenFalse) is ThrowExpressionSyntax)
            {
                return GuardedConditional(conditional);
            }

            int condition = Condition(conditional.Condition);
            return condition < 0 ? -1 : Choice(condition, () => Lower(conditional.WhenTrue), () => Lower(conditional.WhenFalse),
                "a side of '?:' (it would run only when that side is taken; assign the local in an if/else statement instead)");
        }

        /// <summary>
        /// <c>c ? a : throw e</c> (or <c>c ? throw e : a</c>), a guard on the inputs' lengths (<c>y.Length &gt; 0 ? y[0] :
        /// throw …</c>). The generated code has no throw of its own, so the condition must be known when generating: a
        /// comparison of int index expressions that the declared sizes make constants (with !, &amp;&amp; and ||). Then the
        /// side taken is the value, and the throwing side contributes nothing: it is never taken, in the user's method
        /// either. A condition that depends on the data, or sizes passed at run time, is ODE0004 on the throw, as is a
        /// throwing side that is always taken.
        /// </summary>
        private int GuardedConditional(ConditionalExpressionSyntax conditional)
        {
            bool throwsWhenTrue = Unparenthesized(conditional.WhenTrue) is ThrowExpressionSyntax;
            ExpressionSyntax thrown = throwsWhenTrue ? conditional.WhenTrue : conditional.WhenFalse;
            bool? known = KnownCondition(conditional.Condition);
            if (known is null)
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, thrown,
                    $"The throw expression '{thrown}' under the condition '{conditional.Condition}', which is not known when generating (the generated code does not throw: compare lengths that the attribute declares with constants, or check the data before the call)");
                return -1;
            }

            if (known == throwsWhenTrue)
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, thrown,
                    $"The throw expression '{thrown}', which the condition '{conditional.Condition}' always takes with the declared sizes (the method always throws)");
                return -1;
            }

            return Lower(throwsWhenTrue ? conditional.WhenFalse : conditional.WhenTrue);
        }

        /// <summary>The value of a condition over int index expressions that the declared sizes make constant; null when it is not known.</summary>
        private bool? KnownCondition(ExpressionSyntax expression)
        {
            Optional<object?> constant = _semantic.GetConstantValue(expression, _cancellationToken);
            if (constant.HasValue)
            {
                return constant.Value as bool?;
            }

            switch (Unparenthesized(expression))
            {
                case PrefixUnaryExpressionSyntax not when not.IsKind(SyntaxKind.LogicalNotExpression):
                    return !KnownCondition(not.Operand);
                case BinaryExpressionSyntax logic when logic.IsKind(SyntaxKind.LogicalAndExpression) || logic.IsKind(SyntaxKind.LogicalOrExpression):
                    bool? left = KnownCondition(logic.Left), right = KnownCondition(logic.Right);
                    return left is null || right is null ? null : logic.IsKind(SyntaxKind.LogicalAndExpression) ? left.Value && right.Value : left.Value || right.Value;
                case BinaryExpressionSyntax comparison when CompareOf(comparison) is { } kind
                    && IndexTree(comparison.Left) is { } l && IndexTree(comparison.Right) is { } r
                    && KnownSizes(l).ConstantValue is { } a && KnownSizes(r).ConstantValue is { } b:
                    return kind.Holds(a, b);
                default:
                    return null;
            }
        }

        /// <summary>
        /// One value of two by <paramref name="condition"/>: a branch that sets one variable, each side lowered inside its
        /// branch (so only the side taken is evaluated, as in C#), where assignments are refused with <paramref name="sides"/>.
        /// </summary>
        private int Choice(int condition, Func<int> whenTrue, Func<int> whenFalse, string sides)
        {
            int result = _builder.Var(_builder.Const(0), null);
            string? outer = _sideEffectsRefused;
            _sideEffectsRefused ??= sides;
            _builder.If(condition);
            _openBranches++;
            int t = whenTrue();
            if (t >= 0)
            {
                _builder.VarSet(result, t);
            }

            _builder.Else();
            int f = whenFalse();
            if (f >= 0)
            {
                _builder.VarSet(result, f);
            }

            _openBranches--;
            _builder.EndIf();
            _sideEffectsRefused = outer;
            return t < 0 || f < 0 ? -1 : _builder.VarGet(result);
        }

        /// <summary>
        /// <c>x switch { p1 => e1, p2 when c => e2, _ => e3 }</c> on a number or an int index expression: the chain of
        /// conditionals <c>x is p1 ? e1 : x is p2 &amp;&amp; c ? e2 : e3</c>, with x evaluated once and the patterns of
        /// <see cref="Pattern"/>. The last arm must be a discard: without one, a value no arm matches throws
        /// SwitchExpressionException in the user's method, which the generated code would not (ODE0004 on the switch).
        /// </summary>
        private int SwitchExpression(SwitchExpressionSyntax expression)
        {
            SeparatedSyntaxList<SwitchExpressionArmSyntax> arms = expression.Arms;
            if (arms.Count == 0 || arms[arms.Count - 1] is not { Pattern: DiscardPatternSyntax, WhenClause: null })
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, expression.SwitchKeyword,
                    $"The switch expression on '{expression.GoverningExpression}' without a last '_ =>' arm (where no arm matches it throws SwitchExpressionException; end it with '_ => …')");
                return -1;
            }

            IndexExpr? index = IndexTree(expression.GoverningExpression);
            int value = -1;
            if (index is null)
            {
                if (!IsNumeric(expression.GoverningExpression))
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression.GoverningExpression,
                        $"The switch expression on '{expression.GoverningExpression}' (switch on a {RealText} or on an int index expression)");
                    return -1;
                }

                value = Lower(expression.GoverningExpression);
                if (value < 0)
                {
                    return -1;
                }

                if (!_builder.IsConst(value) && arms.Count > 1)
                {
                    Report(DiagnosticDescriptors.NonSmoothBranch, expression.GoverningExpression, $"{expression.GoverningExpression} switch");
                }
            }

            return Arm(0);

            int Arm(int k)
            {
                SwitchExpressionArmSyntax arm = arms[k];
                if (k == arms.Count - 1)
                {
                    return Lower(arm.Expression);
                }

                // A discard before the last arm has a when clause (C# allows no other), which alone decides.
                int condition = arm.Pattern is DiscardPatternSyntax ? Always() : Pattern(arm.Pattern, value, index);
                if (condition >= 0 && arm.WhenClause is { } when)
                {
                    int also = Condition(when.Condition);
                    condition = also < 0 ? -1 : _builder.Logic(Op.And, condition, also);
                }

                return condition < 0 ? -1 : Choice(condition, () => Lower(arm.Expression), () => Arm(k + 1),
                    "an arm of a switch expression (it would run only when that arm is taken; assign the local in a statement instead)");
            }
        }

        /// <summary>
        /// A bool condition: comparisons of doubles or of int index expressions, &amp;&amp;, ||, !,
        /// true, false. A comparison of doubles gets the ODE0016 warning (a kink or jump in f).
        /// </summary>
        private int Condition(ExpressionSyntax expression)
        {
            if (!Enter(expression))
            {
                return -1;
            }

            string? outer = _sideEffectsRefused;
            _sideEffectsRefused ??= "a condition (assign the local in a statement before the condition)";
            try
            {
                return ConditionAt(expression);
            }
            finally
            {
                _nesting--;
                _sideEffectsRefused = outer;
            }
        }

        private int ConditionAt(ExpressionSyntax expression)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return Condition(parenthesized.Expression);
                case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.LogicalNotExpression):
                    int operand = Condition(unary.Operand);
                    return operand < 0 ? -1 : _builder.Logic(Op.Not, operand);
                case BinaryExpressionSyntax logic when logic.IsKind(SyntaxKind.LogicalAndExpression) || logic.IsKind(SyntaxKind.LogicalOrExpression):
                    // Conditions have no side effects, so evaluating both operands is the same as short-circuiting.
                    int left = Condition(logic.Left);
                    int right = left < 0 ? -1 : Condition(logic.Right);
                    return right < 0 ? -1 : _builder.Logic(logic.IsKind(SyntaxKind.LogicalAndExpression) ? Op.And : Op.Or, left, right);
                case BinaryExpressionSyntax comparison when CompareOf(comparison) is { } kind:
                    return Comparison(comparison, kind);
                case IsPatternExpressionSyntax test:
                    return IsPattern(test);
                case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.TrueLiteralExpression) || literal.IsKind(SyntaxKind.FalseLiteralExpression):
                    return literal.IsKind(SyntaxKind.TrueLiteralExpression) ? Always() : _builder.Compare(CompareKind.NotEqual, -1, -1, IndexExpr.Of(0), IndexExpr.Of(0));
                default:
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression, $"The condition '{expression}'");
                    return -1;
            }
        }

        /// <summary>The condition that always holds (0 == 0, which the simplifier folds).</summary>
        private int Always() => _builder.Compare(CompareKind.Equal, -1, -1, IndexExpr.Of(0), IndexExpr.Of(0));

        private int Comparison(BinaryExpressionSyntax comparison, CompareKind kind)
        {
            IndexExpr? leftIndex = IndexTree(comparison.Left);
            IndexExpr? rightIndex = leftIndex is null ? null : IndexTree(comparison.Right);
            if (rightIndex is not null)
            {
                return _builder.Compare(kind, -1, -1, leftIndex, rightIndex);
            }

            if (!IsNumeric(comparison.Left) || !IsNumeric(comparison.Right))
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, comparison, $"The condition '{comparison}'");
                return -1;
            }

            int left = Lower(comparison.Left);
            int right = left < 0 ? -1 : Lower(comparison.Right);
            if (right < 0)
            {
                return -1;
            }

            if (!_builder.IsConst(left) || !_builder.IsConst(right))
            {
                Report(DiagnosticDescriptors.NonSmoothBranch, comparison, comparison.ToString());
            }

            return _builder.Compare(kind, left, right);
        }

        /// <summary>
        /// <c>x is &gt; a and &lt; b</c>, <c>x is not &gt; a</c>, <c>k is 0 or 2</c>: relational and constant patterns joined by
        /// <c>and</c>, <c>or</c>, <c>not</c> and parentheses, on a number or an int index expression, with x evaluated once.
        /// The same comparisons as written with &amp;&amp;, || and ! (a relational pattern is false for NaN, as &gt; is); a
        /// constant pattern of NaN, which matches NaN where == does not, stays ODE0004.
        /// </summary>
        private int IsPattern(IsPatternExpressionSyntax test)
        {
            IndexExpr? index = IndexTree(test.Expression);
            int value = -1;
            if (index is null)
            {
                if (!IsNumeric(test.Expression))
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, test, $"The condition '{test}'");
                    return -1;
                }

                value = Lower(test.Expression);
                if (value < 0)
                {
                    return -1;
                }
            }

            int result = Pattern(test.Pattern, value, index);
            if (result >= 0 && index is null && !_builder.IsConst(value))
            {
                Report(DiagnosticDescriptors.NonSmoothBranch, test, test.ToString());
            }

            return result;
        }

        /// <summary>One pattern against the tested number <paramref name="value"/> (or int <paramref name="index"/>); -1 after a diagnostic.</summary>
        private int Pattern(PatternSyntax pattern, int value, IndexExpr? index)
        {
            switch (pattern)
            {
                case ParenthesizedPatternSyntax parenthesized:
                    return Pattern(parenthesized.Pattern, value, index);
                case UnaryPatternSyntax not when not.OperatorToken.IsKind(SyntaxKind.NotKeyword):
                    int operand = Pattern(not.Pattern, value, index);
                    return operand < 0 ? -1 : _builder.Logic(Op.Not, operand);
                case BinaryPatternSyntax both:
                    int left = Pattern(both.Left, value, index);
                    int right = left < 0 ? -1 : Pattern(both.Right, value, index);
                    return right < 0 ? -1 : _builder.Logic(both.OperatorToken.IsKind(SyntaxKind.AndKeyword) ? Op.And : Op.Or, left, right);
                case RelationalPatternSyntax relational when RelationOf(relational.OperatorToken) is { } kind:
                    return PatternCompare(kind, relational.Expression, value, index, pattern);
                case ConstantPatternSyntax constant:
                    return PatternCompare(CompareKind.Equal, constant.Expression, value, index, pattern);
                default:
                    Report(DiagnosticDescriptors.UnsupportedExpression, pattern, $"The pattern '{pattern}'");
                    return -1;
            }
        }

        private int PatternCompare(CompareKind kind, ExpressionSyntax operand, int value, IndexExpr? index, PatternSyntax at)
        {
            Optional<object?> constant = _semantic.GetConstantValue(operand, _cancellationToken);
            if (index is not null)
            {
                if (constant.Value is int other)
                {
                    return _builder.Compare(kind, -1, -1, index, IndexExpr.Of(other));
                }
            }
            else if (constant.Value is double or float or int or long or short or sbyte or byte or uint or ulong or ushort
                && !double.IsNaN(System.Convert.ToDouble(constant.Value, System.Globalization.CultureInfo.InvariantCulture)))
            {
                return _builder.Compare(kind, value, Lower(operand));
            }

            Report(DiagnosticDescriptors.UnsupportedExpression, at, $"The pattern '{at}' (compare with a number other than NaN)");
            return -1;
        }

        private static CompareKind? RelationOf(SyntaxToken token) => token.Kind() switch
        {
            SyntaxKind.LessThanToken => CompareKind.Less,
            SyntaxKind.LessThanEqualsToken => CompareKind.LessOrEqual,
            SyntaxKind.GreaterThanToken => CompareKind.Greater,
            SyntaxKind.GreaterThanEqualsToken => CompareKind.GreaterOrEqual,
            _ => null,
        };

        private bool IsNumeric(ExpressionSyntax expression) =>
            _semantic.GetTypeInfo(expression, _cancellationToken).ConvertedType?.SpecialType == _real;

        private static CompareKind? CompareOf(BinaryExpressionSyntax comparison) => comparison.Kind() switch
        {
            SyntaxKind.LessThanExpression => CompareKind.Less,
            SyntaxKind.LessThanOrEqualExpression => CompareKind.LessOrEqual,
            SyntaxKind.GreaterThanExpression => CompareKind.Greater,
            SyntaxKind.GreaterThanOrEqualExpression => CompareKind.GreaterOrEqual,
            SyntaxKind.EqualsExpression => CompareKind.Equal,
            SyntaxKind.NotEqualsExpression => CompareKind.NotEqual,
            _ => null,
        };

        private static bool Keyword(ILocalSymbol local) => SyntaxFacts.GetKeywordKind(local.Name) != SyntaxKind.None;
    }
}
