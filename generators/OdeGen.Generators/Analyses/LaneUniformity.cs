using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// Which conditions of a function differ between lanes in its lane form. A comparison of values (y[0] &gt; p[1]) may hold
/// in some lanes and not in others, so it becomes a mask and its branch runs both sides blended by it; a comparison of
/// loop indices and sizes holds in every lane alike and stays a bool and an ordinary branch. And, Or and Not are lane
/// values when an operand is.
/// </summary>
internal static class LaneUniformity
{
    /// <summary>For each instruction of <paramref name="function"/>: true for a condition whose value differs between lanes.</summary>
    public static EquatableArray<bool> LaneConditions(IrFunction function)
    {
        int count = function.Body.Count;
        var lane = new bool[count];
        for (int i = 0; i < count; i++)
        {
            Instr x = function.Body[i];
            lane[i] = x.Op switch
            {
                Op.Compare => x.A >= 0,   // an index comparison has no value operands (its sides are Ix and Ix2)
                Op.And or Op.Or => lane[x.A] || lane[x.B],
                Op.Not => lane[x.A],
                _ => false,
            };
        }

        return new EquatableArray<bool>(lane);
    }
}
