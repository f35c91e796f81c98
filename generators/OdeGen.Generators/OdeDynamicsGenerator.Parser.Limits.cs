using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// How deeply expressions (parentheses around a right operand, unary minus, call arguments, conditions, index
    /// expressions) and statements (blocks, loops, branches) may nest. A left-deep chain such as a long sum
    /// <c>a + b + c + …</c> is walked iteratively and does not count.
    /// </summary>
    internal const int MaxNesting = 256;

    /// <summary>
    /// The most locals the user's computation may need in Evaluate (its locals, values used twice, a local every
    /// <see cref="Generators.Emit.LocalNames.MaxInlineDepth"/> levels of a long expression). Jvp, Vjp and the lane methods need
    /// up to about six times as many (a tangent or an adjoint and the slopes of each), and a .NET method can have at
    /// most 65,534. Measured: a chain of statements like <c>x3 = 0.9 * x3 + 0.1 * Math.Sin(x4 * p[3])</c> needs 4 times
    /// as many in VjpLanes (11,970 in Evaluate and 48,063 for 11,950 statements), one of products, quotients, Tanh and
    /// Exp 6 times, one of Atan2 and Pow 5.5 times.
    /// </summary>
    internal const int MaxEvaluateLocals = 9_000;

    /// <summary>
    /// The parser's limits on nesting (issue #22): the generator runs on the compiler's thread, whose stack may be
    /// small, so a recursive walk over the user's syntax is bounded by a depth a person never writes, and reports
    /// ODE0025 on the node that goes past it instead of overflowing the stack.
    /// </summary>
    private sealed partial class Parser
    {
        private int _nesting;

        /// <summary>Nodes already reported as too deep (a node may be visited twice, e.g. as an index and as a number).</summary>
        private readonly HashSet<SyntaxNode> _tooDeep = new();

        /// <summary>
        /// Enters one level of nesting at <paramref name="node"/>; false (after reporting ODE0025 once for the node)
        /// when that goes past <see cref="MaxNesting"/> or the thread's stack runs short. Each true is paired with
        /// <c>_nesting--</c> by the caller.
        /// </summary>
        private bool Enter(SyntaxNode node)
        {
            if (_nesting < MaxNesting && StackLeft())
            {
                _nesting++;
                return true;
            }

            TooDeep(node);
            return false;
        }

        /// <summary>
        /// Whether <paramref name="root"/> (a statement of the method, or its expression body) nests at most
        /// <see cref="MaxNesting"/> deep, measured without recursion before anything is lowered; else reports ODE0025 on
        /// the first node found deeper and returns false. Asking the compiler about a node far down a deep tree can make
        /// it bind the whole subtree again, on top of the parser's own recursion; so a statement that is too deep is not
        /// looked into at all. A left operand of a binary operator and the inside of parentheses are at their parent's
        /// depth (the parser walks those chains in a loop); other expressions and statements are one level deeper.
        /// </summary>
        private bool ShallowEnough(SyntaxNode root)
        {
            var pending = new Stack<(SyntaxNode Node, int Depth)>();
            pending.Push((root, 1));
            while (pending.Count > 0)
            {
                (SyntaxNode node, int depth) = pending.Pop();
                if (depth > MaxNesting)
                {
                    TooDeep(node);
                    return false;
                }

                foreach (SyntaxNode child in node.ChildNodes())
                {
                    bool same = node is ParenthesizedExpressionSyntax
                        || (node is BinaryExpressionSyntax binary && child == binary.Left)
                        || child is not (ExpressionSyntax or StatementSyntax);
                    pending.Push((child, same ? depth : depth + 1));
                }
            }

            return true;
        }

        /// <summary>Reports ODE0026 on the method's name when its Evaluate alone would need more than <see cref="MaxEvaluateLocals"/> locals.</summary>
        private void CheckSize(IrFunction primal)
        {
            if (_diagnostics.Any(d => d.IsError))
            {
                return;
            }

            int locals = Generators.Emit.LocalNames.Assign(primal, new[] { "t", "y", "p", "dydt" }, Analyses.MergeCoalescing.Plan(primal)).Count(n => n is not null);
            if (locals > MaxEvaluateLocals)
            {
                Report(DiagnosticDescriptors.MethodTooLarge, _syntax.Identifier, _method.Name,
                    $"its Evaluate alone needs {locals.ToString("N0", CultureInfo.InvariantCulture)} locals",
                    $"{MaxEvaluateLocals.ToString("N0", CultureInfo.InvariantCulture)} locals");
            }
        }

        /// <summary>Reports ODE0025 on <paramref name="node"/>, once.</summary>
        private void TooDeep(SyntaxNode node)
        {
            if (_tooDeep.Add(node))
            {
                Report(DiagnosticDescriptors.NestedTooDeeply, node, MaxNesting.ToString(CultureInfo.InvariantCulture));
            }
        }

        /// <summary>Whether the thread has the stack an average call needs left (the runtime's own check).</summary>
        private static bool StackLeft()
        {
            try
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                return true;
            }
            catch (System.InsufficientExecutionStackException)
            {
                return false;
            }
        }
    }
}
