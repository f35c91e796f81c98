using System.Globalization;
using System.Text;

namespace OdeGen.Latent;

/// <summary>
/// Reads and writes irregularly sampled series as CSV: a header line, then one row per observation,
/// <c>series id, time, value_1 … value_D, mask_1 … mask_D</c> (docs/latent-ode.md). Lines starting with <c>#</c> and
/// blank lines are skipped. Numbers use the invariant culture (a dot for decimals). A mask is 0 or 1; a value whose mask
/// is 0 may be empty or NaN. Rows of one series may be spread through the file but their times must increase
/// strictly; series keep the order in which their ids first appear.
/// </summary>
public static class IrregularSeriesCsv
{
    /// <summary>Loads the series in the file at <paramref name="path"/>.</summary>
    /// <exception cref="IrregularSeriesCsvException">The file is malformed; the message names the line and the reason.</exception>
    public static IReadOnlyList<IrregularSeries> Load(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads series from <paramref name="reader"/>; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="IrregularSeriesCsvException">The text is malformed; the message names the line and the reason.</exception>
    public static IReadOnlyList<IrregularSeries> Read(TextReader reader, string source = "csv")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var builders = new Dictionary<string, Builder>(StringComparer.Ordinal);
        var order = new List<Builder>();
        int features = -1, lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            string[] fields = trimmed.Split(',');
            if (features < 0)
            {
                if (fields.Length < 4 || fields.Length % 2 != 0)
                    throw new IrregularSeriesCsvException(source, lineNumber,
                        $"the header has {fields.Length} columns; expected id, time, then D value columns and D mask columns (an even number, at least 4)");
                features = (fields.Length - 2) / 2;
                continue;
            }

            if (fields.Length != 2 + (2 * features))
                throw new IrregularSeriesCsvException(source, lineNumber, $"{fields.Length} columns, but the header has {2 + (2 * features)} (id, time, {features} values, {features} masks)");
            string id = fields[0].Trim();
            if (id.Length == 0) throw new IrregularSeriesCsvException(source, lineNumber, "the series id (column 1) is empty");
            double time = Number(fields[1], source, lineNumber, "time (column 2)");
            if (!double.IsFinite(time)) throw new IrregularSeriesCsvException(source, lineNumber, $"time (column 2) is {fields[1].Trim()}; times must be finite");
            if (!builders.TryGetValue(id, out Builder? b))
            {
                b = new Builder(id);
                builders.Add(id, b);
                order.Add(b);
            }
            else if (!(time > b.Times[^1]))
            {
                throw new IrregularSeriesCsvException(source, lineNumber,
                    $"time {fields[1].Trim()} of series '{id}' is not after its previous time {b.Times[^1].ToString("R", CultureInfo.InvariantCulture)} (line {b.LastLine}); times of a series must increase strictly");
            }

            b.Times.Add(time);
            b.LastLine = lineNumber;
            for (int q = 0; q < features; q++)
            {
                int maskColumn = 2 + features + q, valueColumn = 2 + q;
                double m = Number(fields[maskColumn], source, lineNumber, $"mask {q + 1} (column {maskColumn + 1})");
                if (m != 0.0 && m != 1.0)
                    throw new IrregularSeriesCsvException(source, lineNumber, $"mask {q + 1} (column {maskColumn + 1}) is {fields[maskColumn].Trim()}; a mask is 0 or 1");
                string raw = fields[valueColumn].Trim();
                double v = m == 0.0 && raw.Length == 0 ? 0.0 : Number(raw, source, lineNumber, $"value {q + 1} (column {valueColumn + 1})");
                if (m == 1.0 && !double.IsFinite(v))
                    throw new IrregularSeriesCsvException(source, lineNumber, $"value {q + 1} (column {valueColumn + 1}) is {raw} but its mask is 1; an observed value must be finite (set its mask to 0 if it is missing)");
                b.Values.Add(m == 1.0 ? v : 0.0);
                b.Mask.Add(m);
            }
        }

        if (features < 0) throw new IrregularSeriesCsvException(source, lineNumber, "no header line (id, time, values…, masks…) was found");
        if (order.Count == 0) throw new IrregularSeriesCsvException(source, lineNumber, "the file has a header but no observations");
        var result = new IrregularSeries[order.Count];
        for (int s = 0; s < order.Count; s++)
        {
            Builder b = order[s];
            result[s] = new IrregularSeries(b.Id, b.Times.ToArray(), b.Values.ToArray(), b.Mask.ToArray(), features);
        }

        return result;
    }

    /// <summary>Writes <paramref name="series"/> in the format <see cref="Load"/> reads (missing values as empty fields).</summary>
    /// <exception cref="ArgumentException">No series, different feature counts, two series with one id, or an id or feature
    /// name that would not read back as written (checked before the file is created).</exception>
    public static void Save(string path, IReadOnlyList<IrregularSeries> series, IReadOnlyList<string>? featureNames = null)
    {
        CheckWritable(series, featureNames);
        using var writer = new StreamWriter(path);
        Write(writer, series, featureNames);
    }

    /// <summary>Writes <paramref name="series"/> as CSV to <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Save"/>, checked before anything is written.</exception>
    public static void Write(TextWriter writer, IReadOnlyList<IrregularSeries> series, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int d = CheckWritable(series, featureNames);
        var header = new StringBuilder("id,time");
        for (int q = 0; q < d; q++) header.Append(',').Append(featureNames?[q] ?? $"x{q + 1}");
        for (int q = 0; q < d; q++) header.Append(",mask_").Append(featureNames?[q] ?? $"x{q + 1}");
        writer.WriteLine(header.ToString());
        var row = new StringBuilder();
        foreach (IrregularSeries s in series)
        {
            for (int i = 0; i < s.Count; i++)
            {
                row.Clear().Append(s.Id).Append(',').Append(s.Times[i].ToString("R", CultureInfo.InvariantCulture));
                for (int q = 0; q < d; q++)
                {
                    row.Append(',');
                    if (s.Mask[(i * d) + q] == 1.0) row.Append(s.Values[(i * d) + q].ToString("R", CultureInfo.InvariantCulture));
                }

                for (int q = 0; q < d; q++) row.Append(',').Append(s.Mask[(i * d) + q] == 1.0 ? '1' : '0');
                writer.WriteLine(row.ToString());
            }
        }
    }

    // What Write can write so that Read gives back the same series; returns the feature count. Checked before a line is
    // written, so a refused call leaves no half-written file.
    private static int CheckWritable(IReadOnlyList<IrregularSeries> series, IReadOnlyList<string>? featureNames)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("There are no series to write.", nameof(series));
        int d = (series[0] ?? throw new ArgumentException("series[0] is null.", nameof(series))).FeatureCount;
        if (featureNames is not null && featureNames.Count != d)
            throw new ArgumentException($"featureNames has {featureNames.Count} names for {d} features.", nameof(featureNames));
        if (featureNames is not null)
        {
            for (int q = 0; q < d; q++) CheckField(featureNames[q], $"Feature name {q + 1}", nameof(featureNames), isId: false);
        }

        // Two series with one id would be read back as one (their rows merged, or refused when the times interleave).
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < series.Count; j++)
        {
            IrregularSeries s = series[j] ?? throw new ArgumentException($"series[{j}] is null.", nameof(series));
            if (s.FeatureCount != d) throw new ArgumentException($"Series '{s.Id}' has {s.FeatureCount} features, the first has {d}.", nameof(series));
            CheckField(s.Id, "Series id", nameof(series), isId: true);
            if (!ids.Add(s.Id)) throw new ArgumentException($"Two series have the id '{s.Id}': the CSV would read them back as one.", nameof(series));
        }

        return d;
    }

    // A field Read gives back unchanged: no comma or line break (they would split it); an id also not empty (Read refuses an
    // empty id), without surrounding white space (Read trims it), and not starting with '#' (Read skips the line as a comment).
    private static void CheckField(string? text, string what, string parameter, bool isId)
    {
        string? problem = text is null ? "is null"
            : text.AsSpan().IndexOfAny(",\r\n") >= 0 ? "contains a comma or a line break"
            : !isId ? null
            : text.Length == 0 ? "is empty"
            : text[0] == '#' ? "starts with '#', which marks a comment line"
            : text.Trim().Length != text.Length ? "starts or ends with white space, which reading trims"
            : null;
        if (problem is not null) throw new ArgumentException($"{what} '{text}' {problem}: the CSV could not be read back as written.", parameter);
    }

    private static double Number(string field, string source, int line, string what)
    {
        string text = field.Trim();
        if (text.Length == 0) throw new IrregularSeriesCsvException(source, line, $"{what} is empty");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new IrregularSeriesCsvException(source, line, $"{what} is '{text}', which is not a number");
        return value;
    }

    private sealed class Builder(string id)
    {
        public string Id { get; } = id;
        public List<double> Times { get; } = [];
        public List<double> Values { get; } = [];
        public List<double> Mask { get; } = [];
        public int LastLine { get; set; }
    }
}

/// <summary>A malformed irregular-series CSV: <see cref="Line"/> is the 1-based line and <see cref="Reason"/> what is wrong.</summary>
public sealed class IrregularSeriesCsvException : FormatException
{
    /// <summary>Creates the exception for <paramref name="line"/> of <paramref name="source"/>.</summary>
    public IrregularSeriesCsvException(string source, int line, string reason)
        : base($"{source}, line {line}: {reason}.")
    {
        Source = source;
        Line = line;
        Reason = reason;
    }

    /// <summary>The 1-based line number.</summary>
    public int Line { get; }

    /// <summary>What is wrong with the line.</summary>
    public string Reason { get; }
}
