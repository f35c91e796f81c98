using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Analyses;

namespace OdeGen.Generators.Emit;

/// <summary>
/// The helper of a scalar method's loop vectorized across its index (<see cref="VectorLoopEmitter"/>): the
/// loop's body printed as lane code, where lane k is iteration i + k and the spans are the method's doubles,
/// loaded and stored TLane.Count elements at a time (contiguous, strided, or one element broadcast).
/// </summary>
internal sealed partial class LaneFunctionEmitter
{
    private const string Constraint = "    where TLane : unmanaged, global::OdeGen.Lanes.ILane<TLane>";

    /// <summary>
    /// Writes <c>private static int {name}&lt;TLane&gt;(…)</c>: the iterations of <paramref name="loop"/> from its first
    /// argument on, TLane.Count at a time while a whole register's worth remains; returns the first index left
    /// for the scalar loop. <paramref name="parameters"/> are the scalar method's, so no local shadows them.
    /// </summary>
    public static void EmitLoopHelper(IndentedWriter writer, MethodPlan plan, IEnumerable<string> parameters, VectorLoop loop, string name) =>
        new LaneFunctionEmitter(plan, parameters, loop).EmitHelper(writer, name);

    private void EmitHelper(IndentedWriter writer, string name)
    {
        VectorLoop loop = _loop!;
        var signature = new List<string> { "int " + loop.Variable };
        var broadcasts = new List<string>();
        var fields = new List<string>();
        var sums = new List<string>();
        foreach (LoopParameter q in loop.Parameters)
        {
            switch (q.Kind)
            {
                case LoopParameterKind.Int:
                    signature.Add("int " + q.Name);
                    break;
                case LoopParameterKind.Span:
                    string type = q.Slot is Slot.YBar or Slot.PBar ? "Span" : "ReadOnlySpan";
                    signature.Add($"global::System.{type}<double> {SlotName(q.Slot)}");
                    break;
                case LoopParameterKind.Buffer:
                    signature.Add("global::System.Span<double> " + BufName(q.Id));
                    break;
                case LoopParameterKind.Time:
                    signature.Add("double " + SlotName(q.Slot));
                    break;
                case LoopParameterKind.Field:
                    // Read by its name and broadcast first: where the JIT cannot take the field for a constant, as it takes a
                    // literal (a collectible or not yet initialized type), the read is a call, and a sum's lanes set before it
                    // were kept in memory for the whole loop. (Passed as a value instead, it made big helpers exceed the
                    // JIT's inlining budget.)
                    string fieldLanes = LocalNames.Unique(_taken, FieldLanesName(q.Name!));
                    fields.Add($"TLane {fieldLanes} = TLane.Create({q.Name});");
                    _fieldLanes[q.Name!] = fieldLanes;
                    break;
                case LoopParameterKind.Sum:
                    // Each lane sums its own iterations; the lanes are added to the variable after the loop.
                    string total = _names[q.Id]!, lanes = LocalNames.Unique(_taken, total + "Lanes");
                    signature.Add("ref double " + total);
                    broadcasts.Add($"TLane {lanes} = TLane.Zero;");
                    sums.Add($"{total} += TLane.Sum({lanes});");
                    _names[q.Id] = lanes;
                    break;
                default:
                    string scalar = _names[q.Id] ?? LocalNames.Unique(_taken, OuterName(q.Id)), broadcast = LocalNames.Unique(_taken, scalar + "Lanes");
                    signature.Add("double " + scalar);
                    broadcasts.Add($"TLane {broadcast} = TLane.Create({scalar});");
                    _names[q.Id] = broadcast;
                    break;
            }
        }

        string v = loop.Variable;
        var body = new IndentedWriter(writer.Depth + 2);
        EmitStatements(body);

        writer.Line($"private static int {name}<TLane>({string.Join(", ", signature)})").Line(Constraint).Open();
        List<string> prologue = fields.Concat(Prologue()).Concat(broadcasts).ToList();
        if (prologue.Count > 0)
        {
            IEnumerable<string> what = fields.Count > 0 ? Describe().Prepend("the static readonly fields, broadcast") : Describe();
            if (loop.Parameters.Any(q => q.Kind is LoopParameterKind.Value or LoopParameterKind.Variable))
            {
                what = what.Append("broadcast values from before the loop");
            }

            if (sums.Count > 0)
            {
                what = what.Append("each lane's share of the sums");
            }

            writer.Line("// " + string.Join("; ", what));
            foreach (string line in prologue)
            {
                writer.Line(line);
            }

            writer.Line();
        }

        writer.Line($"// lane k runs iteration {v} + k");
        writer.Open($"for (; {v} + TLane.Count <= {Bound(Ix(loop.Upper))}; {v} += TLane.Count)").Append(body).Close();
        writer.Line();
        foreach (string line in sums)
        {
            writer.Line(line);
        }

        writer.Line($"return {v};").Close();
    }

    /// <summary>The text of a loop bound in a sum (parenthesized unless it is one token).</summary>
    private static string Bound(string text) => text.IndexOf(' ') >= 0 ? $"({text})" : text;

    /// <summary>A parameter name for an outer value without a local: the element it reads (p250), else "outer".</summary>
    private string OuterName(int id)
    {
        Instr x = _function.Body[id];
        return x.Op == Op.Input && x.Ix is null && x.Slot is Slot.Y or Slot.P or Slot.YDot or Slot.PDot or Slot.A
            ? SlotName(x.Slot) + Literals.Int(x.Index)
            : "outer";
    }

    /// <summary>The local of a field's broadcast: global::N.T.Gain is gainLanes, @double doubleLanes (no keyword ends in Lanes).</summary>
    private static string FieldLanesName(string field)
    {
        string name = field.Substring(field.LastIndexOf('.') + 1).TrimStart('@');
        return char.ToLowerInvariant(name[0]) + name.Substring(1) + "Lanes";
    }

    /// <summary>Elements <c>index</c>, <c>index + stride</c>, … of a span as one TLane (stride 0: one element broadcast).</summary>
    private static string Load(string span, string index, int stride) => stride switch
    {
        0 => $"TLane.Create({span}[{index}])",
        1 => $"TLane.Load({span}, {index})",
        _ => $"TLane.LoadStrided({span}, {index}, {Literals.Int(stride)})",
    };

    /// <summary>
    /// A store (or +=) of the lanes to the elements of their iterations; in a lane branch the other lanes
    /// store back what was there.
    /// </summary>
    private void MemoryWrite(IndentedWriter writer, string span, Instr x, int id, bool accumulate)
    {
        int stride = _loop!.Stride(id);
        string index = Ix(x.Element), old = Load(span, index, stride);
        var value = Expr(x.A);
        string right = value.Prec <= PrecAdd ? $"({value.Text})" : value.Text;
        string updated = accumulate ? $"{old} + {right}" : value.Text;
        if (_mask is not null)
        {
            updated = $"TLane.Select({_mask}, {updated}, {old})";
        }

        writer.Line(stride == 1
            ? $"TLane.Store({updated}, {span}, {index});"
            : $"TLane.StoreStrided({updated}, {span}, {index}, {Literals.Int(stride)});");
    }
}
