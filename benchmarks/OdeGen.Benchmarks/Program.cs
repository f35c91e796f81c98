using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using OdeGen.Benchmarks;

// All suites (one class per topic: Derivative, Solve, Gradient, Ensemble, NeuralTraining):
//   dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --filter '*'
// One suite:
//   dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --filter '*LorenzSolveBenchmarks*'
// Quick mode (every suite in well under two minutes; in-process, 4 warm-ups and 5 iterations of ~100 ms; noisy):
//   dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --quick --filter '*'
// Side by side with SUNDIALS CVODES and Boost.Odeint (what benchmarks/run-peers.sh calls):
//   dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- peers [--peer-results FILE] [--quick]
if (args.Length > 0 && args[0] == "peers") return PeerMode.Run(args[1..]);
// The classifier's convolutions and GroupNorms one at a time, processor time (beside odenet_torch.py --profile):
//   dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- classifier-ops [--channels 64] [--repeats 9]
if (args.Length > 0 && args[0] == "classifier-ops") return ClassifierOpsMode.Run(args[1..]);

IConfig? config = null;
if (args.Contains("--quick"))
{
    args = args.Where(a => a != "--quick").ToArray();
    config = DefaultConfig.Instance.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1).WithWarmupCount(4).WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(100))
        .WithId("Quick"));
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;

/// <summary>Entry point holder (top-level statements).</summary>
public partial class Program;
