using System;
using System.Collections.Generic;
using System.Globalization;
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
    /// The loop part of the parser: counted <c>for</c> loops, int index expressions, stackalloc
    /// buffers and accumulators. It enforces the rules that let reverse mode recompute instead of
    /// taping (see <see cref="Differentiation.ReverseMode"/>); a program that breaks them gets ODE0014.
    /// </summary>
    private sealed partial class Parser
    {
        /// <summary>Names the generated methods use for their parameters; a loop variable never takes one.</summary>
        private static readonly HashSet<string> Reserved = new()
        {
            "t", "y", "p", "a", "tDot", "yDot", "pDot", "yBar", "pBar", "dydt", "dydtDot", "dfdy", "dfdp",
            "s", "yBarDot", "pBarDot", "TLane",   // DivergenceVjp's and Hvp's parameters, the lane methods' type parameter
        };

        /// <summary>The names a function's generated methods use besides <see cref="Reserved"/>.</summary>
        private static readonly HashSet<string> FunctionReserved = new() { "x", "xDot", "xBar", "xBarDot" };

        private readonly Dictionary<ISymbol, BufferState> _buffers = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, IndexExpr> _intLocals = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, string> _loopVariables = new(SymbolEqualityComparer.Default);

        /// <summary>The variables of count-down loops: the index each one is, in terms of its loop's up-counting variable.</summary>
        private readonly Dictionary<ISymbol, IndexExpr> _countDownVariables = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, int> _accumulators = new(SymbolEqualityComparer.Default);
        private readonly List<int> _openLoops = new();

        /// <summary>The ranges of <see cref="_openLoops"/>, in the same order.</summary>
        private readonly List<LoopRange> _openRanges = new();

        /// <summary>Buffers whose declaration was reported: their uses stay quiet.</summary>
        private readonly HashSet<ISymbol> _rejectedBuffers = new(SymbolEqualityComparer.Default);
        private bool _loopMode, _dynamicStates, _dynamicParameters, _dynamicOutputs;
        private int _loopCount;
        private BufferState? _dydtBuffer;

        /// <summary>What the parser knows about a buffer: its IR id and which writes and reads it has seen.</summary>
        private sealed class BufferState
        {
            public BufferState(int id, string name, IndexExpr size, int? constantSize = null)
            {
                Id = id;
                Name = name;
                Size = size;
                ConstantSize = constantSize;
            }

            public int Id { get; }

            public string Name { get; }

            public IndexExpr Size { get; }

            /// <summary>The length when it is a compile-time constant (a stackalloc of constant size), else null.</summary>
            public int? ConstantSize { get; }

            /// <summary>Its reads so far (not its own += and -=, which read nothing back): a later write must miss their elements.</summary>
            public List<Access> Reads { get; } = new();

            /// <summary>Its writes so far: a read inside a loop around one of them must miss its elements.</summary>
            public List<Access> Writes { get; } = new();
        }

        /// <summary>
        /// One read or write of a buffer: the loops around it (ids, outermost first), the elements it may touch (null: any),
        /// its text for a diagnostic, and whether it runs once at the top of the method (outside every loop, branch and
        /// side of '?:'). A read there is a value the reverse sweep keeps from its forward sweep, never reads again.
        /// </summary>
        private sealed record Access(int[] Loops, ElementRanges.Interval? Elements, string Text, bool TopLevel);

        /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> may touch one element (<see cref="ElementRanges"/>).</summary>
        private static bool MayOverlap(Access a, Access b) => !ElementRanges.Disjoint(a.Elements, b.Elements);

        private Access Here(IndexExpr ix, SyntaxNode at) =>
            new(_openLoops.ToArray(), ElementRanges.Of(ix, _openRanges), (at is AssignmentExpressionSyntax assignment ? AssignedTo(assignment) : at).ToString(),
                _openLoops.Count == 0 && _openBranches == 0);

        /// <summary>How many branch sides (of 'if' statements and of '?:') the parser is inside: their values are recomputed in reverse.</summary>
        private int _openBranches;

        /// <summary>
        /// Methods with loops, branches or stackalloc buffers keep dydt in a buffer (writes at run-time indices, += and
        /// read-backs), cleared first so elements no loop writes are 0.
        /// </summary>
        private void BeginLoopMode(SyntaxNode body)
        {
            _loopMode = new[] { body }.Concat(HelperBodies(body))
                .Any(b => b.DescendantNodes().Any(n => n is ForStatementSyntax or IfStatementSyntax or ConditionalExpressionSyntax or SwitchExpressionSyntax
                    or StackAllocArrayCreationExpressionSyntax));
            if (_loopMode)
            {
                _statements.Add($"elements of {(_isFunction ? "y" : "dydt")} that are not written are 0");
                _builder.Stmt = _statements.Count - 1;
                _dydtBuffer = new BufferState(_builder.Buf(Slot.Dydt, _isFunction ? SpanNames.OutputLength : new IndexExpr.Length(Slot.Y), null, zeroed: true), ParameterName(3), new IndexExpr.Length(Slot.Dydt));
            }
        }

        // ---- index expressions ----------------------------------------------------------------

        /// <summary>
        /// An int expression over literals, const values, loop variables, int locals and the lengths of
        /// y, p, dydt and buffers, as an index tree (int locals and buffer lengths expanded); null if it is
        /// anything else (no diagnostic).
        /// </summary>
        private IndexExpr? IndexTree(ExpressionSyntax expression)
        {
            // Only int expressions nest further here (a double one is no index: no level is spent on it).
            if (_semantic.GetTypeInfo(expression, _cancellationToken).Type?.SpecialType != SpecialType.System_Int32 || !Enter(expression))
            {
                return null;
            }

            try
            {
                return IndexTreeAt(expression);
            }
            finally
            {
                _nesting--;
            }
        }

        private IndexExpr? IndexTreeAt(ExpressionSyntax expression)
        {
            Optional<object?> constant = _semantic.GetConstantValue(expression, _cancellationToken);
            if (constant.HasValue && constant.Value is int value)
            {
                return IndexExpr.Of(value);
            }

            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return IndexTree(parenthesized.Expression);
                case IdentifierNameSyntax identifier:
                    ISymbol? symbol = _semantic.GetSymbolInfo(identifier, _cancellationToken).Symbol;
                    if (symbol is not null && _unrolledVariables.TryGetValue(symbol, out int copy))
                    {
                        return IndexExpr.Of(copy);
                    }

                    if (symbol is not null && _loopVariables.TryGetValue(symbol, out string? loop))
                    {
                        return _countDownVariables.TryGetValue(symbol, out IndexExpr? down) ? down : IndexExpr.Of(loop);
                    }

                    return symbol is not null && _intLocals.TryGetValue(symbol, out IndexExpr? alias) ? alias : null;
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" } member:
                    ISymbol? owner = _semantic.GetSymbolInfo(member.Expression, _cancellationToken).Symbol;
                    if (owner is not null && _buffers.TryGetValue(owner, out BufferState? buffer))
                    {
                        return buffer.Size;
                    }

                    // Vjp has no dydt parameter; its length is y's by contract. A function's output has a length of its own.
                    return Role(owner) switch
                    {
                        3 when _isFunction => SpanNames.OutputLength,
                        1 or 3 => new IndexExpr.Length(Slot.Y),
                        2 => new IndexExpr.Length(Slot.P),
                        _ => null,
                    };
                case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
                    return IndexTree(unary.Operand) is { } operand ? new IndexExpr.Negate(operand) : null;
                case BinaryExpressionSyntax binary:
                    IndexOp? op = binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => IndexOp.Add,
                        SyntaxKind.SubtractExpression => IndexOp.Subtract,
                        SyntaxKind.MultiplyExpression => IndexOp.Multiply,
                        SyntaxKind.DivideExpression => IndexOp.Divide,
                        SyntaxKind.ModuloExpression => IndexOp.Remainder,
                        _ => null,
                    };
                    IndexExpr? left = op is null ? null : IndexTree(binary.Left);
                    IndexExpr? right = left is null ? null : IndexTree(binary.Right);
                    return right is null ? null : new IndexExpr.Binary(op!.Value, left!, right);
                default:
                    return null;
            }
        }

        /// <summary>
        /// The index of a span access: a checked constant (<paramref name="index"/>) or, in a method with
        /// loops, an index expression (<paramref name="ix"/>); false after reporting ODE0006 or ODE0008.
        /// </summary>
        private bool ElementIndex(ElementAccessExpressionSyntax access, int role, out int index, out IndexExpr? ix)
        {
            index = -1;
            ix = null;
            if (access.ArgumentList.Arguments.Count == 1 && _loopMode)
            {
                ExpressionSyntax argument = access.ArgumentList.Arguments[0].Expression;
                int declared = role == 3 && _isFunction ? _declaredOutputs : role == 2 ? _declaredParameters : _declaredStates;

                // y[^k] is y[y.Length - k] (a literal index when the size is declared and k a constant: Index below).
                IndexExpr? text = argument is PrefixUnaryExpressionSyntax hat && hat.IsKind(SyntaxKind.IndexExpression)
                    ? (declared > 0 && _semantic.GetConstantValue(hat.Operand, _cancellationToken).HasValue ? null
                        : IndexTree(hat.Operand) is { } k ? new IndexExpr.Binary(IndexOp.Subtract, role == 3 && _isFunction ? SpanNames.OutputLength : new IndexExpr.Length(role == 2 ? Slot.P : Slot.Y), k) : null)
                    : !_semantic.GetConstantValue(argument, _cancellationToken).HasValue ? IndexTree(argument) : null;
                if (_unrolledVariables.Count > 0 && text?.ConstantValue is int known && !text.Lengths().Any())
                {
                    // An index that folds to a constant (in a loop unrolled by the parser, y[i + 1] with i = 2) is a constant index.
                    index = CheckedIndex(known, fromEnd: false, argument, access.Expression.ToString(), isState: role != 2, isOutput: role == 3 && _isFunction);
                    return index >= 0;
                }

                if (text is not null)
                {
                    ix = text;
                    _dynamicStates |= role == 1 || (role == 3 && !_isFunction);
                    _dynamicOutputs |= role == 3 && _isFunction;
                    _dynamicParameters |= role == 2;
                    return true;
                }
            }

            index = Index(access, isState: role != 2);
            return index >= 0;
        }

        // ---- declarations -----------------------------------------------------------------------

        /// <summary><c>int n = …;</c>: an alias for an index expression (int locals are never assigned again).</summary>
        private void IntDeclaration(VariableDeclaratorSyntax variable, ILocalSymbol local, TypeSyntax type)
        {
            IndexExpr? text = variable.Initializer is { } initializer ? IndexTree(initializer.Value) : null;
            if (text is null)
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, (SyntaxNode?)variable.Initializer?.Value ?? type,
                    $"The int local '{local.Name}' (its value must be built from {IntTerms("constants", "loop variables", "int locals")})");
                return;
            }

            _intLocals[local] = text;
        }

        /// <summary><c>Span&lt;double&gt; h = stackalloc double[size];</c> outside loops.</summary>
        private void BufferDeclaration(VariableDeclaratorSyntax variable, ILocalSymbol local, TypeSyntax type)
        {
            ExpressionSyntax? value = variable.Initializer?.Value;
            ArrayRankSpecifierSyntax? rank = value is StackAllocArrayCreationExpressionSyntax
            {
                Initializer: null,
                Type: ArrayTypeSyntax { RankSpecifiers.Count: 1, ElementType: PredefinedTypeSyntax element } array,
            } && array.RankSpecifiers[0].Sizes.Count == 1
              && element.Keyword.IsKind(_real == SpecialType.System_Single ? SyntaxKind.FloatKeyword : SyntaxKind.DoubleKeyword) ? array.RankSpecifiers[0] : null;
            IndexExpr? size = rank is null ? null : IndexTree(rank.Sizes[0]);
            if (!_loopMode || size is null || _openLoops.Count > 0)
            {
                string why = _openLoops.Count > 0 ? "A stackalloc inside a loop (declare the buffer before the loop)"
                    : !_loopMode ? $"A Span<{RealText}> local in a method without loops (use {RealText} locals)"
                    : $"This Span<{RealText}> local (write 'Span<{RealText}> name = stackalloc {RealText}[size];' with an int size)";
                Report(DiagnosticDescriptors.UnsupportedExpression, (SyntaxNode?)value ?? type, why);
                _rejectedBuffers.Add(local);
                return;
            }

            string name = SyntaxFacts.GetKeywordKind(local.Name) != SyntaxKind.None ? "buffer" : local.Name;
            int? constantSize = size is IndexExpr.Constant { Value: >= 0 } c ? c.Value : null;
            _buffers[local] = new BufferState(_builder.Buf(Slot.None, size, name, zeroed: false), name, size, constantSize);
        }

        // ---- buffers and accumulators -----------------------------------------------------------

        /// <summary>
        /// A read of <paramref name="buffer"/>[<paramref name="ix"/>]: not inside a loop that writes the buffer at an element
        /// this read may touch (over all of both loops' iterations, so an iteration never reads what another one writes).
        /// </summary>
        private int BufferRead(BufferState buffer, IndexExpr ix, SyntaxNode at)
        {
            Access read = Here(ix, at);
            foreach (Access write in buffer.Writes)
            {
                if (write.Loops.Any(_openLoops.Contains) && MayOverlap(write, read))
                {
                    Report(DiagnosticDescriptors.OverwrittenValue, at, buffer.Name,
                        $"a loop that writes '{write.Text}' also reads it here, and the two may be the same element; read it in a separate loop after the one that writes it");
                    return -1;
                }
            }

            if (!OutputWrittenBefore(buffer, ix, at))
            {
                return -1;
            }

            buffer.Reads.Add(read);
            return _builder.BufLoad(buffer.Id, ix);
        }

        /// <summary>
        /// A write (=, +=, -=) to <paramref name="buffer"/>[<paramref name="ix"/>]: never to an element that was read before
        /// (the reverse sweep recomputes that read and must find the same value), nor one that may be it.
        /// </summary>
        private int BufferWrite(BufferState buffer, IndexExpr ix, Op? op, Func<int> right, SyntaxNode at)
        {
            if (op is Op.Mul or Op.Div)
            {
                Report(DiagnosticDescriptors.OverwrittenValue, at, buffer.Name,
                    "inside a loop or a branch, '*=' and '/=' replace an element with a value computed from it; write the product to a second buffer, or scale the element after the loop or branch");
                return -1;
            }

            // += and -= add to the element's old value, which the caller's buffer holds until the method writes it.
            if (op is not null && !OutputWrittenBefore(buffer, ix, at))
            {
                return -1;
            }

            int value = right();
            if (value < 0)
            {
                return -1;
            }

            // A read at the top of the method is kept as a value by the reverse sweep (computed once, in its forward sweep), so
            // a later write may replace its element; a read inside a loop or a branch is recomputed from the buffer there.
            Access write = Here(ix, at);
            foreach (Access read in buffer.Reads)
            {
                if (!read.TopLevel && MayOverlap(read, write))
                {
                    Report(DiagnosticDescriptors.OverwrittenValue, at, buffer.Name,
                        $"'{read.Text}' was read before this write, which may replace that element, and the read is inside a {(read.Loops.Length > 0 ? "loop" : "branch")}, whose values the derivative computes again; "
                        + "read the element into a local before that " + (read.Loops.Length > 0 ? "loop" : "branch") + ", or write the new values to a second buffer, or to elements that were not read");
                    return -1;
                }
            }

            buffer.Writes.Add(write);
            OutputWritten(buffer, ix);
            _builder.BufStore(buffer.Id, ix, op == Op.Sub ? _builder.Neg(value) : value, accumulate: op is not null);
            return value;
        }

        /// <summary>An assignment to a local that accumulates over an open loop: only += and -=; the value added, or -1.</summary>
        private int AccumulatorWrite(ILocalSymbol local, int variable, Op? op, Func<int> right, SyntaxNode at)
        {
            if (op is not (Op.Add or Op.Sub))
            {
                Report(DiagnosticDescriptors.OverwrittenValue, at, local.Name,
                    $"it is declared outside the loop, where only += and -= may change it; declare it inside the loop, accumulate into it, or give the loop constant bounds (the declared sizes count) of at most {MaxParseTimeTrips} iterations, which are unrolled");
                return -1;
            }

            int value = right();
            if (value >= 0)
            {
                _builder.VarAdd(variable, op == Op.Sub ? _builder.Neg(value) : value);
            }

            return value;
        }

        // ---- loops --------------------------------------------------------------------------------

        /// <summary>
        /// <c>for (int i = lo; i &lt; hi; i++) body</c> with bounds that are index expressions, or a count-down loop
        /// <c>for (int i = start; i &gt;= end; i--) body</c>, which becomes <c>for (int iStep = 0; iStep &lt; start + 1 - end; iStep++)</c>
        /// with i read as <c>start - iStep</c>: the same iterations in the same order (so sums round as the user's do), and a
        /// loop every pass already knows, whose reverse sweep counts iStep down.
        /// </summary>
        private void ForLoop(ForStatementSyntax loop)
        {
            if (!LoopHeader(loop, out ILocalSymbol? variable, out IndexExpr? lo, out IndexExpr? hi, out IndexExpr? start))
            {
                return;
            }

            string header = $"for ({loop.Declaration}; {loop.Condition}; {string.Join(", ", loop.Incrementors)})";
            if (ParseTimeTrips(loop, start ?? lo!, lo!, hi!) is { } trips)
            {
                Unrolled(loop, variable!, KnownSizes(start ?? lo!).ConstantValue!.Value, down: start is not null, trips,
                    System.Text.RegularExpressions.Regex.Replace(header, @"\s+", " "));
                return;
            }

            _statements.Add(System.Text.RegularExpressions.Regex.Replace(header, @"\s+", " "));
            int stmt = _statements.Count - 1;
            _builder.Stmt = stmt;

            // Locals declared outside and assigned inside become accumulators for the loop's duration.
            var accumulated = new List<ILocalSymbol>();
            foreach (ExpressionSyntax written in loop.Statement.DescendantNodesAndSelf().Select(Written).OfType<ExpressionSyntax>())
            {
                if (_semantic.GetSymbolInfo(written, _cancellationToken).Symbol is ILocalSymbol local
                    && written is IdentifierNameSyntax
                    && local.Type.SpecialType == _real
                    && !_accumulators.ContainsKey(local)
                    && !accumulated.Contains(local, SymbolEqualityComparer.Default)
                    && local.DeclaringSyntaxReferences.All(r => !loop.Span.Contains(r.Span)))
                {
                    if (!_locals.TryGetValue(local, out int init))
                    {
                        if (!_refusedLocals.Contains(local))
                        {
                            Report(DiagnosticDescriptors.ReadBeforeWrite, written, local.Name);
                        }

                        continue;
                    }

                    _accumulators[local] = _builder.Var(init, SyntaxFacts.GetKeywordKind(local.Name) != SyntaxKind.None ? null : local.Name);
                    accumulated.Add(local);
                }
            }

            string name = start is not null ? variable!.Name + "Step"
                : Reserved.Contains(variable!.Name) || (_isFunction && FunctionReserved.Contains(variable.Name)) ? variable.Name + "_" : variable.Name;
            while (_loopVariables.ContainsValue(name))
            {
                name += "_";   // a helper's loop inlined into a caller's loop of the same variable name: C# has each in its own method
            }

            _loopVariables[variable] = name;
            if (start is not null)
            {
                _countDownVariables[variable] = new IndexExpr.Binary(IndexOp.Subtract, start, IndexExpr.Of(name));
            }

            int id = ++_loopCount;
            _builder.For(name, lo!, hi!, reversed: false);
            _openLoops.Add(id);
            _openRanges.Add(new LoopRange(name, lo!, hi!));
            List<ElementRanges.Interval> writtenBefore = SaveWritten();
            Statement(loop.Statement, isLast: false, topLevel: false);
            _openLoops.RemoveAt(_openLoops.Count - 1);
            _openRanges.RemoveAt(_openRanges.Count - 1);
            CloseLoopWritten(writtenBefore, new LoopRange(name, lo!, hi!));
            _builder.Stmt = stmt;
            _builder.EndFor();
            _loopVariables.Remove(variable);
            _countDownVariables.Remove(variable);

            foreach (ILocalSymbol local in accumulated)
            {
                int value = _builder.VarGet(_accumulators[local]);
                _accumulators.Remove(local);
                _locals[local] = value;
            }
        }

        /// <summary>The most iterations a loop is unrolled in the parser (<see cref="ParseTimeTrips"/>).</summary>
        private const int MaxParseTimeTrips = 8;

        /// <summary>The loop variables of loops unrolled in the parser, each with its value in the copy being lowered.</summary>
        private readonly Dictionary<ISymbol, int> _unrolledVariables = new(SymbolEqualityComparer.Default);

        /// <summary>
        /// The trip count of a loop to unroll while parsing, or null to keep it a loop: one whose body changes a local
        /// declared outside it other than by accumulating (<c>b = b * 0.5 + a</c>, <c>v = …</c>, <c>s *= …</c>), or reads
        /// such a local it changes, and whose bounds are constants (lengths count as the sizes the attribute declares) with
        /// at most <see cref="MaxParseTimeTrips"/> iterations. As a loop it would need the local's value from every
        /// iteration in its reverse sweep (ODE0014); unrolled, each iteration's value is a value of its own, which the
        /// reverse sweep keeps as it keeps any other. Loops that accumulate only are left as they were.
        /// </summary>
        private int? ParseTimeTrips(ForStatementSyntax loop, IndexExpr first, IndexExpr lo, IndexExpr hi)
        {
            int? trips = KnownSizes(hi).ConstantValue - KnownSizes(lo).ConstantValue;
            if (trips is not (>= 0 and <= MaxParseTimeTrips) || KnownSizes(first).ConstantValue is null || !CarriesALocal(loop))
            {
                return null;
            }

            return trips;
        }

        /// <summary><paramref name="e"/> with the lengths of y, p and the output replaced by their declared sizes.</summary>
        private IndexExpr KnownSizes(IndexExpr e)
        {
            int outputs = _isFunction ? _declaredOutputs : _declaredStates;
            return e switch
            {
                IndexExpr.Length { Span: Slot.Y } when _declaredStates > 0 => IndexExpr.Of(_declaredStates),
                IndexExpr.Length { Span: Slot.P } when _declaredParameters > 0 => IndexExpr.Of(_declaredParameters),
                IndexExpr.Length { Span: Slot.Dydt } when outputs > 0 => IndexExpr.Of(outputs),
                IndexExpr.Negate n => new IndexExpr.Negate(KnownSizes(n.Operand)),
                IndexExpr.Binary b => new IndexExpr.Binary(b.Op, KnownSizes(b.Left), KnownSizes(b.Right)),
                _ => e,
            };
        }

        /// <summary>
        /// Whether the body changes a number local declared outside the loop with something other than a statement
        /// <c>+=</c>, <c>-=</c>, <c>++</c> or <c>--</c>, or reads a local it changes.
        /// </summary>
        private bool CarriesALocal(ForStatementSyntax loop)
        {
            var changed = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            var targets = new HashSet<SyntaxNode>();
            bool carries = false;
            foreach (SyntaxNode node in loop.Statement.DescendantNodesAndSelf())
            {
                if (Written(node) is IdentifierNameSyntax target
                    && _semantic.GetSymbolInfo(target, _cancellationToken).Symbol is ILocalSymbol local
                    && local.Type.SpecialType == _real
                    && local.DeclaringSyntaxReferences.All(r => !loop.Span.Contains(r.Span)))
                {
                    changed.Add(local);
                    targets.Add(target);
                    bool accumulates = node is not AssignmentExpressionSyntax assignment
                        || assignment.IsKind(SyntaxKind.AddAssignmentExpression) || assignment.IsKind(SyntaxKind.SubtractAssignmentExpression);
                    carries |= !accumulates || node.Parent is not ExpressionStatementSyntax;
                }
            }

            return carries || loop.Statement.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(name => !targets.Contains(name)
                && _semantic.GetSymbolInfo(name, _cancellationToken).Symbol is ILocalSymbol read && changed.Contains(read));
        }

        /// <summary>Lowers the body once per iteration, the loop variable a constant in each copy (count-down loops count down).</summary>
        private void Unrolled(ForStatementSyntax loop, ILocalSymbol variable, int first, bool down, int trips, string header)
        {
            // One heading for the loop, and each copy labelled with its index as the optimizer's unrolled loops are.
            _statements.Add(header);
            int stmt = _statements.Count - 1;
            UnrolledCopy? outer = _builder.Copy;
            for (int k = 0; k < trips; k++)
            {
                int value = down ? first - k : first + k;
                string label = variable.Name + " = " + value.ToString(CultureInfo.InvariantCulture);
                _builder.Stmt = stmt;
                _builder.Copy = outer is null ? new UnrolledCopy(stmt, label, Phase.Primal) : outer with { Label = outer.Label + ", " + label };
                _unrolledVariables[variable] = value;
                Statement(loop.Statement, isLast: false, topLevel: false);
            }

            _builder.Copy = outer;
            _unrolledVariables.Remove(variable);
        }

        /// <summary>
        /// Checks the loop's shape; reports ODE0015 on the part that does not fit. A count-down loop gets the bounds of its
        /// up-counting form, 0 and start + 1 - end (end + 1 for '&gt;'), and its <paramref name="start"/>; null for other loops.
        /// </summary>
        private bool LoopHeader(ForStatementSyntax loop, out ILocalSymbol? variable, out IndexExpr? lo, out IndexExpr? hi, out IndexExpr? start)
        {
            variable = null;
            lo = hi = start = null;
            VariableDeclaratorSyntax? declarator = loop.Declaration is { Variables.Count: 1 } declaration ? declaration.Variables[0] : null;
            if (declarator?.Initializer is not { } init
                || _semantic.GetDeclaredSymbol(declarator, _cancellationToken) is not ILocalSymbol local
                || local.Type.SpecialType != SpecialType.System_Int32
                || loop.Initializers.Count > 0)
            {
                Report(DiagnosticDescriptors.UnsupportedLoop, loop.Declaration is { } d ? d : (SyntaxNodeOrToken)loop.ForKeyword, "it must declare one int loop variable with a start value");
                return false;
            }

            variable = local;
            lo = IndexTree(init.Value);
            if (lo is null)
            {
                Report(DiagnosticDescriptors.UnsupportedLoop, init.Value, $"the start '{init.Value}' depends on something other than constants, loop variables, int locals and lengths");
                return false;
            }

            bool down = loop.Condition is BinaryExpressionSyntax d2 && (d2.IsKind(SyntaxKind.GreaterThanExpression) || d2.IsKind(SyntaxKind.GreaterThanOrEqualExpression));
            if (loop.Condition is not BinaryExpressionSyntax condition
                || !condition.IsKind(SyntaxKind.LessThanExpression) && !condition.IsKind(SyntaxKind.LessThanOrEqualExpression) && !down
                || !SymbolEqualityComparer.Default.Equals(_semantic.GetSymbolInfo(condition.Left, _cancellationToken).Symbol, local))
            {
                Report(DiagnosticDescriptors.UnsupportedLoop, loop.Condition is { } c ? c : (SyntaxNodeOrToken)loop.ForKeyword,
                    $"its condition must be '{local.Name} < end' or '{local.Name} <= end' (counting down: '{local.Name} >= end' or '{local.Name} > end')");
                return false;
            }

            IndexExpr? end = IndexTree(condition.Right);
            if (end is null)
            {
                Report(DiagnosticDescriptors.UnsupportedLoop, condition.Right, $"the end '{condition.Right}' depends on something other than constants, loop variables, int locals and lengths");
                return false;
            }

            if (down)
            {
                // i from start down to first (inclusive): trips start + 1 - first, none when start < first.
                IndexExpr first = condition.IsKind(SyntaxKind.GreaterThanOrEqualExpression) ? end : PlusOne(end);
                start = lo;
                lo = IndexExpr.Of(0);
                hi = new IndexExpr.Binary(IndexOp.Subtract, PlusOne(start), first).Substitute(NoValues);   // folded: 40 - 1 is 39, n - 0 is n
            }
            else
            {
                hi = condition.IsKind(SyntaxKind.LessThanExpression) ? end : new IndexExpr.Binary(IndexOp.Add, end, IndexExpr.Of(1));
            }

            SyntaxKind increment = down ? SyntaxKind.PostDecrementExpression : SyntaxKind.PostIncrementExpression;
            SyntaxKind preIncrement = down ? SyntaxKind.PreDecrementExpression : SyntaxKind.PreIncrementExpression;
            SyntaxKind addAssign = down ? SyntaxKind.SubtractAssignmentExpression : SyntaxKind.AddAssignmentExpression;
            bool step = loop.Incrementors.Count == 1 && loop.Incrementors[0] switch
            {
                PostfixUnaryExpressionSyntax post when post.IsKind(increment) => IsVariable(post.Operand, local),
                PrefixUnaryExpressionSyntax pre when pre.IsKind(preIncrement) => IsVariable(pre.Operand, local),
                AssignmentExpressionSyntax add when add.IsKind(addAssign) =>
                    IsVariable(add.Left, local) && _semantic.GetConstantValue(add.Right, _cancellationToken).Value is 1,
                _ => false,
            };
            if (!step)
            {
                Report(DiagnosticDescriptors.UnsupportedLoop, loop.Incrementors.Count > 0 ? loop.Incrementors[0] : (SyntaxNodeOrToken)loop.ForKeyword,
                    down ? $"a loop that counts down must step by '{local.Name}--'" : $"it must step by '{local.Name}++'");
                return false;
            }

            // The loop variable is read-only inside the body (assignments to it are ODE0004), so the trip count is fixed.
            return true;
        }

        private static readonly Dictionary<string, int> NoValues = new();

        /// <summary><paramref name="e"/> + 1, written without a new term where it ends in "- 1" or is a literal (y.Length - 1 + 1 is y.Length).</summary>
        private static IndexExpr PlusOne(IndexExpr e) => e switch
        {
            IndexExpr.Constant c => IndexExpr.Of(unchecked(c.Value + 1)),
            IndexExpr.Binary { Op: IndexOp.Subtract, Right: IndexExpr.Constant { Value: 1 } } b => b.Left,
            _ => new IndexExpr.Binary(IndexOp.Add, e, IndexExpr.Of(1)),
        };

        private bool IsVariable(ExpressionSyntax expression, ILocalSymbol local) =>
            SymbolEqualityComparer.Default.Equals(_semantic.GetSymbolInfo(expression, _cancellationToken).Symbol, local);
    }
}
