using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints one IR function as the body of a lane method, generic over <c>TLane : ILane&lt;TLane&gt;</c> (double
/// systems) or <c>ILaneSingle&lt;TLane&gt;</c> (float ones, <see cref="LaneNumber"/>): the scalar emitter's text with
/// every double or float a <c>TLane</c>. Literals and t are broadcast (repeated ones once, at
/// the top); Math functions become <c>TLane</c>'s; loops keep their shape. A branch on lane values runs both
/// sides in every lane and blends each write by a mask (<c>TLane.Select</c>), so every lane ends with the
/// values of the side it takes; branches on loop indices stay branches. Calls of the user's own functions
/// and rules run lane by lane on the scalars. The same printer writes the body of a scalar method's loop
/// vectorized across its index (LaneFunctionEmitter.Loops.cs): there the spans are the method's doubles, read
/// and written TLane.Count elements at a time.
/// </summary>
internal sealed partial class LaneFunctionEmitter : ExpressionPrinter
{
    private readonly IrFunction _function;

    /// <summary>The scalar type of the values and how its literals and bits are written.</summary>
    private readonly LaneNumber _number;
    private readonly string?[] _names;

    /// <summary>The branch-merge variables that write an earlier local (<see cref="MergeCoalescing"/>).</summary>
    private readonly MergeCoalescing _merges;

    /// <summary>Conditions whose value differs between lanes (masks); the others are bools of loop indices and sizes (<see cref="LaneUniformity"/>).</summary>
    private readonly EquatableArray<bool> _laneCondition;

    /// <summary>Broadcast literals declared once at the top, by their bits.</summary>
    private readonly Dictionary<long, string> _hoisted = new();
    private readonly HashSet<long> _hoistedUsed = new();
    private readonly Dictionary<long, double> _hoistedValues = new();

    /// <summary>In a vectorized loop's helper, the broadcast of each static readonly field the loop reads, by its full name.</summary>
    private readonly Dictionary<string, string> _fieldLanes = new();

    private readonly HashSet<string> _taken;
    private readonly string _lane, _scratch, _allLanes, _tLane, _tDotLane;
    private readonly string[] _bars;
    private readonly int _scratchRows;
    private bool _tUsed, _tDotUsed, _allLanesUsed, _scratchUsed;
    private int _masks;

    /// <summary>The mask of the innermost branch on lane values (null outside them: every lane).</summary>
    private string? _mask;

    /// <summary>y and dydt are <c>LaneRegisters</c> values (fields S0, S1, …), not spans (see <see cref="EmitRegisterBody"/>).</summary>
    private readonly bool _registers;

    /// <summary>The vectorized loop whose body is printed (null: the whole function as a lane method).</summary>
    private readonly VectorLoop? _loop;

    /// <summary>The instructions printed: the whole body, or the loop's body.</summary>
    private readonly int _from, _to;

    private LaneFunctionEmitter(MethodPlan plan, IEnumerable<string> parameters, VectorLoop? loop = null, bool registers = false)
        : base(plan.Function)
    {
        IrFunction function = plan.Function;
        _function = function;
        _registers = registers;
        _number = LaneNumber.Of(function.Single);
        _loop = loop;
        (_from, _to) = loop is null ? (0, function.Body.Count) : (loop.Open + 1, loop.Close);
        _laneCondition = plan.LaneConditions;

        bool[] force = ForcedLocals(function);
        var parameterList = parameters.Append("TLane").ToList();
        _merges = plan.LaneMerges;
        Names = _names = LocalNames.Assign(function, parameterList, _merges, i => force[i]);
        LocalNames.CheckCount(_names, "lane method");

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
    /// Writes the lane form of <paramref name="plan"/>'s function to <paramref name="writer"/>; locals never shadow
    /// <paramref name="parameters"/>.
    /// </summary>
    public static void EmitBody(IndentedWriter writer, MethodPlan plan, IEnumerable<string> parameters) =>
        new LaneFunctionEmitter(plan, parameters).Emit(writer);

    /// <summary>
    /// Writes Evaluate's lane form with y and dydt in registers: <c>y[i]</c> reads field <c>y.S{i}</c> and
    /// <c>dydt[i]</c> is field <c>dydt.S{i}</c> of a local the caller declares; otherwise the text of
    /// <see cref="EmitBody"/>. Only for functions <see cref="RegisterEligibility.StraightLineOverStates"/>.
    /// </summary>
    public static void EmitRegisterBody(IndentedWriter writer, MethodPlan plan, IEnumerable<string> parameters) =>
        new LaneFunctionEmitter(plan, parameters, registers: true).Emit(writer);

    /// <summary>Element <paramref name="element"/> of <paramref name="span"/> (slot <paramref name="slot"/>): a field in register form.</summary>
    private string Element(Slot slot, string span, IndexExpr element) => Element(slot, span, Ix(element));

    /// <summary>Element <paramref name="index"/> (printed) of <paramref name="span"/> (slot <paramref name="slot"/>).</summary>
    private string Element(Slot slot, string span, string index) =>
        _registers && slot is Slot.Y or Slot.Dydt ? $"{span}.S{index}" : $"{span}[{index}]";

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
            else if (x.Op == Op.Call && x.Fn is Fn.Sign or Fn.Clamp or Fn.Truncate)
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

    /// <summary>Writes the prologue (the broadcasts, masks and scratch the body uses), then the body.</summary>
    private void Emit(IndentedWriter writer)
    {
        // The body first, so the prologue declares only the broadcasts and scratch it uses.
        var body = new IndentedWriter(writer.Depth);
        EmitStatements(body);

        List<string> prologue = Prologue();
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

    /// <summary>The declarations of the broadcasts, masks and scratch the printed statements used.</summary>
    private List<string> Prologue()
    {
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
            prologue.Add($"TLane {c.Value} = TLane.Create({_number.Literal(_hoistedValues[c.Key])});");
        }

        if (_allLanesUsed)
        {
            prologue.Add($"TLane {_allLanes} = TLane.Equal(TLane.Zero, TLane.Zero);");
        }

        if (_scratchUsed)
        {
            prologue.Add($"global::System.Span<{_number.Real}> {_scratch} = stackalloc {_number.Real}[{(_scratchRows == 1 ? string.Empty : Literals.Int(_scratchRows) + " * ")}TLane.Count];");
        }

        return prologue;
    }

    /// <summary>What the prologue declares, for its comment.</summary>
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

    /// <summary>The statements, in the scalar emitter's order and grouping; writes inside lane branches are blended by the current mask.</summary>
    private void EmitStatements(IndentedWriter writer)
    {
        var headers = new HeaderComments(_function);
        var regions = new Stack<Region>();
        for (int i = _from; i < _to; i++)
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

            if ((!FunctionEmitter.IsStatement(x) && _names[i] is null) || _merges.Silent[i])
            {
                continue;   // printed inline where it is used, or a copy or declaration the shared local makes needless
            }

            headers.Before(writer, x, x.Op == Op.VarSet && _names[x.B] is null ? _function.Body[x.B] : null);
            switch (x.Op)
            {
                case Op.For:
                    writer.Open(FunctionEmitter.ForLine(x, _function.Naming));
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
                case Op.Var when _merges.Host[i] >= 0:
                    Assign(writer, _names[i]!, Expr(x.A).Text);   // the shared local keeps the other lanes' values
                    break;
                case Op.Var:
                    writer.Line($"TLane {_names[i]} = {Expr(x.A).Text};");
                    break;
                case Op.Buf:
                    BufLines(writer, x, i);
                    break;
                case Op.BufStore when _loop is not null:
                    MemoryWrite(writer, BufName(x.B), x, i, accumulate: x.Value == 1);
                    break;
                case Op.Store when _loop is not null:
                    MemoryWrite(writer, SlotName(x.Slot), x, i, accumulate: true);
                    break;
                case Op.BufStore:
                    string element = Element(_function.Body[x.B].Slot, BufName(x.B), x.Ix!);
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

    /// <summary>A fresh name for the mask of a branch side.</summary>
    private string NewMask(string prefix, int number) => LocalNames.Unique(_taken, prefix + Literals.Int(number));

    /// <summary>The mask with every lane set (declared in the prologue when used).</summary>
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

    /// <summary>A store to an output span (blended under a mask; yBar and pBar accumulate), or the return of tBar.</summary>
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

        string target = Element(x.Slot, SlotName(x.Slot), x.Element);
        switch (x.Slot)
        {
            case Slot.YBar or Slot.PBar or Slot.YBarDot or Slot.PBarDot:
                Accumulate(writer, target, Expr(x.A));
                return;
            default:
                Assign(writer, target, Expr(x.A).Text);
                return;
        }
    }

    /// <summary>A buffer: the output spans cleared, or a stackalloc TLane span (zeroed, or seeded from a).</summary>
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

                writer.Line(_registers ? $"{SlotName(x.Slot)} = default;" : $"{SlotName(x.Slot)}.Clear();");
                return;
            case Slot.A:
                writer.Line($"global::System.Span<TLane> {_names[id]} = stackalloc TLane[{Ix(x.Ix)}];");
                writer.Line($"{SlotName(Slot.A)}.CopyTo({_names[id]});");
                return;
            default:
                writer.Line($"global::System.Span<TLane> {_names[id]} = stackalloc TLane[{Ix(x.Ix)}];");
                if (x.Value == 1)
                {
                    writer.Line($"{_names[id]}.Clear();");
                }

                return;
        }
    }

    /// <summary>The name a buffer is written and read by.</summary>
    private string BufName(int buffer)
    {
        Instr b = _function.Body[buffer];
        return b.Slot is Slot.Dydt or Slot.DydtDot ? SlotName(b.Slot) : _names[buffer]!;
    }

    /// <summary>An open loop or branch: the mask around it, and for a lane branch its condition's mask and its number (for mask names).</summary>
    private sealed record Region(string? Outer, string? Condition, int Number = 0);
}
