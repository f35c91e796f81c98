using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using OdeGen.Lanes;

namespace OdeGen.Benchmarks;

/// <summary>
/// The lanes' own Exp, Sin and Cos (LaneMath, exact IEEE operations only, the same bits at every JIT tier) against
/// .NET's Vector512 kernels (MultiplyAddEstimate: fused only in optimized code), 4,096 values in [−10, 10] per call.
/// On hardware without AVX-512 both run as two 256-bit halves.
/// </summary>
public class LaneMathBenchmarks
{
    private double[] _x = [], _y = [];

    /// <summary>The function.</summary>
    [Params("Exp", "Sin", "Cos")]
    public string Function { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _x = new double[4096];
        for (int i = 0; i < _x.Length; i++) _x[i] = random.NextDouble() * 20 - 10;
        _y = new double[_x.Length];
    }

    /// <summary>.NET's vector kernel.</summary>
    [Benchmark(Baseline = true)]
    public void DotNetVector512()
    {
        switch (Function)
        {
            case "Exp": for (int i = 0; i < _x.Length; i += 8) Vector512.Exp(Vector512.Create(_x.AsSpan(i, 8))).CopyTo(_y, i); break;
            case "Sin": for (int i = 0; i < _x.Length; i += 8) Vector512.Sin(Vector512.Create(_x.AsSpan(i, 8))).CopyTo(_y, i); break;
            default: for (int i = 0; i < _x.Length; i += 8) Vector512.Cos(Vector512.Create(_x.AsSpan(i, 8))).CopyTo(_y, i); break;
        }
    }

    /// <summary>Lane512's kernel (LaneMath).</summary>
    [Benchmark]
    public void Lane512Kernel()
    {
        switch (Function)
        {
            case "Exp": for (int i = 0; i < _x.Length; i += 8) Lane512.Store(Lane512.Exp(Lane512.Load(_x, i)), _y, i); break;
            case "Sin": for (int i = 0; i < _x.Length; i += 8) Lane512.Store(Lane512.Sin(Lane512.Load(_x, i)), _y, i); break;
            default: for (int i = 0; i < _x.Length; i += 8) Lane512.Store(Lane512.Cos(Lane512.Load(_x, i)), _y, i); break;
        }
    }
}
