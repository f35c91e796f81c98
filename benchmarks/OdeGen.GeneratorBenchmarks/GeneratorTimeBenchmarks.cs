using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;

namespace OdeGen.GeneratorBenchmarks;

/// <summary>
/// The generator's time per marked method, warm, on an edit inside the method (what the IDE pays per keystroke there),
/// against binding the same file afresh, which the compiler does on that edit anyway. Goal: under 50 ms per method.
/// </summary>
[MemoryDiagnoser]
public class GeneratorTimeBenchmarks
{
    private Harness _harness = null!;

    [Params("Lorenz", "Mlp", "Conv2d")]
    public string Method { get; set; } = "Lorenz";

    [GlobalSetup]
    public void Setup() => _harness = new Harness(Method);

    [Benchmark(Baseline = true)]
    public int BindFile() => _harness.Bind();

    [Benchmark]
    public GeneratorDriver Generate() => _harness.Generate();
}
