using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>Calls of the user's functions and rules, which have no lane form: one call per lane on the lane's scalars.</summary>
internal sealed partial class LaneFunctionEmitter
{
    /// <summary>
    /// A call of the user's function or forward rule: once per lane on the lane's scalars, gathered in the
    /// scratch row; lanes outside the current mask skip the call (their value is never used).
    /// </summary>
    private void ExternCall(IndentedWriter writer, Instr x, int id)
    {
        _scratchUsed = true;
        string call = $"{x.Callee}({string.Join(", ", x.Args.Take(x.CallArity).Select(ScalarArgument))})";
        writer.Open($"for (int {_lane} = 0; {_lane} < TLane.Count; {_lane}++)");
        writer.Line(_mask is null ? $"{_scratch}[{_lane}] = {call};" : $"{_scratch}[{_lane}] = {LaneActive()} ? {call} : {_number.Literal(0)};");
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
        writer.Line(_number.Real + " " + string.Join(", ", Enumerable.Range(0, n).Select(k => $"{_bars[k]} = TLane.GetLane({_names[x.Args[n + 1 + k]]}, {_lane})")) + ";");
        string call = $"{x.Callee}({string.Join(", ", args)});";
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

    /// <summary>The offset of scratch row <paramref name="k"/>, as a prefix of a lane index.</summary>
    private static string Row(int k) => k == 0 ? string.Empty : k == 1 ? "TLane.Count + " : $"{Literals.Int(k)} * TLane.Count + ";

    /// <summary>True in the lanes of the current mask (a mask lane is all ones or all zeros).</summary>
    private string LaneActive() => $"{_number.ToBits}(TLane.GetLane({_mask}, {_lane})) != 0";

    /// <summary>An argument of a user function in one lane: a literal, the shared t, an index, or the lane of a local.</summary>
    private string ScalarArgument(int id)
    {
        Instr x = _function.Body[id];
        if (_names[id] is null)
        {
            switch (x.Op)
            {
                case Op.Const:
                    return _number.Literal(x.Value);
                case Op.Input when x.Slot is Slot.T or Slot.TDot:
                    return SlotName(x.Slot);
                case Op.Input when x.Slot == Slot.S:
                    break;
                case Op.Input when x.Slot == Slot.Index:
                    return $"({_number.Real})({Ix(x.Ix)})";
                case Op.Input when x.Slot == Slot.Field:
                    return x.Callee!;
            }
        }

        return $"TLane.GetLane({Expr(id).Text}, {_lane})";
    }
}
