using System.Collections.Generic;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints one IR function as a C# method body. Literals, unnamed input reads and unnamed values
/// used once are printed inline (pure arithmetic, so moving them changes no result); every other
/// value becomes a local. Each group of lines is headed by the user statement it came from.
/// </summary>
internal sealed class FunctionEmitter : ExpressionPrinter
{
    private readonly IrFunction _function;

    /// <summary>The C# type of the values: double, or float for a float method.</summary>
    private readonly string _real;
    private readonly string?[] _names;

    /// <summary>The branch-merge variables that write an earlier local (<see cref="MergeCoalescing"/>).</summary>
    private readonly MergeCoalescing _merges;

    /// <summary>The loops vectorized across their index, by the position of their For, with their helpers' names.</summary>
    private readonly Dictionary<int, (VectorLoop Loop, string Helper)> _vectorized = new();

    /// <summary>Why each loop stays scalar when the system asked for vectorized loops, by the position of its For.</summary>
    private readonly Dictionary<int, string> _scalarReasons = new();

    /// <summary>Every name the method declares or takes (for the names the vectorized loops add).</summary>
    private readonly HashSet<string> _taken;

    /// <summary>The loop sums that cross calls in memory (<see cref="RegisterEligibility"/>), by the line they are stored or restored before.</summary>
    private readonly Dictionary<int, List<KeptAcrossCall>> _stores = new(), _restores = new();

    /// <summary>The one-element buffer of each sum kept in memory across calls, by its Var.</summary>
    private readonly Dictionary<int, string> _kept = new();

    /// <summary>The sums in memory now: their reads print their buffer's element.</summary>
    private readonly HashSet<int> _inMemory = new();

    /// <summary>The buffers an entry method allocated (<see cref="EmitBuffers"/>): the body takes them as parameters.</summary>
    private readonly HashSet<int> _allocated = new();

    /// <summary>y and dydt are <c>ScalarRegisters</c> values (fields S0, S1, …), not spans (see <see cref="EmitRegisterBody"/>).</summary>
    private readonly bool _registers;

    private FunctionEmitter(MethodPlan plan, IEnumerable<string> parameters, string method, bool registers = false)
        : base(plan.Function)
    {
        IrFunction function = plan.Function;
        _function = function;
        _registers = registers;
        _real = function.Single ? "float" : "double";
        var parameterList = new List<string>(parameters);
        _merges = plan.Merges;
        Names = _names = LocalNames.Assign(function, parameterList, _merges);
        LocalNames.CheckCount(_names, method.Length > 0 ? method : "method");
        _taken = new HashSet<string>(parameterList);
        foreach (Instr x in function.Body)
        {
            if (x.Op == Op.For)
            {
                _taken.Add(x.Name!);
            }
        }

        foreach (string? name in _names)
        {
            if (name is not null)
            {
                _taken.Add(name);
            }
        }

        foreach (KeptAcrossCall k in plan.KeptAcrossCalls)
        {
            Add(_stores, k.Store, k);
            if (k.Restore >= 0)
            {
                Add(_restores, k.Restore, k);
            }

            if (!_kept.ContainsKey(k.Var))
            {
                _kept[k.Var] = LocalNames.Unique(_taken, _names[k.Var] + "Kept");
            }
        }

        int helpers = 0;
        foreach (LoopDecision d in plan.Loops)
        {
            if (d.Plan is not null)
            {
                _vectorized[d.Open] = (d.Plan, VectorLoopEmitter.HelperName(method, helpers++));
            }
            else
            {
                _scalarReasons[d.Open] = d.Reason!;
            }
        }
    }

    /// <summary>
    /// Writes Evaluate's body with y and dydt in registers: <c>y[i]</c> reads field <c>y.S{i}</c> and <c>dydt[i]</c> is field
    /// <c>dydt.S{i}</c> of a local the caller declares; otherwise Evaluate's text, operation for operation (so the same bits).
    /// Only for functions <see cref="RegisterEligibility.StraightLineOverStates"/>: every such index is a literal.
    /// </summary>
    public static void EmitRegisterBody(IndentedWriter writer, MethodPlan plan, IEnumerable<string> parameters) =>
        new FunctionEmitter(plan, parameters, "Derivative", registers: true).Emit(writer);

    /// <summary>
    /// Writes the method "{<paramref name="head"/>} <paramref name="method"/>(<paramref name="parameters"/>)" with the body of
    /// <paramref name="plan"/>, <paramref name="entry"/>'s lines first. Where the plan keeps the buffers apart
    /// (<see cref="BufferPlacement"/>), the method allocates the buffers and calls its body, a method of its own that takes
    /// them and starts with <paramref name="entry"/>'s lines too; <paramref name="head"/> is the access and return type.
    /// </summary>
    public static void EmitMethod(IndentedWriter writer, MethodPlan plan, string head, string method, IReadOnlyList<string> parameters,
        System.Action<IndentedWriter> entry)
    {
        var names = new List<string>();
        foreach (string p in parameters)
        {
            names.Add(p.Substring(p.LastIndexOf(' ') + 1));
        }

        var emitter = new FunctionEmitter(plan, names, method);
        writer.Open($"{head} {method}({string.Join(", ", parameters)})");
        entry(writer);
        if (!plan.BuffersApart)
        {
            emitter.Emit(writer);
            writer.Close();
            return;
        }

        string body = method + "OnBuffers";
        List<string> buffers = emitter.EmitBuffers(writer, body);
        var arguments = new List<string>(names);
        arguments.AddRange(buffers);
        string returnType = head.Substring(head.LastIndexOf(' ') + 1);
        writer.Line($"{(returnType == "void" ? "" : "return ")}{body}({string.Join(", ", arguments)});");
        writer.Close();

        var declarations = new List<string>(parameters);
        foreach (string b in buffers)
        {
            declarations.Add($"global::System.Span<{emitter._real}> {b}");
        }

        writer.Line()
              .Line($"/// <summary>The body of {method}, on the buffers {method} allocated.</summary>")
              .Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]")
              .Open($"private {returnType} {body}({string.Join(", ", declarations)})");
        entry(writer);
        emitter.SizeBuffers(writer);
        emitter.Emit(writer);
        writer.Close();
    }

    /// <summary>The body's first lines where the buffers come in as parameters: each cut to its size, so the JIT knows it as it knows a stackalloc's.</summary>
    private void SizeBuffers(IndentedWriter writer)
    {
        writer.Line("// the buffers at their sizes: with their lengths known, the JIT drops the range checks it can prove");
        for (int i = 0; i < _function.Body.Count; i++)
        {
            if (_allocated.Contains(i))
            {
                writer.Line($"{_names[i]} = {_names[i]}.Slice(0, {Ix(_function.Body[i].Ix)});");
            }
        }

        writer.Line();
    }

    /// <summary>
    /// The entry method's lines of a plan that keeps the buffers apart: each stackalloc (with its clearing), headed by its
    /// statement; returns the buffers' names, in the order <paramref name="body"/> takes them. Emit then skips these lines.
    /// </summary>
    private List<string> EmitBuffers(IndentedWriter writer, string body)
    {
        writer.Line($"// the buffers live here and {body} runs on them: the JIT zeroes them with wide vector stores and no vzeroupper after,")
              .Line($"// and the C runtime's math (Math.Tanh, Exp, …) is slow while the upper halves are dirty; {body} clears them on entry")
              .Line();
        var headers = new HeaderComments(_function);
        var names = new List<string>();
        for (int i = 0; i < _function.Body.Count; i++)
        {
            Instr x = _function.Body[i];
            if (x.Op == Op.Buf && x.Slot is Slot.None or Slot.A)
            {
                headers.Before(writer, x, null);
                writer.Line($"global::System.Span<{_real}> {_names[i]} = stackalloc {_real}[{Ix(x.Ix)}];");
                if (x.Slot == Slot.None && x.Value == 1)
                {
                    // stackalloc is zeroed only without [SkipLocalsInit]; adjoints must start at 0 (nothing else sees the buffer before its body).
                    writer.Line($"{_names[i]}.Clear();");
                }

                _allocated.Add(i);
                names.Add(_names[i]!);
            }
        }

        writer.Line();
        return names;
    }

    private static void Add(Dictionary<int, List<KeptAcrossCall>> at, int line, KeptAcrossCall k)
    {
        if (!at.TryGetValue(line, out List<KeptAcrossCall>? list))
        {
            at[line] = list = new List<KeptAcrossCall>();
        }

        list.Add(k);
    }

    private void Emit(IndentedWriter writer)
    {
        var headers = new HeaderComments(_function);
        if (_kept.Count > 0)
        {
            writer.Line("// loop sums that cross calls of Math or user functions wait in memory, so the loops keep them in registers");
            foreach (string name in _kept.Values)
            {
                writer.Line($"global::System.Span<{_real}> {name} = stackalloc {_real}[1];");
            }

            writer.Line();
        }

        for (int i = 0; i < _function.Body.Count; i++)
        {
            Instr x = _function.Body[i];
            if (x.Op is Op.EndFor or Op.EndIf)
            {
                writer.Close();
                headers.BlockClosed();
                continue;
            }

            if (x.Op == Op.Else && _function.Body[i + 1].Op == Op.EndIf)
            {
                continue;   // nothing is left on the else side
            }

            if (x.Op == Op.Else)
            {
                writer.Close().Open("else");
                headers.BlockOpened();
                continue;
            }

            if ((!IsStatement(x) && _names[i] is null) || _merges.Silent[i])
            {
                continue;   // printed inline where it is used, or a copy or declaration the shared local makes needless
            }

            if (x.Op == Op.Buf && x.Slot == Slot.None && _allocated.Contains(i))
            {
                continue;   // allocated (and cleared) by the entry method
            }

            headers.Before(writer, x, x.Op == Op.VarSet && _names[x.B] is null ? _function.Body[x.B] : null);
            KeepAcrossCalls(writer, i);
            switch (x.Op)
            {
                case Op.For when _vectorized.TryGetValue(i, out var vector):
                    // The helper runs the iterations that fill whole registers; this loop runs the rest.
                    string from = LocalNames.Unique(_taken, x.Name + "From");
                    VectorLoopEmitter.Dispatch(writer, vector.Loop, _function.Naming, vector.Helper, from, System.Linq.Enumerable.Select(vector.Loop.Arguments, Argument));
                    writer.Open(ForLine(x with { Ix = IndexExpr.Of(from) }, _function.Naming));
                    headers.BlockOpened();
                    break;
                case Op.For:
                    if (_scalarReasons.TryGetValue(i, out string? reason))
                    {
                        writer.Line("// stays scalar (VectorizeLoops): " + reason);
                    }

                    writer.Open(ForLine(x, _function.Naming));
                    headers.BlockOpened();
                    break;
                case Op.If:
                    writer.Open($"if ({UnwrappedCondition(x.A)})");
                    headers.BlockOpened();
                    break;
                case Op.VarSet:
                    writer.Line($"{_names[x.A]} = {Expr(x.B).Text};");
                    break;
                case Op.ExternVjp:
                    var parts = new List<string>();
                    for (int k = 0; k < x.Args.Count; k++)
                    {
                        parts.Add(k > x.Index ? "ref " + _names[x.Args[k]] : Expr(x.Args[k]).Text);
                    }

                    writer.Line($"{x.Callee}({string.Join(", ", parts)});");
                    break;
                case Op.Buf:
                    BufLines(writer, x, i);
                    break;
                case Op.Var when _merges.Host[i] >= 0:
                    writer.Line($"{_names[i]} = {Expr(x.A).Text};");
                    break;
                case Op.Var:
                    writer.Line($"{_real} {_names[i]} = {Expr(x.A).Text};");
                    break;
                case Op.VarAdd:
                    writer.Line($"{_names[x.A]} += {Expr(x.B).Text};");
                    break;
                case Op.BufStore:
                    writer.Line($"{Element(BufName(x.B), _function.Body[x.B].Slot, Ix(x.Ix))} {(x.Value == 1 ? "+=" : "=")} {Expr(x.A).Text};");
                    break;
                case Op.Store:
                    writer.Line(StoreLine(x));
                    break;
                default:
                    string declared = _merges.Into[i] ? "" : (x.IsCondition ? "bool " : _real + " ");
                    writer.Line($"{declared}{_names[i]} = {Expr(i, definition: true).Text};");
                    break;
            }
        }
    }

    /// <summary>The stores of the sums kept in memory across calls (<see cref="RegisterEligibility"/>) before line <paramref name="i"/>, and their copies back.</summary>
    private void KeepAcrossCalls(IndentedWriter writer, int i)
    {
        if (_restores.TryGetValue(i, out List<KeptAcrossCall>? restores))
        {
            foreach (KeptAcrossCall k in restores)
            {
                writer.Line($"{_names[k.Var]} = {_kept[k.Var]}[0];");
                _inMemory.Remove(k.Var);
            }
        }

        if (_stores.TryGetValue(i, out List<KeptAcrossCall>? stores))
        {
            foreach (KeptAcrossCall k in stores)
            {
                writer.Line($"{_kept[k.Var]}[0] = {_names[k.Var]};");
                _inMemory.Add(k.Var);
            }
        }
    }

    /// <summary>What the method passes for a parameter of a vectorized loop's helper.</summary>
    private string Argument(LoopParameter q) => q.Kind switch
    {
        LoopParameterKind.Int => q.Name!,
        LoopParameterKind.Span or LoopParameterKind.Time => SlotName(q.Slot),
        LoopParameterKind.Buffer => BufName(q.Id),
        LoopParameterKind.Sum => "ref " + _names[q.Id],
        LoopParameterKind.Variable => _names[q.Id]!,
        _ => Expr(q.Id).Text,
    };

    /// <summary>Conditions print fully parenthesized (as atoms): their precedence never mixes with arithmetic.</summary>
    protected override string Condition(int id, Instr x) =>
        x.Op == Op.Compare && x.A >= 0 ? $"({Expr(x.A).Text} {Symbol((CompareKind)(int)x.Value)} {Expr(x.B).Text})" : BoolCondition(x);

    /// <summary>Instructions printed as lines of their own whether or not they have a name.</summary>
    internal static bool IsStatement(Instr x) => x.Op is Op.Store or Op.For or Op.If or Op.Var or Op.VarAdd or Op.VarSet or Op.Buf or Op.BufStore or Op.ExternVjp;

    /// <summary>
    /// The header of the loop <paramref name="x"/>, its bounds printed in the span names of <paramref name="naming"/>.
    /// A descending loop down to 0 (the reverse sweep's) tests <c>(uint)i &lt; hi</c>, which is <c>i &gt;= 0</c> there
    /// (i starts below hi and only decreases): from that one test the JIT knows 0 ≤ i &lt; hi in the body, as it does
    /// for an ascending loop, and drops the range checks of <c>p[200 + i]</c> that <c>i &gt;= 0</c> alone leaves
    /// (.NET 10 bounds a decreasing index only from below). Not where hi may be negative (x.Length / 10 - 2).
    /// </summary>
    internal static string ForLine(Instr x, SpanNaming naming)
    {
        string v = x.Name!, lo = x.Ix!.Print(naming), hi = x.Ix2!.Print(naming);
        if (x.Value == 0)
        {
            return $"for (int {v} = {lo}; {v} < {hi}; {v}++)";
        }

        string start = $"{(hi.IndexOf(' ') >= 0 ? $"({hi})" : hi)} - 1";
        // Only where hi cannot be negative (a literal, a span's length): for hi < 0, i would start below hi and pass the test.
        if (x.Ix.ConstantValue == 0 && (x.Ix2.ConstantValue > 0 || x.Ix2 is IndexExpr.Length))
        {
            string bound = x.Ix2.ConstantValue is int n ? Literals.Int(n) + "u" : $"(uint){(hi.IndexOf(' ') >= 0 ? $"({hi})" : hi)}";
            return $"for (int {v} = {start}; (uint){v} < {bound}; {v}--)";
        }

        return $"for (int {v} = {start}; {v} >= {lo}; {v}--)";
    }

    private void BufLines(IndentedWriter writer, Instr x, int id)
    {
        switch (x.Slot)
        {
            case Slot.Dydt when _registers:
                writer.Line($"{SlotName(x.Slot)} = default;");
                return;
            case Slot.Dydt:
            case Slot.DydtDot:
                // Elements the loops never write are 0, as for straight-line dynamics.
                writer.Line($"{SlotName(x.Slot)}.Clear();");
                return;
            case Slot.A:
                if (!_allocated.Contains(id))
                {
                    writer.Line($"global::System.Span<{_real}> {_names[id]} = stackalloc {_real}[{Ix(x.Ix)}];");
                }

                writer.Line($"{SlotName(Slot.A)}.CopyTo({_names[id]});");
                return;
            case Slot.None when _allocated.Contains(id):
                return;
            default:
                writer.Line($"global::System.Span<{_real}> {_names[id]} = stackalloc {_real}[{Ix(x.Ix)}];");
                if (x.Value == 1)
                {
                    // stackalloc is zeroed only without [SkipLocalsInit]; adjoints must start at 0.
                    writer.Line($"{_names[id]}.Clear();");
                }

                return;
        }
    }

    private string BufName(int buffer)
    {
        Instr b = _function.Body[buffer];
        return b.Slot is Slot.Dydt or Slot.DydtDot ? SlotName(b.Slot) : _names[buffer]!;
    }

    private string StoreLine(Instr x)
    {
        string value = Expr(x.A).Text;
        return x.Slot switch
        {
            Slot.Return => $"return {value};",
            _ when SlotFacts.Accumulates(x.Slot) => $"{Element(SlotName(x.Slot), x.Slot, Index(x))} += {value};",
            _ => $"{Element(SlotName(x.Slot), x.Slot, Index(x))} = {value};",
        };
    }

    /// <summary>Element <paramref name="index"/> (printed) of <paramref name="span"/> (slot <paramref name="slot"/>): a field in register form.</summary>
    private string Element(string span, Slot slot, string index) =>
        _registers && slot is Slot.Y or Slot.Dydt ? $"{span}.S{index}" : $"{span}[{index}]";

    private string Index(Instr x) => x.Element.Print(_function.Naming);

    /// <inheritdoc/>
    protected override string Literal(double value) => _function.Single ? Literals.Single(value) : Literals.Double(value);

    /// <inheritdoc/>
    protected override (string Text, int Prec) Input(int id, Instr x) =>
        x.Slot == Slot.Index ? ($"({_real})({Ix(x.Ix)})", PrecUnary)
            : x.Slot == Slot.Field ? (x.Callee!, PrecAtom)
            : (SlotFacts.IsScalar(x.Slot) ? SlotName(x.Slot) : Element(SlotName(x.Slot), x.Slot, Index(x)), PrecAtom);

    /// <inheritdoc/>
    protected override string VarGet(Instr x) => _inMemory.Contains(x.A) ? _kept[x.A] + "[0]" : _names[x.A]!;

    /// <inheritdoc/>
    protected override string BufLoad(int id, Instr x) => Element(BufName(x.A), _function.Body[x.A].Slot, Ix(x.Ix));

    /// <inheritdoc/>
    protected override string ExternCall(Instr x) =>
        $"{x.Callee}({string.Join(", ", System.Linq.Enumerable.Select(System.Linq.Enumerable.Take(x.Args, x.CallArity), a => Expr(a).Text))})";

    /// <inheritdoc/>
    protected override string Call(Instr x)
    {
        if (x.Fn == Fn.LessOrEqualIndicator)
        {
            return _function.Single ? $"({Expr(x.A).Text} <= {Expr(x.B).Text} ? 1.0f : 0.0f)" : $"({Expr(x.A).Text} <= {Expr(x.B).Text} ? 1.0 : 0.0)";
        }

        var args = new List<string>();
        for (int k = 0; k < x.Arity; k++)
        {
            args.Add(Expr(x.Operand(k)).Text);
        }

        // The user's cast, as written: the same conversion, to the bit.
        if (x.Fn == Fn.Truncate)
        {
            return $"({_real})(int)({args[0]})";
        }

        // MathF has no Clamp; Math.Clamp's float overload rounds nothing, so it is the float function.
        string type = _function.Single && x.Fn != Fn.Clamp ? "MathF" : "Math";
        string call = $"global::System.{type}.{x.Fn}({string.Join(", ", args)})";

        // Sign returns an int; the cast makes the whole call one value of the method's type.
        return x.Fn == Fn.Sign ? $"({_real}){call}" : call;
    }
}
