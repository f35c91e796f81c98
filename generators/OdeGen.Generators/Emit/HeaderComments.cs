using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints the user statement above each group of lines derived from it (<c>// …</c>, or
/// <c>// adjoint of: …</c> in the reverse sweep), with a blank line between groups; shared by the scalar
/// and lane emitters so both read as the same worked derivation. Each copy of an unrolled loop is headed by
/// its index (<c>// k = 1</c>), the first under the loop's own statement. A statement without lines of its own
/// (a declaration, a value printed inside a later line, a branch that unrolling decided) gets no heading.
/// </summary>
internal sealed class HeaderComments
{
    private readonly IrFunction _function;
    private (int Stmt, bool Adjoint, UnrolledCopy? Copy) _group = (-1, false, null);
    private UnrolledCopy? _copy;
    private bool _first = true;

    /// <summary>The unrolled loops whose statement has been printed (a forward sweep's and a reverse sweep's apart).</summary>
    private readonly HashSet<(int Loop, Phase Phase)> _announced = new();

    /// <summary>Creates the printer for <paramref name="function"/>.</summary>
    public HeaderComments(IrFunction function) => _function = function;

    /// <summary>
    /// Writes the header of <paramref name="x"/>'s statement if it starts a new group. A branch side's closing set
    /// of a variable (<paramref name="inlined"/>: the value it prints, when that is printed inside it) is headed by the
    /// statement that computed the value, not by the side's last statement.
    /// </summary>
    public void Before(IndentedWriter writer, Instr x, Instr? inlined = null)
    {
        if (x.Op == Op.VarSet && inlined is { Stmt: >= 0 } value && value.Phase == x.Phase)
        {
            x = x with { Stmt = value.Stmt };
        }

        bool adjoint = x.Phase == Phase.Adjoint;
        var key = (x.Stmt, adjoint, x.Copy);
        if (key != _group && x.Stmt >= 0)
        {
            if (!_first)
            {
                writer.Line();
            }

            string prefix = adjoint ? "// adjoint of: " : "// ";
            bool labelled = false;
            if (x.Copy is { } copy && copy != _copy)
            {
                if (_announced.Add((copy.Loop, copy.Phase)))
                {
                    writer.Line((copy.Phase == Phase.Adjoint ? "// adjoint of: " : "// ") + _function.Statements[copy.Loop] + ", unrolled:");
                }

                writer.Line("// " + copy.Label);
                labelled = true;
            }

            if (!(labelled && x.Stmt == x.Copy!.Loop))
            {
                writer.Line(prefix + _function.Statements[x.Stmt]);
            }
        }

        _group = key;
        _copy = x.Copy;
        _first = false;
    }

    /// <summary>A block was opened: its first group gets no blank line above it.</summary>
    public void BlockOpened()
    {
        _group = (-1, false, null);
        _first = true;
    }

    /// <summary>A block was closed: the next line starts a new group.</summary>
    public void BlockClosed() => _group = (-1, false, null);
}
