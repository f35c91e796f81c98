using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// Which branch-merge variables write the local of an earlier value or variable of the same user local, so the
/// generated code assigns the user's local where the user did instead of copying between SSA versions of it:
/// <list type="bullet">
/// <item>a nested merge (an <c>if</c> inside an <c>else</c>, both assigning <c>gain</c>) sets the outer <c>gain</c>
/// directly, not <c>gain_2</c> followed by <c>gain = gain_2;</c>;</item>
/// <item>a merge variable that starts from the local's value before the branch (<c>double wave = p[2]; if (…) wave *= …;</c>)
/// writes that value's local, not a copy <c>double wave_2 = wave;</c>;</item>
/// <item>a value of the user's local that a side sets the merge variable to (<c>wave *= Math.Sin(y[2])</c>) is computed
/// into the variable's local (<c>wave = wave * Math.Sin(y2);</c>), not into a local of its own copied at the side's end
/// (scalar code only: lane code computes a side's values in every lane and blends only the writes).</item>
/// <item>a reset of an adjoint that nothing reads afterwards (<c>gainBar = 0.0;</c> after <c>double gainBar_2 = gainBar;</c>) is
/// not printed, so the read is <c>gainBar</c> itself (a later else side of the same branch does not count);</item>
/// <item>a copy of an adjoint that is then only read (<c>double gainBar_2 = gainBar;</c> before a nested branch) is the
/// adjoint's local itself.</item>
/// </list>
/// </summary>
/// <remarks>
/// Sharing one local is a liveness question: it is sound when the old contents are never read once the new variable
/// writes them. Every check below is on the linear order of the body, which is both the scalar emitter's order of
/// execution within an iteration and the lane emitter's (it runs both sides of a lane branch, then side, else side).
/// Values printed inline are read where their line is printed, not where they are defined, so a read counts at
/// <c>Facts.PrintedBy</c>, a bound that holds whichever values the emitters make locals. Loops are kept out of the
/// shared stretch (no back edge can carry a read around it), except that a loop's sum may take the local of the user's
/// value it starts from when every read of that value comes before the sum starts (<c>double s = p[i]; for (…) s += …;</c>
/// without <c>double s_2 = s;</c>); variables a user rule writes by ref are never shared.
/// </remarks>
/// <param name="Host">For each position: the earlier value or <see cref="Op.Var"/> whose local a <see cref="Op.Var"/> writes, or -1.</param>
/// <param name="Silent">Positions printed as nothing: the copies sharing makes needless and declarations whose initial value is never read.</param>
/// <param name="AssignsInit">Hosted variables whose declaration prints as an assignment to the host's local.</param>
/// <param name="Into">Values computed straight into the local <see cref="Host"/> names (their copy at the side's end is <see cref="Silent"/>).</param>
internal sealed record MergeCoalescing(EquatableArray<int> Host, EquatableArray<bool> Silent, EquatableArray<bool> AssignsInit, EquatableArray<bool> Into)
{
    /// <summary>
    /// The plan for <paramref name="function"/>; <paramref name="valuesInto"/> allows the third kind of sharing (values
    /// computed into a variable's local), which only code that runs one side of a branch may use.
    /// </summary>
    public static MergeCoalescing Plan(IrFunction function, bool valuesInto = true)
    {
        var body = function.Body;
        int count = body.Count;
        var host = new int[count];
        var silent = new bool[count];
        var assignsInit = new bool[count];
        var facts = new Facts(body);
        for (int i = 0; i < count; i++)
        {
            host[i] = -1;
        }

        // Nested merges first: the inner variable becomes the outer one, and the copy closing the inner merge goes.
        for (int v = 0; v < count; v++)
        {
            if (body[v].Op != Op.Var || facts.Blocked[v] || facts.CopyInto[v] < 0)
            {
                continue;
            }

            int c = facts.CopyInto[v];
            int outer = body[c].A;
            int root = Root(host, outer);
            if (outer < v && !facts.Blocked[root] && facts.Gets[v] == 1 && facts.LastGet[v] == body[c].B && facts.Uses(body[c].B) == 1
                && facts.Block[c] == facts.Block[v] && !facts.LoopBetween(v, c) && !ClassReferenced(body, host, root, v + 1, c))
            {
                host[v] = root;
                silent[c] = true;
                bool keeps = IsCurrentRead(body, host, body[v].A, root, v);
                silent[v] = keeps || InitOverwritten(body, v);
                assignsInit[v] = !silent[v];
            }
        }

        // Then merges that start from the user's value of the same local: the variable writes that value's local.
        var hosting = new bool[count];
        for (int v = 0; v < count; v++)
        {
            Instr x = body[v];
            if (x.Op != Op.Var || host[v] >= 0 || facts.ByRef[v])
            {
                continue;
            }

            int init = x.A;
            Instr value = body[init];
            if (value.Name is null || value.Name != x.Name || hosting[init] || !AlwaysLocal(value.Op) || facts.Block[init] != facts.Block[v])
            {
                continue;
            }

            // A loop's sum (double s = …; for (…) s += …;) is written in the loop, where a read of the value before it would
            // see the sum on the next iteration: every read of the value must come before the sum starts.
            (int firstWrite, int lastReference) = facts.Accumulates[v] ? (v, v) : ClassSpan(body, host, assignsInit, v);
            if (firstWrite < 0 || facts.LoopBetween(v, lastReference) || !ReadsBefore(body, facts, init, v, firstWrite))
            {
                continue;
            }

            hosting[init] = true;
            for (int u = v; u < count; u++)
            {
                if (u == v || (body[u].Op == Op.Var && host[u] == v))
                {
                    host[u] = init;
                }
            }

            silent[v] = true;
        }

        var into = new bool[count];
        if (valuesInto)
        {
            ValuesInto(body, facts, host, silent, assignsInit, into);
        }

        DeadResets(body, facts, host, silent);
        CurrentCopies(body, facts, host, silent, assignsInit, into);
        return new MergeCoalescing(new EquatableArray<int>(host), new EquatableArray<bool>(silent), new EquatableArray<bool>(assignsInit), new EquatableArray<bool>(into));
    }

    /// <summary>
    /// The fifth kind, once the dead resets are known: a variable of the user's local that starts as a read of that local
    /// (reverse mode's <c>double gainBar_2 = gainBar;</c> before a nested branch) and is never written where it is printed
    /// (its resets are silent) is that local itself while it is read, when nothing writes the local from the read to the
    /// last place a read of the variable is printed and no loop spans that stretch. Its declaration and the read it starts
    /// from print as nothing; its reads print as the user's name (<c>tBar += gainBar * p[1];</c>).
    /// </summary>
    private static void CurrentCopies(EquatableArray<Instr> body, Facts facts, int[] host, bool[] silent, bool[] assignsInit, bool[] into)
    {
        int count = body.Count;
        for (int v = 0; v < count; v++)
        {
            Instr x = body[v];
            if (x.Op != Op.Var || host[v] >= 0 || silent[v] || facts.ByRef[v] || x.Name is null || body[x.A].Op != Op.VarGet)
            {
                continue;
            }

            int init = x.A, storage = Root(host, body[init].A);
            if (storage == v || facts.ByRef[storage] || body[storage].Name != x.Name || facts.Uses(init) != 1)
            {
                continue;
            }

            // The variable is only read: no write of its own is printed, no other variable shares its local.
            int lastRead = v;
            bool written = false;
            for (int i = v + 1; i < count && !written; i++)
            {
                Instr y = body[i];
                written = WritesStorage(body, host, silent, assignsInit, into, i, v) || (y.Op == Op.Var && host[i] == v);
                if (y.Op == Op.VarGet && y.A == v)
                {
                    lastRead = System.Math.Max(lastRead, facts.PrintedBy(i));
                }
            }

            if (written || facts.LoopBetween(init, lastRead))
            {
                continue;
            }

            bool storageWritten = false;
            for (int i = init + 1; i <= lastRead && !storageWritten; i++)
            {
                storageWritten = WritesStorage(body, host, silent, assignsInit, into, i, storage);
            }

            if (storageWritten)
            {
                continue;
            }

            host[v] = storage;
            silent[v] = true;
            silent[init] = true;
        }
    }

    /// <summary>
    /// The fourth kind, for the derivative code: reverse mode zeroes an adjoint once a statement has taken its value
    /// (<c>double gainBar_2 = gainBar; gainBar = 0.0;</c>), which matters only if something later adds to it again. When
    /// nothing after the reset refers to the local (no read, write or value sharing it) and no loop lies between the
    /// local's declaration and the reset (so no back edge carries the zero to an earlier read), the reset is silent;
    /// with no write left after the read, the read prints as the local itself (<c>s20 += gainBar * p[0];</c>).
    /// "After" skips the else side of every branch whose then side holds the reset: scalar code never runs both, and lane
    /// code runs the else side only under its mask, where the reset (a write under the then mask) was never seen. So the
    /// adjoint of <c>if (…) gain = …; else gain = …;</c> reads <c>gainBar</c> on both sides, without a copy on the first.
    /// The user's own assignments are left as written.
    /// </summary>
    private static void DeadResets(EquatableArray<Instr> body, Facts facts, int[] host, bool[] silent)
    {
        int count = body.Count;
        for (int s = 0; s < count; s++)
        {
            Instr set = body[s];
            if (set.Op != Op.VarSet || silent[s] || set.Phase == Phase.Primal || body[set.B].Op != Op.Const || body[set.B].Value != 0)
            {
                continue;
            }

            int root = Root(host, set.A);
            if (!facts.ByRef[set.A] && !facts.ByRef[root] && !facts.LoopBetween(root, s) && !ReferencedAfter(body, facts, host, root, s))
            {
                silent[s] = true;
            }
        }
    }

    /// <summary>
    /// True when an instruction that may run after <paramref name="s"/> refers to the local of <paramref name="root"/> in
    /// any way: one later in the body, except on the else side of a branch whose then side holds <paramref name="s"/>.
    /// </summary>
    private static bool ReferencedAfter(EquatableArray<Instr> body, Facts facts, int[] host, int root, int s)
    {
        int from = s + 1;
        for (int o = facts.Opener(s); o >= 0; o = facts.Opener(o))
        {
            if (body[o].Op == Op.If && facts.ElseOf(o) > s)
            {
                if (ReferencedIn(body, host, root, from, facts.ElseOf(o)))
                {
                    return true;
                }

                from = facts.CloseOf(o);
            }
        }

        return ReferencedIn(body, host, root, from, body.Count);
    }

    /// <summary>True when an instruction in [<paramref name="from"/>, <paramref name="to"/>) refers to the local of <paramref name="root"/> in any way.</summary>
    private static bool ReferencedIn(EquatableArray<Instr> body, int[] host, int root, int from, int to)
    {
        if (ClassReferenced(body, host, root, from, to))
        {
            return true;
        }

        for (int i = from; i < to; i++)
        {
            Instr x = body[i];
            if (host[i] == root)
            {
                return true;   // a variable or a value declared into the same local
            }

            for (int k = 0; k < x.Arity; k++)
            {
                int o = x.Operand(k);
                if (o == root || host[o] == root)
                {
                    return true;   // reads the value that holds the local, or one computed into it
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The third kind: a value <c>u</c> of the user's local whose one copy is the set <c>s</c> of that local's merge
    /// variable, later in the same block, is computed into the variable's local at <c>u</c>. Sound when nothing writes the local
    /// between <c>u</c> and <c>s</c>, nothing printed after <c>u</c> reads the local's old contents (a read of the variable
    /// after <c>u</c> up to <c>s</c>, a read of the value hosting it, a read of a value computed into it earlier), and every
    /// read of <c>u</c> is printed before the next write of the local; no loop spans it.
    /// </summary>
    private static void ValuesInto(EquatableArray<Instr> body, Facts facts, int[] host, bool[] silent, bool[] assignsInit, bool[] into)
    {
        int count = body.Count;
        for (int s = 0; s < count; s++)
        {
            Instr set = body[s];
            if (set.Op != Op.VarSet || silent[s])
            {
                continue;
            }

            int u = set.B, variable = set.A;
            int storage = Root(host, variable);
            Instr value = body[u];
            if (value.Name is null || value.Name != body[variable].Name || into[u] || facts.Uses(u) < 2 || facts.Blocked[storage]
                || value.Op is not (Op.Input or Op.Neg or Op.Add or Op.Sub or Op.Mul or Op.Div or Op.Call)
                || facts.Block[u] != facts.Block[s] || u < variable || (storage != variable && u < storage) || SumShares(body, facts, host, storage))
            {
                continue;
            }

            int lastUse = s;
            int nextWrite = count;
            bool ok = true;
            for (int i = u + 1; i < count && ok; i++)
            {
                Instr x = body[i];
                bool write = i != s && WritesStorage(body, host, silent, assignsInit, into, i, storage);
                if (write && i < s)
                {
                    ok = false;   // another write between u and its copy
                }
                else if (write && nextWrite == count && i > s)
                {
                    nextWrite = i;
                }

                if (x.Op == Op.VarGet && Root(host, x.A) == storage && i < s)
                {
                    ok = false;   // reads the variable's value from before u
                }

                for (int k = 0; k < x.Arity && ok; k++)
                {
                    int o = x.Operand(k);
                    bool oldContents = (o == storage && body[o].Op != Op.Var && !(x.Op == Op.Var && host[i] == storage)) || (into[o] && Root(host, o) == storage);
                    if (oldContents && facts.PrintedBy(i) > u)
                    {
                        ok = false;   // the hosting value, or a value computed into the local earlier, is read after u overwrote it
                    }

                    if (o == u && i != s)
                    {
                        lastUse = System.Math.Max(lastUse, facts.PrintedBy(i));
                    }
                }
            }

            if (ok && lastUse < nextWrite && !facts.LoopBetween(u, lastUse))
            {
                into[u] = true;
                host[u] = storage;
                silent[s] = true;
            }
        }
    }

    /// <summary>True when a loop's sum writes the local of <paramref name="storage"/> (the third kind leaves those alone).</summary>
    private static bool SumShares(EquatableArray<Instr> body, Facts facts, int[] host, int storage)
    {
        for (int i = 0; i < body.Count; i++)
        {
            if (body[i].Op == Op.Var && facts.Accumulates[i] && Root(host, i) == storage)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when position <paramref name="i"/> writes the local of <paramref name="storage"/>.</summary>
    private static bool WritesStorage(EquatableArray<Instr> body, int[] host, bool[] silent, bool[] assignsInit, bool[] into, int i, int storage)
    {
        Instr x = body[i];
        return (x.Op is Op.VarSet or Op.VarAdd && !silent[i] && Root(host, x.A) == storage)
            || (x.Op == Op.Var && assignsInit[i] && host[i] == storage)
            || (into[i] && host[i] == storage);
    }

    /// <summary>The local a variable's reads and writes use: its own, or its host's.</summary>
    public int Storage(int id) => Host[id] >= 0 ? Host[id] : id;

    private static int Root(int[] host, int v) => host[v] >= 0 ? host[v] : v;

    /// <summary>Ops the emitters always print as a local when the user named them (what a merge can start from).</summary>
    private static bool AlwaysLocal(Op op) =>
        op is Op.Input or Op.Neg or Op.Add or Op.Sub or Op.Mul or Op.Div or Op.Call or Op.Extern or Op.BufLoad;

    /// <summary>True when an instruction in [<paramref name="from"/>, <paramref name="to"/>) reads or writes a variable whose local is <paramref name="root"/>'s.</summary>
    private static bool ClassReferenced(EquatableArray<Instr> body, int[] host, int root, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            Instr x = body[i];
            if (x.Op is Op.VarGet or Op.VarSet or Op.VarAdd && Root(host, x.A) == root)
            {
                return true;
            }

            if (x.Op == Op.ExternVjp)
            {
                for (int k = 0; k < x.Args.Count; k++)
                {
                    if (body[x.Args[k]].Op == Op.Var && Root(host, x.Args[k]) == root)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="init"/> is a read of <paramref name="root"/>'s local with nothing writing that local
    /// between the read and <paramref name="v"/>: the shared local already holds the initial value.
    /// </summary>
    private static bool IsCurrentRead(EquatableArray<Instr> body, int[] host, int init, int root, int v) =>
        body[init].Op == Op.VarGet && Root(host, body[init].A) == root && !ClassWritten(body, host, root, init + 1, v);

    private static bool ClassWritten(EquatableArray<Instr> body, int[] host, int root, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            Instr x = body[i];
            if (x.Op is Op.VarSet or Op.VarAdd && Root(host, x.A) == root || x.Op == Op.Var && host[i] == root)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The first position that writes the local of <paramref name="v"/> (its sets and those of the variables it hosts,
    /// and their declarations that assign), and the last that reads or writes it; -1 for a variable never set.
    /// </summary>
    private static (int FirstWrite, int LastReference) ClassSpan(EquatableArray<Instr> body, int[] host, bool[] assignsInit, int v)
    {
        int first = -1, last = v;
        for (int i = v + 1; i < body.Count; i++)
        {
            Instr x = body[i];
            bool member = x.Op is Op.VarGet or Op.VarSet or Op.VarAdd && Root(host, x.A) == v;
            bool declares = x.Op == Op.Var && host[i] == v;
            if (member || declares)
            {
                last = i;
            }

            if (first < 0 && (x.Op == Op.VarSet && member || declares && assignsInit[i]))
            {
                first = i;
            }
        }

        return (first, last);
    }

    /// <summary>
    /// True when every read of <paramref name="init"/> other than the declaration of <paramref name="v"/> is printed
    /// before <paramref name="firstWrite"/>.
    /// </summary>
    private static bool ReadsBefore(EquatableArray<Instr> body, Facts facts, int init, int v, int firstWrite)
    {
        for (int i = init + 1; i < body.Count; i++)
        {
            Instr x = body[i];
            for (int k = 0; k < x.Arity; k++)
            {
                if (x.Operand(k) == init && i != v && facts.PrintedBy(i) >= firstWrite)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// True when the variable <paramref name="v"/> is set on both sides of the if/else that follows it before anything
    /// reads it: its initial value is never read (C# definite assignment, which the parser's merges follow).
    /// </summary>
    private static bool InitOverwritten(EquatableArray<Instr> body, int v)
    {
        int f = v + 1;
        while (f < body.Count && !body[f].IsRegion)
        {
            if (References(body[f], v))
            {
                return false;
            }

            f++;
        }

        if (f >= body.Count || body[f].Op != Op.If)
        {
            return false;
        }

        bool thenSet = false, elseSet = false, onElse = false;
        int depth = 0;
        for (int i = f + 1; i < body.Count; i++)
        {
            Instr x = body[i];
            if (depth == 0 && x.Op == Op.EndIf)
            {
                return thenSet && elseSet;
            }

            if (depth == 0 && x.Op == Op.Else)
            {
                onElse = true;
                continue;
            }

            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            if (x.Op == Op.VarSet && x.A == v && depth == 0)
            {
                thenSet |= !onElse;
                elseSet |= onElse;
            }
            else if (References(x, v) && !(onElse ? elseSet : thenSet))
            {
                return false;   // read before this side sets it
            }
        }

        return false;
    }

    private static bool References(Instr x, int id)
    {
        for (int k = 0; k < x.Arity; k++)
        {
            if (x.Operand(k) == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Structural facts about a body that the checks share.</summary>
    private sealed class Facts
    {
        private readonly EquatableArray<Instr> _body;
        private readonly int[] _uses, _user, _loopsBefore, _opener, _else, _close;
        private bool[]? _blocked;

        public Facts(EquatableArray<Instr> body)
        {
            _body = body;
            int count = body.Count;
            Block = new int[count];
            Gets = new int[count];
            LastGet = new int[count];
            Accumulates = new bool[count];
            ByRef = new bool[count];
            CopyInto = new int[count];
            _uses = new int[count];
            _user = new int[count];
            _loopsBefore = new int[count + 1];
            _opener = new int[count];
            _else = new int[count];
            _close = new int[count];
            var openers = new Stack<int>();
            for (int i = 0; i < count; i++)
            {
                Op op = body[i].Op;
                _else[i] = -1;
                if (op is Op.EndFor or Op.EndIf)
                {
                    int o = openers.Pop();
                    _close[o] = i;
                    _opener[i] = o;
                    continue;
                }

                _opener[i] = openers.Count > 0 ? openers.Peek() : -1;
                if (op == Op.Else)
                {
                    _else[openers.Peek()] = i;
                }
                else if (op is Op.For or Op.If)
                {
                    openers.Push(i);
                }
            }

            var parent = new List<int> { -1 };
            var open = new Stack<int>();
            open.Push(0);
            for (int i = 0; i < count; i++)
            {
                CopyInto[i] = -1;
            }

            for (int i = 0; i < count; i++)
            {
                Instr x = body[i];
                _loopsBefore[i + 1] = _loopsBefore[i] + (x.Op is Op.For or Op.EndFor ? 1 : 0);
                if (x.Op is Op.EndFor or Op.EndIf or Op.Else)
                {
                    open.Pop();
                }

                Block[i] = open.Peek();
                if (x.Op is Op.For or Op.If or Op.Else)
                {
                    parent.Add(open.Peek());
                    open.Push(parent.Count - 1);
                }

                for (int k = 0; k < x.Arity; k++)
                {
                    _uses[x.Operand(k)]++;
                    _user[x.Operand(k)] = i;
                }

                switch (x.Op)
                {
                    case Op.VarGet:
                        Gets[x.A]++;
                        LastGet[x.A] = i;
                        break;
                    case Op.VarAdd:
                        Accumulates[x.A] = true;
                        break;
                    case Op.VarSet when body[x.B].Op == Op.VarGet && body[x.B].A != x.A:
                        CopyInto[body[x.B].A] = i;
                        break;
                    case Op.ExternVjp:
                        for (int k = 0; k < x.Args.Count; k++)
                        {
                            if (body[x.Args[k]].Op == Op.Var)
                            {
                                ByRef[x.Args[k]] = true;
                            }
                        }

                        break;
                }
            }
        }

        /// <summary>The block (body, loop body, branch side) of each position.</summary>
        public int[] Block { get; }

        /// <summary>How many reads each variable has.</summary>
        public int[] Gets { get; }

        /// <summary>The last read of each variable.</summary>
        public int[] LastGet { get; }

        /// <summary>Loop sums and variables a user rule writes by ref: never in a nested merge or a value computed into a local.</summary>
        public bool[] Blocked => _blocked ??= System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(Accumulates, (a, i) => a || ByRef[i]));

        /// <summary>Loop sums (a <see cref="Op.VarAdd"/> changes them).</summary>
        public bool[] Accumulates { get; }

        /// <summary>Variables a user rule writes by ref.</summary>
        public bool[] ByRef { get; }

        /// <summary>For a variable, the position of a set that copies its value into another variable (the last one), or -1.</summary>
        public int[] CopyInto { get; }

        /// <summary>How many instructions use value <paramref name="id"/> as an operand.</summary>
        public int Uses(int id) => _uses[id];

        /// <summary>The For or If whose region holds position <paramref name="i"/> most closely (an Else or closing instruction: its own), or -1.</summary>
        public int Opener(int i) => _opener[i];

        /// <summary>The Else of the If at <paramref name="opener"/>, or -1.</summary>
        public int ElseOf(int opener) => _else[opener];

        /// <summary>The EndFor or EndIf of the region opened at <paramref name="opener"/>.</summary>
        public int CloseOf(int opener) => _close[opener];

        /// <summary>True when a loop opens or closes in [<paramref name="from"/>, <paramref name="to"/>].</summary>
        public bool LoopBetween(int from, int to) => _loopsBefore[to + 1] - _loopsBefore[from] > 0;

        /// <summary>
        /// A position at or after the line that prints instruction <paramref name="i"/>: its own when it is a statement or
        /// may be a local; else (a value used once, possibly printed inline) that of its one user, and so on up.
        /// </summary>
        public int PrintedBy(int i)
        {
            while (!Emit.FunctionEmitter.IsStatement(_body[i]) && _uses[i] == 1)
            {
                i = _user[i];
            }

            return i;
        }
    }
}
