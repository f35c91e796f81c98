using BenchmarkDotNet.Running;
using OdeGen.GeneratorBenchmarks;

// The generator's time per marked method (BenchmarkDotNet, ratio to binding the file):
//   dotnet run -c Release --project benchmarks/OdeGen.GeneratorBenchmarks -- --filter '*'
// The driver's own step timings (median over warm runs of each tracked step: parse, differentiate, simplify, emit;
// Parse includes binding the method, which the compiler would otherwise do later for its own diagnostics):
//   dotnet run -c Release --project benchmarks/OdeGen.GeneratorBenchmarks -- steps [runs]
if (args.Length > 0 && args[0] == "steps")
{
    int runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40;
    foreach (string method in MarkedMethods.Names)
    {
        Harness harness;
        try
        {
            harness = new Harness(method);
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"{method}: {e.Message}");
            continue;
        }

        for (int i = 0; i < 10; i++)
        {
            harness.Generate();   // warm-up: JIT and tiering
        }

        var samples = new Dictionary<string, List<double>>();
        for (int i = 0; i < runs; i++)
        {
            harness.Generate();
            // The generator's own steps; the others are Roslyn's attribute lookup, a few microseconds each.
            foreach ((string step, TimeSpan time) in harness.LastStepTimes().Where(s => s.Key.StartsWith("OdeGen.", StringComparison.Ordinal)))
            {
                (samples.TryGetValue(step, out List<double>? list) ? list : samples[step] = []).Add(time.TotalMilliseconds);
            }
        }

        Console.WriteLine($"{method}: median ms per step over {runs} warm runs (an edit inside the method each run)");
        double total = 0;
        foreach ((string step, List<double> times) in samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            times.Sort();
            double median = times[times.Count / 2];
            total += median;
            Console.WriteLine($"  {step,-28} {median,9:F3}");
        }

        Console.WriteLine($"  {"sum of the medians",-28} {total,9:F3}");
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point holder (top-level statements).</summary>
public partial class Program;
