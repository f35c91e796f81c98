using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>Derives the four generated methods from the primal IR.</summary>
internal static class SystemDifferentiator
{
    /// <summary>
    /// Builds Evaluate, Jvp, Vjp and Jacobian (unsimplified apart from local peepholes). They call the user's derivative
    /// rules, unless <paramref name="keepPartials"/> asks for the code the second-order methods differentiate again
    /// (<see cref="CustomPartials"/>).
    /// </summary>
    public static SystemIr Differentiate(SystemModel model, bool keepPartials = false)
    {
        // Reverse mode relies on one store per output; dead stores go first.
        IrFunction primal = DeadCode.Eliminate(keepPartials ? model.Primal : CustomPartials.Strip(model.Primal));
        if (model.Header.Kind == TargetKind.Function)
        {
            return Function(model.Header, primal);
        }

        // With loops or buffers the sizes may be known only at run time; the emitter then builds the
        // Jacobian row by row from Vjp (rows are contiguous in the row-major layout, and n is small).
        bool structured = primal.Body.Any(x => x.Op is Op.For or Op.Buf or Op.Extern);

        // A large system's Jacobian as straight-line columns would hold n + m copies of the tangent code (a
        // 5,000-statement chain over 10 states: 27 MB of C# and more locals than the CLR allows); it is built
        // from Vjp rows then, as for loops: the code of one Vjp, run n times.
        bool large = (long)primal.Body.Count * (model.Header.States + model.Header.Parameters) > MaxJacobianInstructions;
        return new SystemIr(
            model.Header,
            primal,
            ForwardMode.Jvp(primal),
            ReverseMode.Vjp(primal),
            structured || large ? null : Jacobian(primal, model.Header.States, model.Header.Parameters));
    }

    /// <summary>
    /// A function's methods: the same forward and reverse modes (x is the dynamics' y, the output y their dydt, and
    /// there is no t). Its Vjp returns nothing, and its primal code's output length is a's there, the only span of
    /// that length Vjp takes; no Jacobian. Its Hvp (SecondOrder = true) is derived from this Vjp as a system's is.
    /// </summary>
    private static SystemIr Function(SystemHeader header, IrFunction primal)
    {
        IrFunction vjp = ReverseMode.Vjp(primal);
        Instr last = vjp.Body[vjp.Body.Count - 1];
        if (last.Op != Op.Store || last.Slot != Slot.Return)
        {
            throw new System.InvalidOperationException("reverse mode did not end in the return of t's adjoint");
        }

        // Without t the adjoint of t is the constant 0 the Vjp of a system returns; a function's Vjp is void.
        var body = new Instr[vjp.Body.Count - 1];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = vjp.Body[i];
        }

        vjp = SpanNames.OutputLengthAsA(vjp with { Body = new EquatableArray<Instr>(body) });
        return new SystemIr(header, primal, ForwardMode.Jvp(primal), vjp, null);
    }

    /// <summary>
    /// The most instructions (the primal's, times the number of states plus parameters) for which the Jacobian is
    /// written out column by column; beyond, it is built from Vjp rows.
    /// </summary>
    internal const int MaxJacobianInstructions = 40_000;

    /// <summary>
    /// Dense Jacobians by forward mode, one column per input with a literal unit seed, so the
    /// peepholes turn zero columns into plain 0 stores and shared work is merged across columns.
    /// </summary>
    private static IrFunction Jacobian(IrFunction primal, int n, int m)
    {
        var b = new IrBuilder(exact: false, primal.Single);
        var map = new int[primal.Body.Count];
        var outputs = new int[n];
        for (int i = 0; i < primal.Body.Count; i++)
        {
            Instr x = primal.Body[i];
            b.Stmt = x.Stmt;
            map[i] = x.Op == Op.Store ? -1 : Simplifier.Copy(b, x, map);
            if (x.Op == Op.Store)
            {
                outputs[x.Index] = i;
            }
            else
            {
                b.Name(map[i], x.Name);
            }
        }

        var statements = new List<string>(primal.Statements);
        Columns(b, primal, map, outputs, statements, Slot.Y, n, Slot.Dfdy, n, "dy");
        Columns(b, primal, map, outputs, statements, Slot.P, m, Slot.Dfdp, m, "dp");
        return b.Build(statements.ToEquatableArray(), primal.UserStatements);
    }

    private static void Columns(IrBuilder b, IrFunction primal, int[] map, int[] outputs, List<string> statements,
        Slot input, int count, Slot target, int stride, string suffix)
    {
        for (int j = 0; j < count; j++)
        {
            int column = j;
            int[] dot = ForwardMode.Tangents(b, primal, map, (bb, slot, index, _) => slot == input && index == column ? bb.Const(1) : -1, "_" + suffix + j);
            statements.Add($"column {j} of {(target == Slot.Dfdy ? "dfdy" : "dfdp")}: ∂f/∂{(input == Slot.Y ? "y" : "p")}[{j}]");
            b.Stmt = statements.Count - 1;
            b.Phase = Phase.Primal;
            for (int i = 0; i < outputs.Length; i++)
            {
                int d = dot[primal.Body[outputs[i]].A];
                b.Store(target, (i * stride) + j, d < 0 ? b.Const(0) : d);
            }
        }
    }
}
