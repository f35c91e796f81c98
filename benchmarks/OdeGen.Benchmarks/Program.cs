using BenchmarkDotNet.Running;

// Run all suites:            dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --filter '*'
// One suite, short job:      dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --filter '*Derivative*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point holder (top-level statements).</summary>
public partial class Program;
