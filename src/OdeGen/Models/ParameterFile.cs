using System.Buffers.Binary;
using System.Text;
using OdeGen.Neural;

namespace OdeGen.Models;

/// <summary>
/// Saves and loads a flat parameter vector with the layout it belongs to, so that a file meant for another model (other
/// slices, other shapes), another format version, or a cut-off file is refused with a message that says which, never
/// misread.
/// </summary>
/// <remarks>
/// Format, version 1, all integers and doubles little-endian:
/// <code>
/// magic     8 bytes   "OdeGenP\0"
/// version   int32     1
/// slices    int32     S
/// S times:  int32 n, n bytes UTF-8 name, int32 rows, int32 columns
/// count     int64     N = Σ rows·columns
/// values    N × float64 (IEEE 754 binary64), in layout order
/// </code>
/// Nothing follows the values. A reader refuses a version it does not know; a later version will add fields after the
/// version number and keep the magic.
/// </remarks>
public static class ParameterFile
{
    /// <summary>The format version this code writes.</summary>
    public const int Version = 1;

    private static ReadOnlySpan<byte> Magic => "OdeGenP\0"u8;

    /// <summary>The longest slice name a file holds, in UTF-8 bytes (a reader takes a longer length for damage).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Writes <paramref name="parameters"/> and its <paramref name="layout"/> to the file at <paramref name="path"/> (replaced if it exists).</summary>
    /// <exception cref="ArgumentException">The vector's length differs from the layout's count, or a slice's name is longer than <see cref="MaxNameBytes"/>; the file is then left as it was.</exception>
    public static void Save(string path, ParameterLayout layout, ReadOnlySpan<double> parameters)
    {
        // Checked before File.Create, which empties an existing file: a refused save once destroyed the last good one.
        CheckSavable(layout, parameters);
        using FileStream stream = File.Create(path);
        Save(stream, layout, parameters);
    }

    /// <summary>Writes <paramref name="parameters"/> and its <paramref name="layout"/> to <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">The vector's length differs from the layout's count, or a slice's name is longer than <see cref="MaxNameBytes"/>; nothing is then written.</exception>
    public static void Save(Stream stream, ParameterLayout layout, ReadOnlySpan<double> parameters)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckSavable(layout, parameters);
        Span<byte> word = stackalloc byte[8];
        stream.Write(Magic);
        WriteInt32(stream, Version, word);
        WriteInt32(stream, layout.Slices.Count, word);
        foreach (ParameterSlice s in layout.Slices)
        {
            byte[] name = Encoding.UTF8.GetBytes(s.Name);
            WriteInt32(stream, name.Length, word);
            stream.Write(name);
            WriteInt32(stream, s.Rows, word);
            WriteInt32(stream, s.Columns, word);
        }

        BinaryPrimitives.WriteInt64LittleEndian(word, layout.Count);
        stream.Write(word);
        foreach (double v in parameters)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(word, v);
            stream.Write(word);
        }
    }

    /// <summary>Reads the parameters saved at <paramref name="path"/>, checking that they were saved with <paramref name="expected"/>'s slices and shapes.</summary>
    /// <exception cref="InvalidDataException">Not a parameter file, an unknown version, another layout, or a truncated file: the message says which.</exception>
    public static double[] Load(string path, ParameterLayout expected)
    {
        using FileStream stream = File.OpenRead(path);
        return Load(stream, expected);
    }

    /// <summary>Reads parameters from <paramref name="stream"/>, checking them against <paramref name="expected"/>.</summary>
    /// <exception cref="InvalidDataException">Not a parameter file, an unknown version, another layout, or a truncated stream: the message says which.</exception>
    public static double[] Load(Stream stream, ParameterLayout expected)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(expected);
        Span<byte> word = stackalloc byte[8];
        if (!TryRead(stream, word) || !word.SequenceEqual(Magic))
            throw new InvalidDataException("This is not an OdeGen parameter file: it does not start with the bytes \"OdeGenP\\0\".");
        int version = ReadInt32(stream, word, "the version");
        if (version != Version)
            throw new InvalidDataException($"The parameter file has format version {version}; this OdeGen reads version {Version} only.");
        int slices = ReadInt32(stream, word, "the number of slices");
        if (slices != expected.Slices.Count)
            throw new InvalidDataException($"The parameter file holds {slices} slices; the model's layout has {expected.Slices.Count} ({Describe(expected)}).");
        for (int i = 0; i < slices; i++)
        {
            ParameterSlice want = expected.Slices[i];
            int length = ReadInt32(stream, word, $"the name of slice {i}");
            if (length < 0 || length > MaxNameBytes) throw new InvalidDataException($"The parameter file is damaged: slice {i}'s name claims {length} bytes.");
            byte[] bytes = new byte[length];
            if (!TryRead(stream, bytes)) throw Truncated($"the name of slice {i}");
            string name = Encoding.UTF8.GetString(bytes);
            int rows = ReadInt32(stream, word, $"the shape of slice '{name}'"), columns = ReadInt32(stream, word, $"the shape of slice '{name}'");
            if (name != want.Name || rows != want.Rows || columns != want.Columns)
                throw new InvalidDataException(
                    $"The parameter file does not fit this model: its slice {i} is '{name}' [{rows}×{columns}], the model's is '{want.Name}' [{want.Rows}×{want.Columns}].");
        }

        if (!TryRead(stream, word)) throw Truncated("the number of values");
        long count = BinaryPrimitives.ReadInt64LittleEndian(word);
        if (count != expected.Count)
            throw new InvalidDataException($"The parameter file is damaged: it declares {count} values where its slices hold {expected.Count}.");
        double[] values = new double[count];
        for (int k = 0; k < values.Length; k++)
        {
            if (!TryRead(stream, word)) throw new InvalidDataException($"The parameter file is truncated: it ends after {k} of its {count} values.");
            values[k] = BinaryPrimitives.ReadDoubleLittleEndian(word);
        }

        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"The parameter file is damaged: bytes follow its {count} values.");
        return values;
    }

    private static string Describe(ParameterLayout layout) =>
        string.Join(", ", layout.Slices.Select(s => $"'{s.Name}' [{s.Rows}×{s.Columns}]"));

    // What Save refuses before it writes anything: a file Load would refuse (a name too long) or that would not fit the layout.
    private static void CheckSavable(ParameterLayout layout, ReadOnlySpan<double> parameters)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (parameters.Length != layout.Count)
            throw new ArgumentException($"parameters has {parameters.Length} entries; the layout has {layout.Count}.", nameof(parameters));
        foreach (ParameterSlice s in layout.Slices)
        {
            int bytes = Encoding.UTF8.GetByteCount(s.Name);
            if (bytes > MaxNameBytes)
                throw new ArgumentException($"Slice '{s.Name[..32]}…' has a name of {bytes} UTF-8 bytes; a parameter file holds names of at most {MaxNameBytes}.", nameof(layout));
        }
    }

    private static InvalidDataException Truncated(string what) => new($"The parameter file is truncated: it ends in {what}.");

    private static void WriteInt32(Stream stream, int value, Span<byte> word)
    {
        BinaryPrimitives.WriteInt32LittleEndian(word, value);
        stream.Write(word[..4]);
    }

    private static int ReadInt32(Stream stream, Span<byte> word, string what)
    {
        if (!TryRead(stream, word[..4])) throw Truncated(what);
        return BinaryPrimitives.ReadInt32LittleEndian(word);
    }

    private static bool TryRead(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
