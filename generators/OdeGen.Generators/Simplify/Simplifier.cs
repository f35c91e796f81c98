using OdeGen.Generators.Ir;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// The optimization pass: rebuilds a function through <see cref="IrBuilder"/> (folding, zero/one
/// propagation and common subexpressions on the whole function at once) and removes dead code.
/// </summary>
internal static class Simplifier
{
    /// <summary>Simplifies <paramref name="function"/>; <paramref name="exact"/> keeps results bit for bit.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function, bool exact)
    {
        IrFunction live = DeadCode.Eliminate(function);
        var builder = new IrBuilder(exact, live.Single, live.Body.Count);
        var map = new int[live.Body.Count];
        for (int i = 0; i < live.Body.Count; i++)
        {
            CopyNamed(builder, live.Body[i], i, map);
        }

        return DeadCode.Eliminate(builder.Build(live.Statements, live.UserStatements));
    }

    /// <summary>
    /// Re-creates <paramref name="x"/>, the instruction at <paramref name="at"/>, in <paramref name="builder"/> under
    /// its own statement and pass, keeping its readable name; <c>map[at]</c> becomes its new id. What every
    /// rebuilding pass does for the instructions it leaves as they are.
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    public static void CopyNamed(IrBuilder builder, Instr x, int at, int[] map)
    {
        Attribute(builder, x);
        Record(builder, x, at, map, Copy(builder, x, map));
    }

    /// <summary>Attributes the instructions built next to the statement and pass of <paramref name="x"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public static void Attribute(IrBuilder builder, Instr x)
    {
        builder.Stmt = x.Stmt;
        builder.Phase = x.Phase;
        builder.Copy = x.Copy;
    }

    /// <summary>Maps position <paramref name="at"/> to <paramref name="id"/> and gives the new value <paramref name="x"/>'s name.</summary>
    [MethodImpl(Hot.Optimize)]
    public static void Record(IrBuilder builder, Instr x, int at, int[] map, int id)
    {
        map[at] = id;
        if (id >= 0 && !x.IsRegion)
        {
            builder.Name(id, x.Name);
        }
    }

    /// <summary>Re-creates <paramref name="x"/> in <paramref name="builder"/> with operands renamed by <paramref name="map"/>; -1 for a store.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int Copy(IrBuilder builder, Instr x, int[] map)
    {
        switch (x.Op)
        {
            case Op.Const:
                return builder.Const(x.Value);
            case Op.Input:
                return x.Slot == Slot.Field ? builder.Field(x.Index, x.Callee!) : builder.Input(x.Slot, x.Index, x.Ix);
            case Op.Neg:
                return builder.Neg(map[x.A]);
            case Op.Call:
                return builder.Call(x.Fn, map[x.A], x.B < 0 ? -1 : map[x.B], x.C < 0 ? -1 : map[x.C]);
            case Op.Store:
                builder.Store(x.Slot, x.Index, map[x.A], x.Ix);
                return -1;
            case Op.For:
                return builder.For(x.Name!, x.Ix!, x.Ix2!, x.Value == 1);
            case Op.EndFor:
                builder.EndFor();
                return -1;
            case Op.Var:
                return builder.Var(map[x.A], x.Name);
            case Op.VarAdd:
                builder.VarAdd(map[x.A], map[x.B]);
                return -1;
            case Op.VarGet:
                return builder.VarGet(map[x.A]);
            case Op.Buf:
                return builder.Buf(x.Slot, x.Ix!, x.Name, x.Value == 1);
            case Op.BufStore:
                builder.BufStore(map[x.B], x.Ix!, map[x.A], x.Value == 1);
                return -1;
            case Op.BufLoad:
                return builder.BufLoad(map[x.A], x.Ix!);
            case Op.If:
                builder.If(map[x.A]);
                return -1;
            case Op.Else:
                builder.Else();
                return -1;
            case Op.EndIf:
                builder.EndIf();
                return -1;
            case Op.VarSet:
                builder.VarSet(map[x.A], map[x.B]);
                return -1;
            case Op.Compare:
                return builder.Compare((CompareKind)(int)x.Value, x.A < 0 ? -1 : map[x.A], x.B < 0 ? -1 : map[x.B], x.Ix, x.Ix2);
            case Op.And:
            case Op.Or:
                return builder.Logic(x.Op, map[x.A], map[x.B]);
            case Op.Not:
                return builder.Logic(Op.Not, map[x.A]);
            case Op.Extern or Op.ExternJvp:
                return builder.Extern(x.Op, x.Callee!, Mapped(x.Args, map), x.Rules, x.Index);
            case Op.ExternVjp:
                builder.ExternVjp(x.Callee!, x.Index, Mapped(x.Args, map));
                return -1;
            default:
                return builder.Binary(x.Op, map[x.A], map[x.B]);
        }
    }

    // Not a lambda: one capturing map would be allocated on every call of Copy, not only for the calls that need it.
    [MethodImpl(Hot.Optimize)]
    private static int[] Mapped(EquatableArray<int> args, int[] map)
    {
        var mapped = new int[args.Count];
        for (int k = 0; k < mapped.Length; k++)
        {
            mapped[k] = map[args[k]];
        }

        return mapped;
    }
}
