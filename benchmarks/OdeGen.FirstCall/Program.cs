using System.Diagnostics;
using System.Globalization;
using OdeGen;
using OdeGen.Solvers;

// Issue #20 item 6: how long a fresh process takes to its first and its hundredth Lorenz gradient, and how that compares with
// a steady call. One process is one measurement (benchmarks/first-call.sh starts many); it prints one line:
//   first=<ms from process start to the end of the first gradient> hundredth=<ms to the end of the 100th>
//   firstCall=<ms of the first call alone> steady=<µs, least of the calls after one second of warm calls> ratio=<firstCall/steady>
//   plateau=<ms from start until calls come within 1.5× steady (median of ten)>
// The gradient: L = Σ y(T) at T = 1 by the interpolating adjoint (the default), rtol = atol = 1e-8, (σ, ρ, β) = (10, 28, 8/3)
// from (1, 1, 1), as the peers and the benchmarks compute it.
long start = Process.GetCurrentProcess().StartTime.ToUniversalTime().Ticks;
double SinceStart() => (DateTime.UtcNow.Ticks - start) / 1e4;

double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3], times = [1.0], dLdy = [1, 1, 1];
var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
var lorenz = new FirstCallLorenz.RhsSystem();
const int Calls = 100;
var callMs = new double[Calls];
var endMs = new double[Calls];
double check = 0;
for (int i = 0; i < Calls; i++)
{
    long t0 = Stopwatch.GetTimestamp();
    check += Ode.Gradient(lorenz, y0, p, 0, times, dLdy, options: options).Parameters[0];
    callMs[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    endMs[i] = SinceStart();
}

// Steady: the least of many calls after a second of calling (tiered compilation has caught up by then).
var all = new List<(double at, double ms)>();
for (int i = 0; i < Calls; i++) all.Add((endMs[i], callMs[i]));
long warm = Stopwatch.GetTimestamp();
double steady = double.MaxValue;
while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 2.0)
{
    long t0 = Stopwatch.GetTimestamp();
    check += Ode.Gradient(lorenz, y0, p, 0, times, dLdy, options: options).Parameters[0];
    double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    all.Add((SinceStart(), ms));
    if (Stopwatch.GetElapsedTime(warm).TotalSeconds > 1.0) steady = Math.Min(steady, ms);
}
// The plateau ends where calls come within 1.5× steady and stay there: the first call from which the median of the next
// ten is at most 1.5× steady (a median, because on a shared machine single calls are slowed by other processes at any time).
double plateau = all[^1].at;
for (int i = 0; i + 10 <= all.Count; i++)
{
    double median = all.GetRange(i, 10).Select(c => c.ms).Order().ElementAt(5);
    if (median <= 1.5 * steady) { plateau = all[i].at; break; }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"first={endMs[0]:F2} hundredth={endMs[Calls - 1]:F2} firstCall={callMs[0]:F2} steady={steady * 1000:F1} ratio={callMs[0] / steady:F1} plateau={plateau:F0} check={check / (Calls + 1):G6}"));

/// <summary>The design document's Lorenz dynamics.</summary>
public static partial class FirstCallLorenz
{
    /// <summary>f(t, y, p).</summary>
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double sigma = p[0], rho = p[1], beta = p[2];
        dydt[0] = sigma * (y[1] - y[0]);
        dydt[1] = y[0] * (rho - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - beta * y[2];
    }
}
