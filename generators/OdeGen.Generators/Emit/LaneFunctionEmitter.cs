using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints one IR function as the body of a lane method, generic over <c>TLane : ILane&lt;TLane&gt;</c>: the
/// scalar emitter's text with every double a <c>TLane</c>. Literals and t are broadcast (repeated ones once, at
/// the top); Math functions become <c>TLane</c>'s; loops keep their shape. A branch on lane values runs both
/// sides in every lane and blends each write by a mask (<c>TLane.Select</c>), so every lane ends with the
/// values of the side it takes; branches on loop indices stay branches. Calls of the user's own functions
/// and rules run lane by lane on the scalars.
/// </summary>
internal sealed class LaneFunctionEmitter
{
    private const int PrecAdd = 1, PrecMul = 2, PrecUnary = 3, PrecAtom = 4;

    private readonly IrFunction _function;
    private readonly string?[] _names;

    /// <summary>Conditions whose value differs between lanes (masks); the others are bools of loop indices and sizes.</summary>
    private readonly bool[] _laneCondition;

    /// <summary>Broadcast literals declared once at the top, by their bits.</summary>
    private readonly Dictionary<long, string> _hoisted = new();
    private readonly HashSet<long> _hoistedUsed = new();
    private readonly Dictionary<long, double> _hoistedValues = new();

    private readonly HashSet<string> _taken;
    private readonly string _lane, _scratch, _allLanes, _tLane, _tDotLane;
    private readonly string[] _bars;
    private readonly int _scratchRows;
    private bool _tUsed, _tDotUsed, _allLanesUsed, _scratchUsed;
    private int _masks;

    /// <summary>The mask of the innermost branch on lane values (null outside them: every lane).</summary>
    private string? _mask;

    private LaneFunctionEmitter(IrFunction function, IEnumerable<string> parameters)
    {
        _function = function;
        int count = function.Body.Count;
        _laneCondition = new bool[count];
        for (int i = 0; i < count; i++)
        {
            Instr x = function.Body[i];
            _laneCondition[i] = x.Op switch
            {
                Op.Compare => x.A >= 0,
                Op.And or Op.Or => _laneCondition[x.A] || _laneCondition[x.B],
                Op.Not => _laneCondition[x.A],
                _ => false,
            };
        }

        bool[] force = ForcedLocals(function);
        var parameterList = parameters.Append("TLane").ToList();
        _names = LocalNames.Assign(function, parameterList, i => force[i]);

        // Helper names come last, unique against everything the body declares (loop variables keep the user's names).
        _taken = new HashSet<string>(parameterList.Concat(_names.OfType<string>()).Concat(function.Body.Where(x => x.Op == Op.For).Select(x => x.Name!)));
        _lane = LocalNames.Unique(_taken, "lane");
        _scratch = LocalNames.Unique(_taken, "scalars");
        _allLanes = LocalNames.Unique(_taken, "allLanes");
        _tLane = LocalNames.Unique(_taken, "tLane");
        _tDotLane = LocalNames.Unique(_taken, "tDotLane");
        _scratchRows = System.Math.Max(1, function.Body.Where(x => x.Op == Op.ExternVjp).Select(x => x.Index).DefaultIfEmpty(1).Max());
        _bars = Enumerable.Range(0, _scratchRows).Select(k => LocalNames.Unique(_taken, "bar" + Literals.Int(k))).ToArray();
        HoistConstants(function);
    }

    /// <summary>
    /// Writes the lane form of <paramref name="function"/> to <paramref name="writer"/>; locals never shadow
    /// <paramref name="parameters"/>.
    /// </summary>
    public static void EmitBody(IndentedWriter writer, IrFunction function, IEnumerable<string> parameters) =>
        new LaneFunctionEmitter(function, parameters).Emit(writer);

    /// <summary>
    /// Values that must be locals in lane code although the scalar code prints them inline: a lane branch's
    /// condition (its mask is read by every blended write), calls of user functions (a loop over the lanes
    /// computes them) and their arguments (read once per lane), the operands that Sign and Clamp read twice.
    /// </summary>
    private bool[] ForcedLocals(IrFunction function)
    {
        var force = new bool[function.Body.Count];
        foreach (Instr x in function.Body)
        {
            if (x.Op == Op.If && _laneCondition[x.A])
            {
                force[x.A] = true;
            }
            else if (x.IsExtern)
            {
                foreach (int arg in x.Args)
                {
                    force[arg] |= function.Body[arg].Op is not (Op.Const or Op.Input);
                }
            }
            else if (x.Op == Op.Call && x.Fn is Fn.Sign or Fn.Clamp)
            {
                for (int k = 0; k < x.Arity; k++)
                {
                    force[x.Operand(k)] |= function.Body[x.Operand(k)].Op is not (Op.Const or Op.Input);
                }
            }
        }

        for (int i = 0; i < function.Body.Count; i++)
        {
            force[i] |= function.Body[i].Op is Op.Extern or Op.ExternJvp;
        }

        return force;
    }

    /// <summary>
    /// Literals used more than once or inside a loop become locals broadcast once at the top (0 is TLane.Zero);
    /// the lane forms of Sign, CopySign and the Min/Max slopes read 1, -1 and the sign bit.
    /// </summary>
    private void HoistConstants(IrFunction function)
    {
        var uses = new Dictionary<long, int>();
        void Use(double value, int times)
        {
            long bits = System.BitConverter.DoubleToInt64Bits(value);
            if (bits != 0)
            {
                uses[bits] = (uses.TryGetValue(bits, out int n) ? n : 0) + times;
                _hoistedValues[bits] = value;
            }
        }

        int loops = 0;
        foreach (Instr x in function.Body)
        {
            loops += x.Op == Op.For ? 1 : x.Op == Op.EndFor ? -1 : 0;
            if (x.IsExtern)
            {
                continue;   // extern arguments are printed as scalar literals
            }

            for (int k = 0; k < x.Arity; k++)
            {
                Instr operand = function.Body[x.Operand(k)];
                if (operand.Op == Op.Const)
                {
                    Use(operand.Value, loops > 0 ? 2 : 1);
                }
            }

            if (x.Op == Op.Call)
            {
                switch (x.Fn)
                {
                    case Fn.Sign:
                        Use(1, 2);
                        Use(-1, 2);
                        break;
                    case Fn.CopySign:
                        Use(-0.0, 2);
                        break;
                    case Fn.LessOrEqualIndicator:
                        Use(1, 2);
                        break;
                }
            }
        }

        foreach (KeyValuePair<long, int> use in uses.OrderBy(u => _hoistedValues[u.Key]))
        {
            if (use.Value >= 2)
            {
                _hoisted[use.Key] = LocalNames.Unique(_taken, ConstantName(_hoistedValues[use.Key]));
            }
        }
    }

    /// <summary>A readable local name for a literal: c0_5 for 0.5, cm1 for -1, c1em10 for 1E-10, signBit for -0.</summary>
    private static string ConstantName(double value)
    {
        if (value == 0)
        {
            return "signBit";
        }

        string text = Literals.Double(value).Replace("double.", string.Empty);
        if (text.EndsWith(".0", System.StringComparison.Ordinal))
        {
            text = text.Substring(0, text.Length - 2);
        }

        var sb = new System.Text.StringBuilder("c");
        foreach (char ch in text)
        {
            sb.Append(ch switch { '-' => "m", '.' => "_", 'E' or 'e' => "e", '+' => string.Empty, _ => ch.ToString() });
        }

        return sb.ToString();
    }

    private void Emit(IndentedWriter writer)
    {
        // The body first, so the prologue declares only the broadcasts and scratch it uses.
        var body = new IndentedWriter(writer.Depth);
        EmitStatements(body);

        var prologue = new List<string>();
        if (_tUsed)
        {
            prologue.Add($"TLane {_tLane} = TLane.Create(t);");
        }

        if (_tDotUsed)
        {
            prologue.Add($"TLane {_tDotLane} = TLane.Create(tDot);");
        }

        foreach (KeyValuePair<long, string> c in _hoisted.Where(c => _hoistedUsed.Contains(c.Key)).OrderBy(c => _hoistedValues[c.Key]))
        {
            prologue.Add($"TLane {c.Value} = TLane.Create({Literals.Double(_hoistedValues[c.Key])});");
        }

        if (_allLanesUsed)
        {
            prologue.Add($"TLane {_allLanes} = TLane.Equal(TLane.Zero, TLane.Zero);");
        }

        if (_scratchUsed)
        {
            prologue.Add($"global::System.Span<double> {_scratch} = stackalloc double[{(_scratchRows == 1 ? string.Empty : Literals.Int(_scratchRows) + " * ")}TLane.Count];");
        }

        if (prologue.Count > 0)
        {
            writer.Line("// shared by the lanes: " + string.Join(", ", Describe()));
            foreach (string line in prologue)
            {
                writer.Line(line);
            }

            writer.Line();
        }

        writer.Append(body);
    }

    private IEnumerable<string> Describe()
    {
        if (_tUsed || _tDotUsed || _hoistedUsed.Count > 0)
        {
            yield return "broadcast " + (_tUsed || _tDotUsed ? "time and literals" : "literals");
        }

        if (_allLanesUsed)
        {
            yield return "the all-lanes mask";
        }

        if (_scratchUsed)
        {
            yield return "scratch for the lane-by-lane calls of user functions";
        }
    }

    private void EmitStatements(IndentedWriter writer)
    {
        var headers = new HeaderComments(_function);
        var regions = new Stack<Region>();
        for (int i = 0; i < _function.Body.Count; i++)
        {
            Instr x = _function.Body[i];
            switch (x.Op)
            {
                case Op.EndFor:
                    writer.Close();
                    headers.BlockClosed();
                    regions.Pop();
                    continue;
                case Op.EndIf:
                    writer.Close();
                    headers.BlockClosed();
                    _mask = regions.Pop().Outer;
                    continue;
                case Op.Else when _function.Body[i + 1].Op == Op.EndIf:
                    continue;   // nothing is left on the else side
                case Op.Else:
                    Else(writer, regions.Peek());
                    headers.BlockOpened();
                    continue;
            }

            if (!FunctionEmitter.IsStatement(x) && _names[i] is null)
            {
                continue;   // printed inline where it is used
            }

            headers.Before(writer, x);
            switch (x.Op)
            {
                case Op.For:
                    writer.Open(FunctionEmitter.ForLine(x));
                    regions.Push(new Region(_mask, null));
                    headers.BlockOpened();
                    break;
                case Op.If:
                    regions.Push(If(writer, x));
                    headers.BlockOpened();
                    break;
                case Op.VarSet:
                    Assign(writer, _names[x.A]!, Expr(x.B).Text);
                    break;
                case Op.VarAdd:
                    Accumulate(writer, _names[x.A]!, Expr(x.B));
                    break;
                case Op.Var:
                    writer.Line($"TLane {_names[i]} = {Expr(x.A).Text};");
                    break;
                case Op.Buf:
                    BufLines(writer, x, i);
                    break;
                case Op.BufStore:
                    string element = $"{BufName(x.B)}[{x.Ix}]";
                    if (x.Value == 1)
                    {
                        Accumulate(writer, element, Expr(x.A));
                    }
                    else
                    {
                        Assign(writer, element, Expr(x.A).Text);
                    }

                    break;
                case Op.Store:
                    Store(writer, x);
                    break;
                case Op.Extern or Op.ExternJvp:
                    ExternCall(writer, x, i);
                    break;
                case Op.ExternVjp:
                    ExternRule(writer, x);
                    break;
                default:
                    string type = x.IsCondition && !_laneCondition[i] ? "bool" : "TLane";
                    writer.Line($"{type} {_names[i]} = {Expr(i, definition: true).Text};");
                    break;
            }
        }
    }

    /// <summary>
    /// Opens a branch: on loop indices an ordinary if; on lane values a block for the then side under the
    /// mask of its lanes (the condition, within the enclosing mask).
    /// </summary>
    private Region If(IndentedWriter writer, Instr x)
    {
        if (!_laneCondition[x.A])
        {
            writer.Open($"if ({UnwrappedCondition(x.A)})");
            return new Region(_mask, null);
        }

        string condition = _names[x.A]!;
        var region = new Region(_mask, condition, ++_masks);
        if (_mask is not null)
        {
            string mask = NewMask("mask", region.Number);
            writer.Line($"TLane {mask} = TLane.And({_mask}, {condition});");
            _mask = mask;
        }
        else
        {
            _mask = condition;
        }

        writer.Line($"// both sides run in every lane; each write keeps the lanes of its side (here: {_mask})");
        writer.Open();
        return region;
    }

    /// <summary>The else side: an ordinary else, or a block under the mask of the other lanes.</summary>
    private void Else(IndentedWriter writer, Region region)
    {
        if (region.Condition is null)
        {
            writer.Close().Open("else");
            return;
        }

        writer.Close();
        string mask = NewMask("elseMask", region.Number);
        writer.Line($"TLane {mask} = TLane.AndNot({region.Outer ?? AllLanes()}, {region.Condition});");
        writer.Line($"// the other lanes: {mask}");
        writer.Open();
        _mask = mask;
    }

    private string NewMask(string prefix, int number) => LocalNames.Unique(_taken, prefix + Literals.Int(number));

    private string AllLanes()
    {
        _allLanesUsed = true;
        return _allLanes;
    }

    /// <summary>target = value, in the lanes of the current mask only.</summary>
    private void Assign(IndentedWriter writer, string target, string value) =>
        writer.Line(_mask is null ? $"{target} = {value};" : $"{target} = TLane.Select({_mask}, {value}, {target});");

    /// <summary>target += value, in the lanes of the current mask only.</summary>
    private void Accumulate(IndentedWriter writer, string target, (string Text, int Prec) value)
    {
        if (_mask is null)
        {
            writer.Line($"{target} += {value.Text};");
            return;
        }

        string right = value.Prec <= PrecAdd ? $"({value.Text})" : value.Text;
        writer.Line($"{target} = TLane.Select({_mask}, {target} + {right}, {target});");
    }

    private void Store(IndentedWriter writer, Instr x)
    {
        if (x.Slot == Slot.Return)
        {
            if (_mask is not null)
            {
                throw new System.InvalidOperationException("a return inside a branch on lane values");
            }

            writer.Line($"return {Expr(x.A).Text};");
            return;
        }

        string target = $"{FunctionEmitter.SlotName(x.Slot)}[{x.Ix ?? Literals.Int(x.Index)}]";
        switch (x.Slot)
        {
            case Slot.YBar or Slot.PBar:
                Accumulate(writer, target, Expr(x.A));
                return;
            default:
                Assign(writer, target, Expr(x.A).Text);
                return;
        }
    }

    private void BufLines(IndentedWriter writer, Instr x, int id)
    {
        switch (x.Slot)
        {
            case Slot.Dydt:
            case Slot.DydtDot:
                if (_mask is not null)
                {
                    throw new System.InvalidOperationException("an output cleared inside a branch on lane values");
                }

                writer.Line($"{FunctionEmitter.SlotName(x.Slot)}.Clear();");
                return;
            case Slot.A:
                writer.Line($"global::System.Span<TLane> {_names[id]} = stackalloc TLane[{x.Ix}];");
                writer.Line($"a.CopyTo({_names[id]});");
                return;
            default:
                writer.Line($"global::System.Span<TLane> {_names[id]} = stackalloc TLane[{x.Ix}];");
                if (x.Value == 1)
                {
                    writer.Line($"{_names[id]}.Clear();");
                }

                return;
        }
    }

    private string BufName(int buffer)
    {
        Instr b = _function.Body[buffer];
        return b.Slot is Slot.Dydt or Slot.DydtDot ? FunctionEmitter.SlotName(b.Slot) : _names[buffer]!;
    }

    /// <summary>
    /// A call of the user's function or forward rule: once per lane on the lane's scalars, gathered in the
    /// scratch row; lanes outside the current mask skip the call (their value is never used).
    /// </summary>
    private void ExternCall(IndentedWriter writer, Instr x, int id)
    {
        _scratchUsed = true;
        string call = $"{x.Ix}({string.Join(", ", x.Args.Select(ScalarArgument))})";
        writer.Open($"for (int {_lane} = 0; {_lane} < TLane.Count; {_lane}++)");
        writer.Line(_mask is null ? $"{_scratch}[{_lane}] = {call};" : $"{_scratch}[{_lane}] = {LaneActive()} ? {call} : 0.0;");
        writer.Close();
        writer.Line($"TLane {_names[id]} = TLane.Load({_scratch});");
    }

    /// <summary>
    /// A call of the user's reverse rule, lane by lane: each lane's adjoints start from the accumulators'
    /// lanes, the rule adds into them by ref, and the scratch rows carry them back.
    /// </summary>
    private void ExternRule(IndentedWriter writer, Instr x)
    {
        _scratchUsed = true;
        int n = x.Index;
        var args = new List<string>();
        for (int k = 0; k <= n; k++)
        {
            args.Add(ScalarArgument(x.Args[k]));
        }

        args.AddRange(_bars.Take(n).Select(b => "ref " + b));
        writer.Open($"for (int {_lane} = 0; {_lane} < TLane.Count; {_lane}++)");
        writer.Line("double " + string.Join(", ", Enumerable.Range(0, n).Select(k => $"{_bars[k]} = TLane.GetLane({_names[x.Args[n + 1 + k]]}, {_lane})")) + ";");
        string call = $"{x.Ix}({string.Join(", ", args)});";
        if (_mask is null)
        {
            writer.Line(call);
        }
        else
        {
            writer.Open($"if ({LaneActive()})").Line(call).Close();
        }

        for (int k = 0; k < n; k++)
        {
            writer.Line($"{_scratch}[{Row(k)}{_lane}] = {_bars[k]};");
        }

        writer.Close();
        for (int k = 0; k < n; k++)
        {
            string row = k == 0 ? _scratch : $"{_scratch}.Slice({Row(k).TrimEnd(' ', '+')})";
            writer.Line($"{_names[x.Args[n + 1 + k]]} = TLane.Load({row});");
        }
    }

    private static string Row(int k) => k == 0 ? string.Empty : k == 1 ? "TLane.Count + " : $"{Literals.Int(k)} * TLane.Count + ";

    /// <summary>True in the lanes of the current mask (a mask lane is all ones or all zeros).</summary>
    private string LaneActive() => $"global::System.BitConverter.DoubleToInt64Bits(TLane.GetLane({_mask}, {_lane})) != 0";

    /// <summary>An argument of a user function in one lane: a literal, the shared t, an index, or the lane of a local.</summary>
    private string ScalarArgument(int id)
    {
        Instr x = _function.Body[id];
        if (_names[id] is null)
        {
            switch (x.Op)
            {
                case Op.Const:
                    return Literals.Double(x.Value);
                case Op.Input when x.Slot is Slot.T or Slot.TDot:
                    return FunctionEmitter.SlotName(x.Slot);
                case Op.Input when x.Slot == Slot.Index:
                    return $"(double)({x.Ix})";
            }
        }

        return $"TLane.GetLane({Expr(id).Text}, {_lane})";
    }

    /// <summary>An index condition without the parentheses that make it an atom elsewhere.</summary>
    private string UnwrappedCondition(int id)
    {
        string text = Expr(id).Text;
        return _names[id] is null && text.StartsWith("(", System.StringComparison.Ordinal) && _function.Body[id].Op != Op.Not ? text.Substring(1, text.Length - 2) : text;
    }

    /// <summary>
    /// The text of a condition: bools for loop indices as in scalar code, TLane masks for lane values; a
    /// bool meeting a mask becomes one (every lane or none).
    /// </summary>
    private string ConditionExpr(int id)
    {
        Instr x = _function.Body[id];
        if (!_laneCondition[id])
        {
            switch (x.Op)
            {
                case Op.Compare:
                    return $"({x.Ix} {Symbol((CompareKind)(int)x.Value)} {x.Ix2})";
                case Op.And:
                    return $"({Expr(x.A).Text} && {Expr(x.B).Text})";
                case Op.Or:
                    return $"({Expr(x.A).Text} || {Expr(x.B).Text})";
                default:
                    return "!" + Expr(x.A).Text;
            }
        }

        switch (x.Op)
        {
            case Op.Compare:
                string kind = ((CompareKind)(int)x.Value) switch
                {
                    CompareKind.Less => "LessThan",
                    CompareKind.LessOrEqual => "LessThanOrEqual",
                    CompareKind.Greater => "GreaterThan",
                    CompareKind.GreaterOrEqual => "GreaterThanOrEqual",
                    CompareKind.Equal => "Equal",
                    _ => "NotEqual",
                };
                return $"TLane.{kind}({Expr(x.A).Text}, {Expr(x.B).Text})";
            case Op.Not:
                return $"TLane.AndNot({AllLanes()}, {Expr(x.A).Text})";
            default:
                bool and = x.Op == Op.And;
                if (_laneCondition[x.A] && _laneCondition[x.B])
                {
                    return $"TLane.{(and ? "And" : "Or")}({Expr(x.A).Text}, {Expr(x.B).Text})";
                }

                // One side is an index condition: it selects the mask or none (&&), all lanes or the mask (||).
                (int flag, int mask) = _laneCondition[x.A] ? (x.B, x.A) : (x.A, x.B);
                return and
                    ? $"({Expr(flag).Text} ? {Expr(mask).Text} : TLane.Zero)"
                    : $"({Expr(flag).Text} ? {AllLanes()} : {Expr(mask).Text})";
        }
    }

    private static string Symbol(CompareKind kind) => kind switch
    {
        CompareKind.Less => "<",
        CompareKind.LessOrEqual => "<=",
        CompareKind.Greater => ">",
        CompareKind.GreaterOrEqual => ">=",
        CompareKind.Equal => "==",
        _ => "!=",
    };

    /// <summary>A broadcast literal: TLane.Zero, a hoisted local, or TLane.Create(…) where it is used once.</summary>
    private string Constant(double value)
    {
        long bits = System.BitConverter.DoubleToInt64Bits(value);
        if (bits == 0)
        {
            return "TLane.Zero";
        }

        if (_hoisted.TryGetValue(bits, out string? name))
        {
            _hoistedUsed.Add(bits);
            return name;
        }

        return $"TLane.Create({Literals.Double(value)})";
    }

    /// <summary>
    /// The C# text of value <paramref name="id"/> and its precedence: its local's name, unless
    /// <paramref name="definition"/> asks for the right-hand side that defines that local.
    /// </summary>
    private (string Text, int Prec) Expr(int id, bool definition = false)
    {
        if (!definition && _names[id] is { } name)
        {
            return (name, PrecAtom);
        }

        Instr x = _function.Body[id];
        switch (x.Op)
        {
            case Op.Const:
                return (Constant(x.Value), PrecAtom);
            case Op.Input:
                switch (x.Slot)
                {
                    case Slot.T:
                        _tUsed = true;
                        return (_tLane, PrecAtom);
                    case Slot.TDot:
                        _tDotUsed = true;
                        return (_tDotLane, PrecAtom);
                    case Slot.Index:
                        return ($"TLane.Create((double)({x.Ix}))", PrecAtom);
                    default:
                        return ($"{FunctionEmitter.SlotName(x.Slot)}[{x.Ix ?? Literals.Int(x.Index)}]", PrecAtom);
                }

            case Op.VarGet:
                return (_names[x.A]!, PrecAtom);
            case Op.BufLoad:
                return ($"{BufName(x.A)}[{x.Ix}]", PrecAtom);
            case Op.Neg:
                var operand = Expr(x.A);
                return ("-" + (operand.Prec < PrecAtom ? $"({operand.Text})" : operand.Text), PrecUnary);
            case Op.Call:
                return (Call(x), PrecAtom);
            case Op.Compare or Op.And or Op.Or or Op.Not:
                return (ConditionExpr(id), PrecAtom);
            case Op.Extern or Op.ExternJvp:
                throw new System.InvalidOperationException("a call of a user function is printed by its statement");
            default:
                return Binary(x);
        }
    }

    private (string Text, int Prec) Binary(Instr x)
    {
        (string symbol, int prec) = x.Op switch
        {
            Op.Add => ("+", PrecAdd),
            Op.Sub => ("-", PrecAdd),
            Op.Mul => ("*", PrecMul),
            _ => ("/", PrecMul),
        };
        var left = Expr(x.A);
        var right = Expr(x.B);

        // Floating-point operations do not associate: keep the IR's grouping exactly.
        string l = left.Prec < prec ? $"({left.Text})" : left.Text;
        string r = right.Prec <= prec ? $"({right.Text})" : right.Text;
        return ($"{l} {symbol} {r}", prec);
    }

    /// <summary>
    /// A known function on lanes. Most are TLane's own; the rest are built from masks exactly as System.Math
    /// defines them: Clamp by its two tests, Sign by comparisons with 0, CopySign by the sign bit, and the
    /// Min/Max slope a &lt;= b ? 1 : 0 by a select.
    /// </summary>
    private string Call(Instr x)
    {
        var args = new List<string>();
        for (int k = 0; k < x.Arity; k++)
        {
            args.Add(Expr(x.Operand(k)).Text);
        }

        switch (x.Fn)
        {
            case Fn.Clamp:
                return $"TLane.Select(TLane.LessThan({args[0]}, {args[1]}), {args[1]}, TLane.Select(TLane.GreaterThan({args[0]}, {args[2]}), {args[2]}, {args[0]}))";
            case Fn.Sign:
                return $"TLane.Select(TLane.GreaterThan({args[0]}, TLane.Zero), {Constant(1)}, TLane.Select(TLane.LessThan({args[0]}, TLane.Zero), {Constant(-1)}, TLane.Zero))";
            case Fn.CopySign:
                string signBit = Constant(-0.0);
                Instr magnitude = _function.Body[x.A];
                string abs = magnitude.Op == Op.Const && magnitude.Value >= 0 && !double.IsNaN(magnitude.Value) && System.BitConverter.DoubleToInt64Bits(magnitude.Value) >= 0
                    ? args[0]
                    : $"TLane.AndNot({args[0]}, {signBit})";
                return $"TLane.Or({abs}, TLane.And({args[1]}, {signBit}))";
            case Fn.LessOrEqualIndicator:
                return $"TLane.Select(TLane.LessThanOrEqual({args[0]}, {args[1]}), {Constant(1)}, TLane.Zero)";
            default:
                return $"TLane.{x.Fn}({string.Join(", ", args)})";
        }
    }

    /// <summary>An open loop or branch: the mask around it, and for a lane branch its condition's mask and its number (for mask names).</summary>
    private sealed record Region(string? Outer, string? Condition, int Number = 0);
}
