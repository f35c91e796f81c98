using System.Collections.Generic;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// Reverse mode in two sweeps, without a tape. The forward sweep recomputes the primal values and
/// keeps them in locals; the reverse sweep visits the instructions last to first, so each value's
/// adjoint is complete before it is pushed to the value's operands.
/// </summary>
/// <remarks>
/// <para>
/// A loop is reversed as a descending loop whose body first recomputes the iteration's own primal
/// values (cheap: the body's locals are per-iteration) and then runs the body's adjoint backwards.
/// What the recomputation reads must still hold the iteration's values; the parser guarantees it:
/// a buffer element is never written after it was read, a loop never reads an element it may write
/// (both decided per element, Analyses/ElementRanges.cs), and a local assigned in a loop but declared outside is a pure accumulator (only += and -=, never read
/// in the loop), whose adjoint is the same in every iteration.
/// </para>
/// <para>
/// Adjoints of values defined outside a loop and used inside it are summed over the iterations in
/// accumulators declared before the reversed loop. A buffer's adjoint is a zeroed buffer of the same
/// size (dydt's starts as a copy of a): a read adds to it, a write takes the element and clears it.
/// </para>
/// </remarks>
internal sealed class ReverseMode
{
    private readonly IrFunction _primal;
    private readonly IrBuilder _b;
    private readonly int[] _map, _bar, _varBar, _bufBar, _open, _else;

    /// <summary>For a value that is written to a buffer element which keeps it (see <see cref="RecomputeAnalysis.KeptInBuffers"/>), that store; else -1.</summary>
    private readonly int[] _keptBy;
    private readonly Dictionary<int, int> _accumulators = new();

    /// <summary>Accumulators whose adjoint depends on the branch taken: their adjoint lives in a variable of its own.</summary>
    private readonly Dictionary<int, int> _varBarVariables = new();
    private int _tBar = -1, _tAccumulator = -1;

    /// <summary>Whether the forward sweep also writes the function's outputs (EvaluateVjp: f and the VJP from one primal sweep).</summary>
    private readonly bool _keepOutputs;

    private ReverseMode(IrFunction primal, bool keepOutputs = false)
    {
        _primal = primal;
        _keepOutputs = keepOutputs;
        _b = new IrBuilder(exact: false, primal.Single);
        int n = primal.Body.Count;
        _map = new int[n];
        _bar = Filled(n);
        _varBar = Filled(n);
        _bufBar = Filled(n);
        _open = Filled(n);
        _else = Filled(n);
        _keptBy = RecomputeAnalysis.KeptInBuffers(primal);
        var stack = new Stack<int>();
        for (int i = 0; i < n; i++)
        {
            switch (primal.Body[i].Op)
            {
                case Op.For or Op.If:
                    stack.Push(i);
                    break;
                case Op.Else:
                    _else[stack.Peek()] = i;
                    break;
                case Op.EndFor or Op.EndIf:
                    _open[i] = stack.Pop();
                    break;
            }
        }
    }

    /// <summary>Builds the VJP: yBar += aᵀ∂f/∂y, pBar += aᵀ∂f/∂p, returns aᵀ∂f/∂t.</summary>
    /// <param name="primal">Dead-code-free primal: exactly one store per output element outside loops.</param>
    public static IrFunction Vjp(IrFunction primal) => new ReverseMode(primal).Run();

    /// <summary>
    /// The VJP whose forward sweep also stores f (Differentiation/Augmented.cs): the primal values it computes for the
    /// reverse sweep are the ones f is made of, so writing them out is all f costs. The arithmetic is the Vjp's.
    /// </summary>
    public static IrFunction VjpKeepingOutputs(IrFunction primal) => new ReverseMode(primal, keepOutputs: true).Run();

    /// <summary>
    /// The phase a value of the function being reversed is rebuilt in: the user's values as primal (bit-exact, so they
    /// round as the user's method does); a differentiated function's tangent code (Divergence's, reversed for
    /// DivergenceVjp) as tangent code, so the forward sweep computes what that function computes (its fused multiply-adds)
    /// and its structural zeros (a unit direction's 0·y once a loop is unrolled) fold away as they do there.
    /// </summary>
    private static Phase ReplayPhase(Instr x) => x.Phase == Phase.Tangent ? Phase.Tangent : Phase.Primal;

    private IrFunction Run()
    {
        int n = _primal.Body.Count;
        for (int i = 0; i < n; i++)
        {
            Instr x = _primal.Body[i];
            _b.Stmt = x.Stmt;
            _b.Phase = ReplayPhase(x);
            if (x.Op == Op.Store)
            {
                _map[i] = _keepOutputs ? Simplifier.Copy(_b, x, _map) : -1;
            }
            else if (x.Op == Op.Buf && x.Slot == Slot.Dydt && !_keepOutputs)
            {
                // Vjp has no dydt: values of f that the body reads back live in a scratch buffer.
                _map[i] = _b.Buf(Slot.None, new IndexExpr.Length(Slot.A), "dydt", zeroed: true);
            }
            else
            {
                _map[i] = Simplifier.Copy(_b, x, _map);
                if (_map[i] >= 0 && !x.IsRegion)
                {
                    _b.Name(_map[i], x.Name);
                }
            }
        }

        for (int i = 0; i < n; i++)
        {
            Instr x = _primal.Body[i];
            if (x.Op == Op.Buf)
            {
                _b.Stmt = x.Stmt;
                _b.Phase = Phase.Adjoint;
                _bufBar[i] = x.Slot == Slot.Dydt
                    ? _b.Buf(Slot.A, new IndexExpr.Length(Slot.A), "dydtBar", zeroed: false)
                    : _b.Buf(Slot.None, x.Ix!, (x.Name ?? "buffer") + "Bar", zeroed: true);
            }
        }

        Block(0, n);
        _b.Stmt = -1;
        _b.Store(Slot.Return, 0, _tBar < 0 ? _b.Const(0) : _tBar);
        return _b.Build(_primal.Statements, _primal.UserStatements);
    }

    /// <summary>Reverses the instructions [<paramref name="start"/>, <paramref name="end"/>) of one nesting level, last first.</summary>
    private void Block(int start, int end)
    {
        for (int i = end - 1; i >= start; i--)
        {
            Instr x = _primal.Body[i];
            if (x.Op == Op.EndFor)
            {
                Loop(_open[i], i);
                i = _open[i];
                continue;
            }

            if (x.Op == Op.EndIf)
            {
                Branch(_open[i], _else[_open[i]], i);
                i = _open[i];
                continue;
            }

            _b.Stmt = x.Stmt;
            _b.Phase = Phase.Adjoint;
            Instruction(i, x);
        }
    }

    private void Instruction(int i, Instr x)
    {
        switch (x.Op)
        {
            case Op.Store:
                // An output element's adjoint is a's element; a scalar result's (Divergence's) is the seed s.
                Accumulate(x.A, x.Slot == Slot.Return ? _b.Input(Slot.S, 0) : _b.Input(Slot.A, x.Index, x.Ix));
                return;
            case Op.Var:
                int initBar = VarBar(i);
                if (initBar >= 0)
                {
                    Accumulate(x.A, initBar);
                }

                return;
            case Op.VarAdd:
                // v += e: ē = v̄, and v̄ is unchanged (the same in every iteration of the loop).
                int addBar = VarBar(x.A);
                if (addBar >= 0)
                {
                    Accumulate(x.B, addBar);
                }

                return;
            case Op.VarSet:
                // v = e on one side of a branch: ē = v̄, and the value v had before gets nothing.
                int setBar = VarBar(x.A);
                if (setBar >= 0)
                {
                    Accumulate(x.B, setBar);
                }

                if (_varBarVariables.TryGetValue(x.A, out int cleared))
                {
                    _b.VarSet(cleared, _b.Const(0));
                }
                else
                {
                    _varBar[x.A] = -1;
                }

                return;
            case Op.VarGet:
                if (_bar[i] >= 0)
                {
                    if (_varBarVariables.TryGetValue(x.A, out int variable))
                    {
                        _b.VarAdd(variable, _bar[i]);
                    }
                    else
                    {
                        _varBar[x.A] = _varBar[x.A] < 0 ? _bar[i] : _b.Add(_varBar[x.A], _bar[i]);
                    }
                }

                return;
            case Op.Buf:
                return;
            case Op.BufStore:
                int adjoint = _bufBar[x.B];
                int taken = _b.BufLoad(adjoint, x.Ix!);
                if (x.Value == 0)
                {
                    // The write replaced the element: earlier values of it get no adjoint.
                    _b.BufStore(adjoint, x.Ix!, _b.Const(0), accumulate: false);
                }

                Accumulate(x.A, taken);
                return;
            case Op.BufLoad:
                if (_bar[i] >= 0)
                {
                    _b.BufStore(_bufBar[x.A], x.Ix!, _bar[i], accumulate: true);
                }

                return;
            case Op.Compare or Op.And or Op.Or or Op.Not:
                return;
            case Op.Extern:
                if (_bar[i] >= 0)
                {
                    ExternAdjoint(x, i);
                }

                return;
            default:
                if (_bar[i] >= 0)
                {
                    _b.Name(_bar[i], x.Name is null ? null : x.Name + "Bar");
                    Pull(x, i);
                }

                return;
        }
    }

    /// <summary>Reverses the loop opened at <paramref name="open"/> and closed at <paramref name="close"/>.</summary>
    private void Loop(int open, int close)
    {
        Instr loop = _primal.Body[open];
        _b.Stmt = loop.Stmt;
        _b.Phase = Phase.Adjoint;

        Region region = OpenRegion(open, close);
        _b.For(loop.Name!, loop.Ix!, loop.Ix2!, reversed: loop.Value == 0);
        Side(open + 1, close, open);
        _b.Stmt = loop.Stmt;
        _b.Phase = Phase.Adjoint;
        _b.EndFor();
        CloseRegion(region);
    }

    /// <summary>
    /// Reverses the branch opened at <paramref name="open"/>: the same condition (kept from the
    /// forward sweep) picks the side, whose values are recomputed and then reversed.
    /// </summary>
    private void Branch(int open, int otherwise, int close)
    {
        Instr branch = _primal.Body[open];
        _b.Stmt = branch.Stmt;
        _b.Phase = Phase.Adjoint;
        Region region = OpenRegion(open, close);
        _b.If(_map[branch.A]);
        Side(open + 1, otherwise < 0 ? close : otherwise, open);
        if (otherwise >= 0)
        {
            _b.Stmt = _primal.Body[otherwise].Stmt;
            _b.Phase = Phase.Adjoint;
            _b.Else();
            Side(otherwise + 1, close, open);
        }

        _b.Stmt = branch.Stmt;
        _b.Phase = Phase.Adjoint;
        _b.EndIf();
        CloseRegion(region);
    }

    /// <summary>What a reversed region declared before it opened, to be read back after it closes.</summary>
    private sealed record Region(List<int> Operands, List<int> Variables, bool OwnsT);

    /// <summary>
    /// Before a reversed loop or branch: outside values the body uses collect their adjoints (over all
    /// iterations, or on the side taken) in accumulators, and outside variables the body sets get
    /// their adjoint in a variable, since a set clears it on one side only.
    /// </summary>
    private Region OpenRegion(int open, int close)
    {
        var operands = new List<int>();
        var variables = new List<int>();
        bool readsT = false;
        for (int i = open + 1; i < close; i++)
        {
            Instr x = _primal.Body[i];
            readsT |= x.Op == Op.Input && x.Slot == Slot.T;
            if (x.Op == Op.VarSet && x.A < open && !_varBarVariables.ContainsKey(x.A))
            {
                int bar = VarBar(x.A);
                _varBarVariables[x.A] = _b.Var(bar < 0 ? _b.Const(0) : bar, _primal.Body[x.A].Name is { } vn ? vn + "Bar" : null);
                variables.Add(x.A);
            }

            for (int k = 0; k < x.Arity; k++)
            {
                int operand = x.Operand(k);
                Instr o = _primal.Body[operand];
                if (operand < open && !o.IsCondition && o.Op is not (Op.Const or Op.Var or Op.Buf) && !_accumulators.ContainsKey(operand))
                {
                    _accumulators[operand] = _b.Var(_bar[operand] < 0 ? _b.Const(0) : _bar[operand], o.Name is null ? null : o.Name + "Bar");
                    operands.Add(operand);
                }
            }
        }

        bool ownsT = readsT && _tAccumulator < 0;
        if (ownsT)
        {
            _tAccumulator = _b.Var(_tBar < 0 ? _b.Const(0) : _tBar, "tBar");
        }

        return new Region(operands, variables, ownsT);
    }

    private void CloseRegion(Region region)
    {
        foreach (int operand in region.Operands)
        {
            _bar[operand] = _b.VarGet(_accumulators[operand]);
            _accumulators.Remove(operand);
        }

        foreach (int variable in region.Variables)
        {
            _varBar[variable] = _b.VarGet(_varBarVariables[variable]);
            _varBarVariables.Remove(variable);
        }

        if (region.OwnsT)
        {
            _tBar = _b.VarGet(_tAccumulator);
            _tAccumulator = -1;
        }
    }

    /// <summary>One side of a region (a loop body, a branch): recompute its values, then reverse it.</summary>
    private void Side(int start, int end, int open)
    {
        Recompute(start, end, open);
        for (int i = start; i < end; i++)
        {
            _bar[i] = -1;
            _varBar[i] = -1;
        }

        Block(start, end);
    }

    /// <summary>The adjoint of variable <paramref name="variable"/> as it stands, or -1.</summary>
    private int VarBar(int variable) =>
        _varBarVariables.TryGetValue(variable, out int holder) ? _b.VarGet(holder) : _varBar[variable];

    /// <summary>
    /// The iteration's primal values, recomputed at the top of the reversed body. Writes that outlive
    /// the iteration (outputs, buffers, accumulators declared outside) already hold their final values and are skipped.
    /// </summary>
    private void Recompute(int start, int end, int open)
    {
        for (int i = start; i < end; i++)
        {
            Instr x = _primal.Body[i];
            if (x.Op is Op.Store or Op.BufStore || (x.Op is Op.VarAdd or Op.VarSet && x.A < open))
            {
                continue;
            }

            _b.Stmt = x.Stmt;
            _b.Phase = ReplayPhase(x);

            // A value the forward sweep left in a buffer is read back instead of recomputed (h[i] = tanh(s):
            // the reverse sweep reads h[i]); what only served to compute it then becomes dead code.
            if (_keptBy[i] >= 0 && _keptBy[i] < end)
            {
                Instr store = _primal.Body[_keptBy[i]];
                _map[i] = _b.BufLoad(_map[store.B], store.Ix!);
                continue;
            }
            _map[i] = Simplifier.Copy(_b, x, _map);
            if (_map[i] >= 0 && !x.IsRegion)
            {
                _b.Name(_map[i], x.Name);
            }
        }
    }

    /// <summary>The user's reverse rule adds each argument's adjoint into a variable of its own, passed by ref.</summary>
    private void ExternAdjoint(Instr x, int i)
    {
        int n = x.CallArity;
        if (n < x.Args.Count)
        {
            // Second order: r̄ · ∂F/∂x_k over the partials lowered from the user's forward rule, which differentiate again.
            for (int k = 0; k < n; k++)
            {
                if (!_b.IsConst(_map[x.Args[k]]))
                {
                    Accumulate(x.Args[k], _b.Mul(_bar[i], _map[x.Args[n + k]]));
                }
            }

            return;
        }

        var args = new int[(2 * n) + 1];
        var holders = new int[n];
        for (int k = 0; k < n; k++)
        {
            args[k] = _map[x.Args[k]];
            holders[k] = _b.Var(_b.Const(0), null);
            args[n + 1 + k] = holders[k];
        }

        args[n] = _bar[i];
        _b.ExternVjp(x.Rules!.Split(';')[1], n, args);
        for (int k = 0; k < n; k++)
        {
            if (!_b.IsConst(_map[x.Args[k]]))
            {
                Accumulate(x.Args[k], _b.VarGet(holders[k]));
            }
        }
    }

    /// <summary>Pushes the adjoint of instruction <paramref name="i"/> to its operands (or out, for inputs).</summary>
    private void Pull(Instr x, int i)
    {
        if (x.Op == Op.Input)
        {
            switch (x.Slot)
            {
                case Slot.T:
                    if (_tAccumulator >= 0)
                    {
                        _b.VarAdd(_tAccumulator, _bar[i]);
                    }
                    else
                    {
                        _tBar = _tBar < 0 ? _bar[i] : _b.Add(_tBar, _bar[i]);
                    }

                    break;
                case Slot.Y: _b.Store(Slot.YBar, x.Index, _bar[i], x.Ix); break;
                case Slot.P: _b.Store(Slot.PBar, x.Index, _bar[i], x.Ix); break;
            }

            return;
        }

        int arity = x.Arity;
        var args = new int[arity];
        for (int k = 0; k < arity; k++)
        {
            args[k] = _map[x.Operand(k)];
        }

        for (int k = 0; k < arity; k++)
        {
            int operand = x.Operand(k);
            if (_b.IsConst(_map[operand]))
            {
                continue;
            }

            Accumulate(operand, _b.Mul(_bar[i], DerivativeRules.Partial(_b, x, k, args, _map[i])));
        }
    }

    private void Accumulate(int target, int contribution)
    {
        if (_b.IsConst(contribution, 0))
        {
            return;
        }

        if (_accumulators.TryGetValue(target, out int accumulator))
        {
            _b.VarAdd(accumulator, contribution);
            return;
        }

        _bar[target] = _bar[target] < 0 ? contribution : _b.Add(_bar[target], contribution);
    }

    private static int[] Filled(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = -1;
        }

        return a;
    }
}
