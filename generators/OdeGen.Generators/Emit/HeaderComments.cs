using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints the user statement above each group of lines derived from it (<c>// …</c>, or
/// <c>// adjoint of: …</c> in the reverse sweep), with a blank line between groups; shared by the scalar
/// and lane emitters so both read as the same worked derivation.
/// </summary>
internal sealed class HeaderComments
{
    private readonly IrFunction _function;
    private (int Stmt, bool Adjoint) _group = (-1, false);
    private bool _first = true;
    private int _lastUserStatement = -1;

    /// <summary>
    /// Creates the printer for <paramref name="function"/>; a printer of part of it starts after the user
    /// statement <paramref name="lastUserStatement"/>, which the rest of the method has listed.
    /// </summary>
    public HeaderComments(IrFunction function, int lastUserStatement = -1)
    {
        _function = function;
        _lastUserStatement = lastUserStatement;
    }

    /// <summary>Writes the header of <paramref name="x"/>'s statement if it starts a new group.</summary>
    public void Before(IndentedWriter writer, Instr x)
    {
        var key = (x.Stmt, x.Phase == Phase.Adjoint);
        if (key != _group && x.Stmt >= 0)
        {
            if (!_first)
            {
                writer.Line();
            }

            string prefix = x.Phase == Phase.Adjoint ? "// adjoint of: " : "// ";
            if (x.Phase != Phase.Adjoint && x.Stmt < _function.UserStatements)
            {
                // Statements whose own code was folded into this one's (overwritten stores, inlined
                // values) are still part of the derivation: list them above it, in source order.
                for (int s = _lastUserStatement + 1; s < x.Stmt; s++)
                {
                    writer.Line(prefix + _function.Statements[s]);
                }

                _lastUserStatement = System.Math.Max(_lastUserStatement, x.Stmt);
            }

            writer.Line(prefix + _function.Statements[x.Stmt]);
        }

        _group = key;
        _first = false;
    }

    /// <summary>
    /// The branch's else side opens, or is left out as empty: the user's <c>else</c> is the code's own keyword (or
    /// nothing), never a heading above the code that follows. Statements skipped before it had no code of their own.
    /// </summary>
    public void Else(Instr x)
    {
        if (x.Stmt >= 0 && x.Stmt < _function.UserStatements)
        {
            _lastUserStatement = System.Math.Max(_lastUserStatement, x.Stmt);
        }
    }

    /// <summary>A block was opened: its first group gets no blank line above it.</summary>
    public void BlockOpened()
    {
        _group = (-1, false);
        _first = true;
    }

    /// <summary>A block was closed: the next line starts a new group.</summary>
    public void BlockClosed() => _group = (-1, false);
}
