using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace OdeGen.Benchmarks;

/// <summary>
/// A column computed from the benchmark case itself (method name and parameters) in the host process, e.g. the
/// steps and function evaluations of a solve, which are deterministic and so need no timing run to know.
/// </summary>
public sealed class InfoColumn(string name, Func<BenchmarkCase, string> value) : IColumn
{
    /// <inheritdoc/>
    public string Id => "OdeGen." + name;
    /// <inheritdoc/>
    public string ColumnName => name;
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public int PriorityInCategory => 0;
    /// <inheritdoc/>
    public bool IsNumeric => false;
    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;
    /// <inheritdoc/>
    public string Legend => $"{name} of one operation (deterministic; computed outside the timed runs)";
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(benchmarkCase);
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(benchmarkCase);
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The benchmark method's name.</summary>
    public static string Method(BenchmarkCase c) => c.Descriptor.WorkloadMethod.Name;

    /// <summary>The value of parameter <paramref name="name"/> (or default when absent).</summary>
    public static T Param<T>(BenchmarkCase c, string name, T fallback = default!) =>
        c.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value is T v ? v : fallback;
}
