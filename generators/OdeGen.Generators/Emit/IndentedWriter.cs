using System.Text;

namespace OdeGen.Generators.Emit;

/// <summary>Writes lines of C# with four-space indentation and '\n' line ends on every platform.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;

    /// <summary>Creates a writer that starts at indentation <paramref name="depth"/> (for text appended to another writer later).</summary>
    public IndentedWriter(int depth = 0) => _depth = depth;

    /// <summary>The current indentation level.</summary>
    public int Depth => _depth;

    /// <summary>Appends what <paramref name="other"/> wrote, as it is.</summary>
    public IndentedWriter Append(IndentedWriter other)
    {
        _text.Append(other._text);
        return this;
    }

    /// <summary>Writes one line at the current indentation (an empty line has no indentation).</summary>
    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _depth * 4).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> if given, then "{", and indents.</summary>
    public IndentedWriter Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _depth++;
        return this;
    }

    /// <summary>Unindents and writes "}".</summary>
    public IndentedWriter Close()
    {
        _depth--;
        return Line("}");
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();
}
