using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>Navigation in the flat region encoding of loops and branches.</summary>
internal static class Regions
{
    /// <summary>The position of the EndFor or EndIf that closes the region opened at <paramref name="open"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int Close(EquatableArray<Instr> body, int open)
    {
        int depth = 0;
        for (int i = open; i < body.Count; i++)
        {
            depth += body[i].Op is Op.For or Op.If ? 1 : 0;
            depth -= body[i].Op is Op.EndFor or Op.EndIf ? 1 : 0;
            if (depth == 0)
            {
                return i;
            }
        }

        throw new System.InvalidOperationException("unclosed region at " + open);
    }
}
