using System;
using System.Collections.Generic;
using OdeGen.Generators.Ir;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Appends instructions to a function under construction. Every value passes through
/// <see cref="Peephole"/> (constant folding, zero/one propagation) and <see cref="ValueNumbering"/>
/// (a value computed twice exists once), so derivative code never materializes structural zeros.
/// </summary>
internal sealed class IrBuilder
{
    private readonly List<Instr> _body;
    private ValueNumbering? _known;

    private readonly bool _exact;

    /// <summary>
    /// Creates a builder. With <paramref name="exact"/>, only rewrites that keep every IEEE result
    /// bit for bit are applied (used for Evaluate); otherwise 0·x = 0 and similar are allowed in
    /// derivative code (see <see cref="Exact"/>).
    /// derivative code (see <see cref="Exact"/>). <paramref name="capacity"/> is how many instructions to make room for:
    /// a pass that rebuilds a function passes the old size, so the list does not grow step by step.
    /// </summary>
    public IrBuilder(bool exact, bool single = false, int capacity = 0)
    {
        _exact = exact;
        Single = single;
        _body = new List<Instr>(capacity);
        _known = new ValueNumbering(capacity);
    }

    /// <summary>
    /// Whether only bit-exact rewrites are allowed for the instructions built next: always for an exact builder,
    /// and for the user's own arithmetic (<see cref="Phase.Primal"/>) in every builder, so the f that Jvp returns
    /// and the values the reverse sweep and the Jacobian build on round exactly as the user's method does. The
    /// rewrites that differ from IEEE arithmetic (0·x = 0, x + 0 = x, x·(1/y) = x/y, …) touch derivative code only.
    /// </summary>
    public bool Exact => !DerivativeValues && (_exact || Phase == Phase.Primal);

    /// <summary>
    /// Set while the values built next are derivatives whatever their phase: the partials ∂F/∂x_k the parser lowers from
    /// a forward rule with unit tangents, where a zero tangent is a structural zero (x·0 = 0, not a term of the code).
    /// </summary>
    public bool DerivativeValues { get; set; }

    /// <summary>
    /// Whether values are float. Literals, including folded ones, are rounded to float: folding two
    /// floats in double and rounding once gives the float result exactly for + - * /.
    /// </summary>
    public bool Single { get; }

    /// <summary>The user statement that new instructions are attributed to.</summary>
    public int Stmt { get; set; } = -1;

    /// <summary>The pass that new instructions are attributed to.</summary>
    public Phase Phase { get; set; }

    /// <summary>The copy of an unrolled loop that new instructions are attributed to.</summary>
    public UnrolledCopy? Copy { get; set; }

    /// <summary>The instruction with value id <paramref name="id"/>.</summary>
    public Instr this[int id] => _body[id];

    /// <summary>True when <paramref name="id"/> is the constant <paramref name="value"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public bool IsConst(int id, double value) => _body[id].Op == Op.Const && _body[id].Value.Equals(value);

    /// <summary>True when <paramref name="id"/> is a constant.</summary>
    [MethodImpl(Hot.Optimize)]
    public bool IsConst(int id) => _body[id].Op == Op.Const;

    /// <summary>A literal.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Const(double value) => Intern(Op.Const, -1, -1, -1, Single ? (float)value : value, Fn.None, Slot.None, 0);

    /// <summary>A read of an input slot, at a constant <paramref name="index"/> or at the int expression <paramref name="ix"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Input(Slot slot, int index, IndexExpr? ix = null) => Intern(Op.Input, -1, -1, -1, 0, Fn.None, slot, index, ix);

    /// <summary>A read of the static readonly field <paramref name="name"/> (fully qualified), the method's field number <paramref name="number"/>.</summary>
    public int Field(int number, string name) => Intern(Op.Input, -1, -1, -1, 0, Fn.None, Slot.Field, number, callee: name);

    /// <summary>-a.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Neg(int a) => Peephole.Neg(this, a) ?? Intern(Op.Neg, a, -1, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>a + b.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Add(int a, int b) => Peephole.Add(this, a, b) ?? Intern(Op.Add, a, b, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>a - b.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Sub(int a, int b) => Peephole.Sub(this, a, b) ?? Intern(Op.Sub, a, b, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>a * b.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Mul(int a, int b) => Peephole.Mul(this, a, b) ?? Intern(Op.Mul, a, b, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>a / b.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Div(int a, int b) => Peephole.Div(this, a, b) ?? Intern(Op.Div, a, b, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>A binary arithmetic instruction by opcode.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Binary(Op op, int a, int b) => op switch
    {
        Op.Add => Add(a, b),
        Op.Sub => Sub(a, b),
        Op.Mul => Mul(a, b),
        Op.Div => Div(a, b),
        _ => throw new ArgumentException("not a binary op: " + op),
    };

    /// <summary>A known-function call; unused arguments are -1.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Call(Fn fn, int a, int b = -1, int c = -1) =>
        Peephole.Call(this, fn, a, b) ?? Intern(Op.Call, a, b, c, 0, fn, Slot.None, 0);

    /// <summary>Writes <paramref name="value"/> to <paramref name="slot"/>[<paramref name="index"/>] (or [<paramref name="ix"/>]). Never merged.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Store(Slot slot, int index, int value, IndexExpr? ix = null) =>
        _body.Add(new Instr(Op.Store, value, -1, -1, 0, Fn.None, slot, index, Stmt, Phase, null, ix, Copy: Copy));

    /// <summary>Opens a loop over <paramref name="variable"/> from <paramref name="lo"/> to <paramref name="hi"/> (exclusive), descending when <paramref name="reversed"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public int For(string variable, IndexExpr lo, IndexExpr hi, bool reversed)
    {
        Known.Push();
        return Append(new Instr(Op.For, -1, -1, -1, reversed ? 1 : 0, Fn.None, Slot.None, 0, Stmt, Phase, variable, lo, hi, Copy: Copy));
    }

    /// <summary>Closes the innermost loop.</summary>
    [MethodImpl(Hot.Optimize)]
    public void EndFor()
    {
        Known.Pop();
        Append(new Instr(Op.EndFor, -1, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));
    }

    /// <summary>Opens a branch on <paramref name="condition"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public void If(int condition)
    {
        Known.Push();
        Append(new Instr(Op.If, condition, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));
    }

    /// <summary>Starts the else side of the innermost branch.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Else()
    {
        Known.Pop();
        Known.Push();
        Append(new Instr(Op.Else, -1, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));
    }

    /// <summary>Closes the innermost branch.</summary>
    [MethodImpl(Hot.Optimize)]
    public void EndIf()
    {
        Known.Pop();
        Append(new Instr(Op.EndIf, -1, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));
    }

    /// <summary>Sets <paramref name="variable"/> to <paramref name="value"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public void VarSet(int variable, int value) => Append(new Instr(Op.VarSet, variable, value, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));

    /// <summary>A comparison of two doubles, or (with <paramref name="a"/> = -1) of the int expressions <paramref name="ix"/> and <paramref name="ix2"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Compare(CompareKind kind, int a, int b, IndexExpr? ix = null, IndexExpr? ix2 = null)
    {
        int existing = Known.Find(Op.Compare, Fn.None, a, b, -1, (int)kind, Slot.None, 0, ix, ix2);
        if (existing >= 0)
        {
            return existing;
        }

        int id = Append(new Instr(Op.Compare, a, b, -1, (int)kind, Fn.None, Slot.None, 0, Stmt, Phase, null, ix, ix2, Copy: Copy));
        Known.Add(Op.Compare, Fn.None, a, b, -1, (int)kind, Slot.None, 0, ix, ix2, id);
        return id;
    }

    /// <summary>A logical operator on conditions: <see cref="Op.And"/>, <see cref="Op.Or"/> or <see cref="Op.Not"/> (b = -1).</summary>
    [MethodImpl(Hot.Optimize)]
    public int Logic(Op op, int a, int b = -1) => Intern(op, a, b, -1, 0, Fn.None, Slot.None, 0);

    /// <summary>
    /// A call of the user's function or forward rule <paramref name="method"/> (never merged: it may not be pure); a
    /// non-zero <paramref name="arity"/> says that only the first that many <paramref name="args"/> are passed and the
    /// rest are the function's partial derivatives (<see cref="Instr.CallArity"/>).
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    public int Extern(Op op, string method, int[] args, string? rules = null, int arity = 0) =>
        Append(new Instr(op, -1, -1, -1, 0, Fn.None, Slot.None, arity, Stmt, Phase, null, Args: new EquatableArray<int>(args), Callee: method, Rules: rules, Copy: Copy));

    /// <summary>A call of the user's reverse rule on <paramref name="arity"/> arguments, the result's adjoint and <paramref name="arity"/> variables.</summary>
    [MethodImpl(Hot.Optimize)]
    public void ExternVjp(string method, int arity, int[] args) =>
        Append(new Instr(Op.ExternVjp, -1, -1, -1, 0, Fn.None, Slot.None, arity, Stmt, Phase, null, Args: new EquatableArray<int>(args), Callee: method, Copy: Copy));

    /// <summary>Declares an accumulator initialised to <paramref name="init"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Var(int init, string? name) => Append(new Instr(Op.Var, init, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, name, Copy: Copy));

    /// <summary>Adds <paramref name="value"/> to accumulator <paramref name="variable"/> (nothing for a literal 0).</summary>
    [MethodImpl(Hot.Optimize)]
    public void VarAdd(int variable, int value)
    {
        if (!Exact && IsConst(value, 0))
        {
            return;
        }

        Append(new Instr(Op.VarAdd, variable, value, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));
    }

    /// <summary>The current value of accumulator <paramref name="variable"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public int VarGet(int variable) => Append(new Instr(Op.VarGet, variable, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, Copy: Copy));

    /// <summary>Declares a buffer of <paramref name="size"/> elements (see <see cref="Op.Buf"/>).</summary>
    [MethodImpl(Hot.Optimize)]
    public int Buf(Slot slot, IndexExpr size, string? name, bool zeroed) =>
        Append(new Instr(Op.Buf, -1, -1, -1, zeroed ? 1 : 0, Fn.None, slot, 0, Stmt, Phase, name, size, Copy: Copy));

    /// <summary>Writes (or with <paramref name="accumulate"/>, adds) <paramref name="value"/> to <paramref name="buffer"/>[<paramref name="ix"/>].</summary>
    [MethodImpl(Hot.Optimize)]
    public void BufStore(int buffer, IndexExpr ix, int value, bool accumulate) =>
        Append(new Instr(Op.BufStore, value, buffer, -1, accumulate ? 1 : 0, Fn.None, Slot.None, 0, Stmt, Phase, null, ix, Copy: Copy));

    /// <summary>Reads <paramref name="buffer"/>[<paramref name="ix"/>].</summary>
    [MethodImpl(Hot.Optimize)]
    public int BufLoad(int buffer, IndexExpr ix) => Append(new Instr(Op.BufLoad, buffer, -1, -1, 0, Fn.None, Slot.None, 0, Stmt, Phase, null, ix, Copy: Copy));

    /// <summary>Gives <paramref name="id"/> a readable name unless it has one or is a literal.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Name(int id, string? name)
    {
        Instr instr = _body[id];
        if (name is not null && instr.Name is null && instr.Op != Op.Const)
        {
            _body[id] = instr with { Name = name };

            // The read of an anonymous merge variable (a ?: result) names the variable: double relu = c ? a : b sets relu.
            if (instr.Op == Op.VarGet && _body[instr.A].Name is null)
            {
                _body[instr.A] = _body[instr.A] with { Name = name };
            }
        }
    }

    /// <summary>Finishes the function. The builder is done: building more afterwards is a bug, and throws.</summary>
    [MethodImpl(Hot.Optimize)]
    public IrFunction Build(EquatableArray<string> statements, int userStatements)
    {
        Known.Release();
        _known = null;
        return new(new EquatableArray<Instr>(_body.ToArray()), statements, userStatements, Single);
    }

    private ValueNumbering Known => _known ?? throw new InvalidOperationException("The function was already built.");

    // Every instruction is made with the current Stmt, Phase and Copy (no copy of it to set them afterwards).
    [MethodImpl(Hot.Optimize)]
    private int Append(Instr instr)
    {
        _body.Add(instr);
        return _body.Count - 1;
    }

    [MethodImpl(Hot.Optimize)]
    private int Intern(Op op, int a, int b, int c, double value, Fn fn, Slot slot, int index, IndexExpr? ix = null, string? callee = null)
    {
        int existing = Known.Find(op, fn, a, b, c, value, slot, index, ix, null);
        if (existing >= 0)
        {
            // Derivative code may have computed the user's value first (1 + x·x for Atan's slope, then Sqrt(1 + x·x)
            // as written): from now on it is the user's, and no derivative-only rewrite (FMA contraction, a later
            // simplification) may change it.
            if (Phase == Phase.Primal && _body[existing].Phase != Phase.Primal)
            {
                _body[existing] = _body[existing] with { Phase = Phase.Primal };
            }

            return existing;
        }

        // New code keeps the operand order it was given (the user's order, for readability).
        _body.Add(new Instr(op, a, b, c, value, fn, slot, index, Stmt, Phase, null, ix, Callee: callee, Copy: Copy));
        Known.Add(op, fn, a, b, c, value, slot, index, ix, null, _body.Count - 1);
        return _body.Count - 1;
    }
}
