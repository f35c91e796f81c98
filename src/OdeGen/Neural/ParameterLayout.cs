namespace OdeGen.Neural;

/// <summary>
/// Names the pieces of one flat parameter vector: a model's weights and biases live in a single
/// <c>double[]</c> (the <c>p</c> an <see cref="IOdeSystem"/> receives and the vector optimizers update), and the
/// layout hands out named, shaped slices of it. Slices are laid out in the order they are added, each
/// row-major, so a matrix added as (rows = out, columns = in) matches PyTorch's <c>Linear.weight</c> [out][in].
/// </summary>
public sealed class ParameterLayout
{
    private readonly List<ParameterSlice> _slices = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);

    /// <summary>Total number of parameters (the length of the flat vector).</summary>
    public int Count { get; private set; }

    /// <summary>The slices in layout order.</summary>
    public IReadOnlyList<ParameterSlice> Slices => _slices;

    /// <summary>The slice called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No slice has that name.</exception>
    public ParameterSlice this[string name] =>
        _byName.TryGetValue(name, out int i) ? _slices[i] : throw new KeyNotFoundException($"The layout has no slice named '{name}'.");

    /// <summary>Appends a vector slice of <paramref name="length"/> entries (a bias) and returns it.</summary>
    /// <exception cref="ArgumentException">The name is taken or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative.</exception>
    public ParameterSlice AddVector(string name, int length) => Add(name, length, 1);

    /// <summary>Appends a row-major matrix slice (a weight, [rows][columns]) and returns it.</summary>
    /// <exception cref="ArgumentException">The name is taken or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or the layout would outgrow an array.</exception>
    public ParameterSlice AddMatrix(string name, int rows, int columns) => Add(name, rows, columns);

    /// <summary>A zero vector of length <see cref="Count"/>.</summary>
    public double[] CreateVector() => new double[Count];

    private ParameterSlice Add(string name, int rows, int columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (_byName.ContainsKey(name)) throw new ArgumentException($"The layout already has a slice named '{name}'.", nameof(name));
        // Checked before the slice is added, so a refused slice leaves the layout as it was (and the vector fits an array).
        long total = Count + ((long)rows * columns);
        if (total > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rows),
                $"Slice '{name}' [{rows}×{columns}] would make the layout {total} parameters long; a parameter vector holds at most {Array.MaxLength}.");
        }

        var slice = new ParameterSlice(name, Count, rows, columns);
        _byName.Add(name, _slices.Count);
        _slices.Add(slice);
        Count = (int)total;
        return slice;
    }
}

/// <summary>
/// A named, shaped window into a flat parameter vector (see <see cref="ParameterLayout"/>): entries
/// [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Length"/>), row-major with <see cref="Columns"/> per row.
/// A vector slice has one column.
/// </summary>
/// <param name="Name">The slice's name (e.g. "W1").</param>
/// <param name="Offset">Index of its first entry in the flat vector.</param>
/// <param name="Rows">Number of rows (a vector's length).</param>
/// <param name="Columns">Number of columns (1 for a vector).</param>
public readonly record struct ParameterSlice(string Name, int Offset, int Rows, int Columns)
{
    /// <summary>Number of entries.</summary>
    public int Length => Rows * Columns;

    /// <summary>Index in the flat vector of entry (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The entry lies outside the slice (it would name another slice's entry).</exception>
    public int Index(int row, int column)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Slice {Name} has {Rows} rows (0 … {Rows - 1}).");
        if ((uint)column >= (uint)Columns)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"Slice {Name} has {Columns} columns (0 … {Columns - 1}).");
        return Offset + row * Columns + column;
    }

    /// <summary>This slice of <paramref name="parameters"/>, writable.</summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> ends before the slice does (it is not the layout's vector).</exception>
    public Span<double> Of(Span<double> parameters) => parameters.Slice(Offset, Reach(parameters.Length));

    /// <summary>This slice of <paramref name="parameters"/>, read-only.</summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> ends before the slice does.</exception>
    public ReadOnlySpan<double> Of(ReadOnlySpan<double> parameters) => parameters.Slice(Offset, Reach(parameters.Length));

    /// <summary>This slice of <paramref name="parameters"/> (an array, so the call is not ambiguous).</summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> ends before the slice does.</exception>
    public Span<double> Of(double[] parameters) => parameters.AsSpan(Offset, Reach((parameters ?? throw new ArgumentNullException(nameof(parameters))).Length));

    // The slice's length, once a vector of `length` entries is known to hold it (Span.Slice said only "Specified argument was out of range").
    private int Reach(int length) =>
        (long)Offset + Length <= length
            ? Length
            : throw new ArgumentException($"Slice {Name} is entries {Offset} … {(long)Offset + Length - 1} of the layout's vector, but parameters has {length}; pass the whole vector (ParameterLayout.Count entries).", "parameters");
}
