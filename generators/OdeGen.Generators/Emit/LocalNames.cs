using System.Collections.Generic;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>Chooses which values of an IR function become named locals, and their names; shared by the scalar and lane emitters.</summary>
internal static class LocalNames
{
    /// <summary>
    /// The deepest expression printed inline: a value whose operands' text nests deeper becomes a local, which bounds
    /// the emitters' recursion (<c>Expr</c>) and the nesting of every generated line.
    /// </summary>
    public const int MaxInlineDepth = 32;

    /// <summary>
    /// Names the values that become locals (null: printed inline), unique within the method. Loop
    /// variables are reserved first; a value used inside a deeper loop than it is defined in is a
    /// local (so it is computed once, not per iteration); a buffer read is a local (a later write
    /// must not change it); an accumulator read stays the accumulator's name unless it is added to later.
    /// An element of an input span read more than once is a local too: the outputs are spans the JIT must
    /// assume may overlap the inputs, so every read after a store would go back to memory (and its bounds
    /// check) instead of a register, as in code written by hand.
    /// <paramref name="forceLocal"/> makes more values locals (the lane emitter's, for values its
    /// expansions read twice or that need statements of their own). A branch-merge variable that shares the local
    /// of an earlier value or variable (<paramref name="merges"/>) takes that local's name, and a read of a shared
    /// local is a local of its own when anything sharing it is written later.
    /// </summary>
    public static string?[] Assign(IrFunction function, IEnumerable<string> parameters, MergeCoalescing merges, System.Func<int, bool>? forceLocal = null)
    {
        int count = function.Body.Count;
        var uses = new int[count];
        var depth = new int[count];
        var deeperUse = new bool[count];
        var addedAfter = new bool[count];
        var user = new int[count];
        var taken = new HashSet<string>(parameters);
        int d = 0;
        for (int i = 0; i < count; i++)
        {
            Instr x = function.Body[i];
            d -= x.Op is Op.EndFor or Op.EndIf ? 1 : 0;
            depth[i] = d;
            d += x.Op is Op.For or Op.If ? 1 : 0;
            if (x.Op == Op.For)
            {
                taken.Add(x.Name!);
            }

            for (int k = 0; k < x.Arity; k++)
            {
                uses[x.Operand(k)]++;
                user[x.Operand(k)] = i;
                deeperUse[x.Operand(k)] |= depth[x.Operand(k)] < d;
            }
        }

        var writtenLater = new HashSet<int>();
        for (int i = count - 1; i >= 0; i--)
        {
            Instr x = function.Body[i];
            if (x.Op is Op.VarAdd || (x.Op == Op.VarSet && !merges.Silent[i]))
            {
                writtenLater.Add(merges.Storage(x.A));
            }
            else if ((x.Op == Op.Var && merges.AssignsInit[i]) || merges.Into[i])
            {
                writtenLater.Add(merges.Storage(i));
            }
            else if (x.Op == Op.VarGet)
            {
                addedAfter[i] = writtenLater.Contains(merges.Storage(x.A));
            }
        }

        var names = new string?[count];
        var inlineDepth = new int[count];
        int temp = 0;
        for (int i = 0; i < count; i++)
        {
            Instr x = function.Body[i];

            // How deep the text printed inline for this value would nest: a long sum (a 10,000-term one) would
            // otherwise print as one expression, as deep as the emitters' recursion and the compiler's can go.
            int nested = 0;
            for (int k = 0; k < x.Arity; k++)
            {
                nested = System.Math.Max(nested, names[x.Operand(k)] is null ? inlineDepth[x.Operand(k)] : 0);
            }

            inlineDepth[i] = nested + 1;

            // A value of the user's local that only sets the merge variable of that local (gain = p[0] * y[0] inside a
            // branch) is printed into the assignment, not as a copy (double gain_2 = …; gain = gain_2;).
            bool userNamed = x.Name is not null && !(uses[i] == 1 && function.Body[user[i]] is { Op: Op.VarSet } set
                && set.B == i && function.Body[set.A].Name == x.Name);
            bool nameable = !x.IsRegion && x.Op is not (Op.Const or Op.Store or Op.VarAdd or Op.VarSet or Op.BufStore or Op.ExternVjp);
            bool local = (nameable && inlineDepth[i] > MaxInlineDepth) || x.Op switch
            {
                Op.Const or Op.Store or Op.VarAdd or Op.VarSet or Op.BufStore or Op.ExternVjp => false,
                Op.Extern => true,
                _ when x.IsRegion => false,
                Op.Var or Op.BufLoad => true,
                Op.Buf => x.Slot is Slot.None or Slot.A,
                Op.VarGet => addedAfter[i],
                Op.Input => userNamed || (deeperUse[i] && x.Ix is not null) || (uses[i] > 1 && IsSpan(x.Slot)),
                _ => userNamed || uses[i] > 1 || deeperUse[i],
            };
            if (merges.Host[i] >= 0)
            {
                names[i] = names[merges.Host[i]];
            }
            else if (local || (forceLocal is not null && nameable && forceLocal(i)))
            {
                names[i] = x.Name is not null ? Unique(taken, x.Name)
                    : x.Op == Op.Input && x.Ix is null && IsSpan(x.Slot) ? Unique(taken, SpanNames.Of(x.Slot, function.Naming) + Literals.Int(x.Index))
                    : Fresh(taken, x.Op switch { Op.Var => "s", Op.Buf => "buffer", _ => "v" }, ref temp);
            }
        }

        return names;
    }

    /// <summary>
    /// The most locals a generated method may declare: .NET allows 65,534 per method (CS0204 beyond), and the
    /// compiler adds a few temporaries of its own.
    /// </summary>
    public const int MaxLocals = 65_000;

    /// <summary>
    /// Throws (the generator turns it into ODE0011 instead of code that does not compile) when <paramref name="names"/>
    /// declares more than <see cref="MaxLocals"/> locals. The parser's ODE0026 is meant to stop such methods first;
    /// this is the last line.
    /// </summary>
    public static void CheckCount(string?[] names, string method)
    {
        int count = 0;
        foreach (string? name in names)
        {
            count += name is null ? 0 : 1;
        }

        if (count > MaxLocals)
        {
            throw new System.InvalidOperationException(
                $"the generated {method} would declare {count:N0} locals, more than the {MaxLocals:N0} a .NET method can have; split the computation into a loop or smaller systems");
        }
    }

    private static bool IsSpan(Slot slot) => slot is Slot.Y or Slot.P or Slot.YDot or Slot.PDot or Slot.A or Slot.Kept;

    /// <summary><paramref name="hint"/>, or with the first free suffix _2, _3, … when taken or a member's name.</summary>
    public static string Unique(HashSet<string> taken, string hint)
    {
        string name = hint;
        for (int k = 2; IsMemberName(name) || !taken.Add(name); k++)
        {
            name = hint + "_" + Literals.Int(k);
        }

        return name;
    }

    private static string Fresh(HashSet<string> taken, string prefix, ref int counter)
    {
        string name;
        do
        {
            name = prefix + Literals.Int(++counter);
        }
        while (IsMemberName(name) || !taken.Add(name));
        return name;
    }

    /// <summary>The generated struct's members that its methods name unqualified: a local of one of these names would hide it.</summary>
    private static readonly HashSet<string> MemberNames = new()
    {
        "States", "Parameters", "Inputs", "Outputs", "StateCount", "ParameterCount", "InputCount", "OutputCount", "KeptCount",
        "_states", "_parameters", "_inputs", "_outputs", "LaneRegisters",
    };

    /// <summary>
    /// True for a name a generated method may use for a member of its struct: the sizes, and the methods it calls, whose
    /// names end in "OnBuffers" (FunctionEmitter.EmitMethod) or "Loop" and a number (VectorLoopEmitter.HelperName). A user's
    /// local named so (a buffer 'VjpOnBuffers', a local 'States') gets a suffix in the generated code.
    /// </summary>
    private static bool IsMemberName(string name)
    {
        if (MemberNames.Contains(name) || name.EndsWith("OnBuffers", System.StringComparison.Ordinal))
        {
            return true;
        }

        int digits = name.Length;
        while (digits > 0 && char.IsDigit(name[digits - 1]))
        {
            digits--;
        }

        return digits < name.Length && name.Substring(0, digits).EndsWith("Loop", System.StringComparison.Ordinal);
    }
}
