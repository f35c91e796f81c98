using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Gradients through events, fuzzed: random small problems (<see cref="EventFuzzSystem"/>) with one to three random events
/// (terminal, with resets that may depend on θ, or only observing; either direction; near the ends of the span and at
/// observation times) are differentiated by every sensitivity the public API offers — Ode.Gradient with each
/// <see cref="Sensitivity"/> and its settings, Ode.Jvp and Ode.Sensitivities — with the explicit and the stiff methods, and
/// checked against central differences of Ode.Solve with the same events. A method that cannot differentiate the events
/// must throw <see cref="NotSupportedException"/>; every result with a success status must match the differences and report
/// the forward solve's event occurrences. CI runs <see cref="DefaultCount"/> problems; <c>ODEGEN_EVFUZZ_COUNT</c>,
/// <c>ODEGEN_EVFUZZ_SEEDS</c> (comma-separated) and <c>ODEGEN_EVFUZZ_REPORT</c> (a file for every failure) run a local sweep,
/// <c>ODEGEN_EVFUZZ_CASE=seed:index</c> one problem.
/// </summary>
/// <remarks>
/// A derivative is compared only where central differences mean something: when the perturbed solves locate the same
/// sequence of events as the unperturbed one, with the events that stop or reset the solve between the same observation
/// times (a crossing that appears or disappears under the step is tangential; one that moves across an observation time
/// puts a kink in the loss), and when differences with steps h and 2h agree (otherwise the loss is not smooth enough at
/// this step). A problem whose solve locates other events when its steps are bounded (MaxStep: two crossings closer than
/// the interior points' spacing are missed, as <see cref="OdeEvent"/> documents, so chattering on a surface or a shallow
/// dip of g depends on the steps) is skipped whole: which events a method's own pass finds then depends on its steps too. Skips are counted by
/// reason in the output, never silently passed.
/// </remarks>
public class EventGradientFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCount = 80;
    private const int DefaultSeed = 20261206;

    [Fact]
    public void FuzzedEventProblems_EveryMethodMatchesFiniteDifferencesAndReportsTheSolvesEvents()
    {
        var (seeds, indices) = Cases();
        var stats = new EventFuzzStats();
        var failures = new List<string>();
        foreach (int seed in seeds)
            foreach (int index in indices)
                failures.AddRange(EventFuzzCase.Create(seed, index).Check(stats));
        output.WriteLine(stats.ToString());
        foreach (string f in failures.Take(20)) output.WriteLine(f);
        if (Environment.GetEnvironmentVariable("ODEGEN_EVFUZZ_REPORT") is { } report)
            File.WriteAllText(report, stats + "\n\n" + string.Join("\n\n", failures));
        Assert.True(failures.Count == 0, $"{failures.Count} checks failed ({stats.Cases} problems); the first:\n{failures.FirstOrDefault()}");
        // The generator has to reach what it is for: gradients checked through events of every role.
        Assert.True(stats.Compared > 0 && stats.ObserverOnlyCases > 0 && stats.Resets > 0 && stats.Terminals > 0, stats.ToString());
    }

    [Fact]
    public void TheChecks_CatchAWrongGradientAndAMissingEvent()
    {
        // The first problem with observing events only, solved by Dopri5, whose solve locates some: its checks pass, and fail
        // against a gradient off by ten times the tolerance in one component, and against an empty event list.
        for (int i = 0; ; i++)
        {
            EventFuzzCase c = EventFuzzCase.Create(DefaultSeed, i);
            if (!c.IsObserverOnly || c.Method != OdeMethod.Dopri5) continue;
            var stats = new EventFuzzStats();
            List<string> failures = c.Check(stats);
            if (stats.EventsSeen == 0 || stats.Compared == 0) continue;
            Assert.Empty(failures);
            Assert.Contains(c.Check(new EventFuzzStats(), EventFuzzTamper.Gradient), f => f.StartsWith("wrong gradient", StringComparison.Ordinal));
            Assert.Contains(c.Check(new EventFuzzStats(), EventFuzzTamper.Events), f => f.StartsWith("events differ", StringComparison.Ordinal));
            output.WriteLine($"case {DefaultSeed}:{i}: {stats}");
            return;
        }
    }

    private static (int[] Seeds, IEnumerable<int> Indices) Cases()
    {
        if (Environment.GetEnvironmentVariable("ODEGEN_EVFUZZ_CASE") is { } one)
        {
            string[] parts = one.Split(':');
            return ([int.Parse(parts[0], CultureInfo.InvariantCulture)], [int.Parse(parts[1], CultureInfo.InvariantCulture)]);
        }
        int count = int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_EVFUZZ_COUNT"), out int c) ? c : DefaultCount;
        int[] seeds = (Environment.GetEnvironmentVariable("ODEGEN_EVFUZZ_SEEDS") ?? DefaultSeed.ToString(CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (seeds, Enumerable.Range(0, count));
    }
}

internal enum EventFuzzTamper { None, Gradient, Events }

/// <summary>What a sweep saw: problems, comparisons, skips by reason, honest failures by status.</summary>
internal sealed class EventFuzzStats
{
    public int Cases, ObserverOnlyCases, Resets, Terminals, Observers, EventsSeen, Compared, Refused, SolveFailed;
    public readonly SortedDictionary<string, int> Skipped = new(StringComparer.Ordinal);
    public readonly SortedDictionary<string, int> Statuses = new(StringComparer.Ordinal);
    public readonly SortedDictionary<string, int> Failures = new(StringComparer.Ordinal);

    public void Count(SortedDictionary<string, int> d, string key) => d[key] = d.TryGetValue(key, out int v) ? v + 1 : 1;

    public override string ToString() =>
        $"{Cases} problems ({ObserverOnlyCases} with observing events only; events: {Resets} resets, {Terminals} terminal, {Observers} observing; " +
        $"{EventsSeen} located), {Compared} gradients compared, {Refused} refused as documented, {SolveFailed} problems whose solve failed; " +
        $"skipped components: {Format(Skipped)}; honest failure statuses: {Format(Statuses)}; failures: {Format(Failures)}";

    private static string Format(SortedDictionary<string, int> d) => d.Count == 0 ? "none" : string.Join(", ", d.Select(x => $"{x.Key} {x.Value}"));
}

/// <summary>
/// A small random system, n = 2 or 3 states and m = 3 parameters:
/// f_i = Σ_j (A_ij + B_ij·θ_{K_ij})·y_j + E_i·sin(y_{(i+1) mod n}) + Q_i·θ_{R_i} + S_i·t, with hand-written derivatives.
/// </summary>
internal readonly struct EventFuzzSystem(int n, double[] a, double[] b, int[] k, double[] e, double[] q, int[] r, double[] s) : IOdeSystem
{
    public const int M = 3;
    public int StateCount => n;
    public int ParameterCount => M;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < n; i++)
        {
            double v = q[i] * p[r[i]] + s[i] * t + e[i] * Math.Sin(y[(i + 1) % n]);
            for (int j = 0; j < n; j++) v += (a[i * n + j] + b[i * n + j] * p[k[i * n + j]]) * y[j];
            dydt[i] = v;
        }
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy.Clear();
        dfdp.Clear();
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                dfdy[i * n + j] = a[i * n + j] + b[i * n + j] * p[k[i * n + j]];
                dfdp[i * M + k[i * n + j]] += b[i * n + j] * y[j];
            }
            int c = (i + 1) % n;
            dfdy[i * n + c] += e[i] * Math.Cos(y[c]);
            dfdp[i * M + r[i]] += q[i];
        }
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        Span<double> dfdy = stackalloc double[n * n], dfdp = stackalloc double[n * M];
        Jacobian(t, y, p, dfdy, dfdp);
        for (int i = 0; i < n; i++)
        {
            double v = s[i] * tDot;
            for (int j = 0; j < n; j++) v += dfdy[i * n + j] * yDot[j];
            for (int c = 0; c < M; c++) v += dfdp[i * M + c] * pDot[c];
            dydtDot[i] = v;
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> adj, Span<double> yBar, Span<double> pBar)
    {
        Span<double> dfdy = stackalloc double[n * n], dfdp = stackalloc double[n * M];
        Jacobian(t, y, p, dfdy, dfdp);
        double tBar = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) yBar[j] += adj[i] * dfdy[i * n + j];
            for (int c = 0; c < M; c++) pBar[c] += adj[i] * dfdp[i * M + c];
            tBar += adj[i] * s[i];
        }
        return tBar;
    }
}

/// <summary>One random problem with events and the checks of every sensitivity on it.</summary>
internal sealed class EventFuzzCase
{
    private readonly record struct MethodSetting(OdeMethod Method, double RelTol, double AbsTol, double Step, double Tolerance, int Weight);

    // Tolerances tight enough that central differences of the solve are meaningful at the step; the allowed normwise error.
    private static readonly MethodSetting[] Methods =
    [
        new(OdeMethod.Dopri5, 1e-12, 1e-14, 1e-6, 2e-5, 30),
        new(OdeMethod.Tsit5, 1e-12, 1e-14, 1e-6, 2e-5, 12),
        new(OdeMethod.Dop853, 1e-13, 1e-15, 1e-6, 2e-5, 12),
        new(OdeMethod.CashKarp, 1e-12, 1e-14, 1e-6, 2e-5, 6),
        new(OdeMethod.Fehlberg45, 1e-12, 1e-14, 1e-6, 2e-5, 6),
        new(OdeMethod.BogackiShampine3, 1e-10, 1e-12, 1e-4, 1e-3, 6),
        new(OdeMethod.Rodas4, 1e-9, 1e-11, 1e-5, 2e-3, 14),
        new(OdeMethod.Kvaerno5, 1e-9, 1e-11, 1e-5, 2e-3, 14),
    ];

    private readonly int _seed, _index;
    private readonly EventFuzzSystem _system;
    private readonly int _n;
    private readonly double[] _y0, _p, _times, _dLdy;
    private readonly double _t0;
    private readonly MethodSetting _setting;
    private readonly List<(OdeEvent Event, string Text)> _events = [];

    public OdeMethod Method => _setting.Method;
    public bool IsObserverOnly => _events.All(e => !e.Event.Terminal && e.Event.Reset is null);

    private EventFuzzCase(int seed, int index)
    {
        _seed = seed;
        _index = index;
        var rng = new Random(unchecked(seed * 7919 + index * 104_729));
        double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
        int total = Methods.Sum(x => x.Weight), pick = rng.Next(total);
        _setting = Methods.First(x => (pick -= x.Weight) < 0);

        int n = _n = rng.Next(2) == 0 ? 2 : 3, m = EventFuzzSystem.M;
        var a = new double[n * n];
        var b = new double[n * n];
        var k = new int[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                a[i * n + j] = i == j ? -U(0.2, 1.0) : U(-1.5, 1.5);
                b[i * n + j] = rng.NextDouble() < 0.4 ? U(-0.8, 0.8) : 0.0;
                k[i * n + j] = rng.Next(m);
            }
        double[] e = [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.5 ? U(-1, 1) : 0.0)];
        double[] q = [.. Enumerable.Range(0, n).Select(_ => U(-1, 1))];
        int[] r = [.. Enumerable.Range(0, n).Select(_ => rng.Next(m))];
        double[] s = [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.3 ? U(-0.5, 0.5) : 0.0)];
        _system = new EventFuzzSystem(n, a, b, k, e, q, r, s);
        _p = [.. Enumerable.Range(0, m).Select(_ => U(0.5, 1.5))];
        _y0 = [.. Enumerable.Range(0, n).Select(_ => U(-1.5, 1.5))];
        _t0 = rng.NextDouble() < 0.5 ? 0.0 : U(-1, 1);
        double direction = rng.NextDouble() < 0.15 ? -1.0 : 1.0, span = U(1.0, 3.0);
        int count = 1 + rng.Next(4);
        var fractions = Enumerable.Range(0, count - 1).Select(_ => U(0.05, 0.95)).Append(1.0).OrderBy(x => x).ToList();
        if (rng.NextDouble() < 0.1) fractions.Insert(0, 0.0);
        _times = [.. fractions.Select(f => _t0 + direction * span * f)];
        _dLdy = [.. Enumerable.Range(0, _times.Length * n).Select(_ => U(-1, 1))];

        // The levels of state crossings come from the solution without events, so that most of them are crossed.
        OdeSolution plain = Ode.Solve(_system, _y0, _p, _t0, _times[^1],
            new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Dense = true });
        bool observerOnly = rng.NextDouble() < 0.35;
        int events = 1 + rng.Next(3);
        for (int q2 = 0; q2 < events; q2++)
        {
            double tStar = rng.NextDouble() switch
            {
                < 0.15 => _t0 + direction * span * U(0.0005, 0.01),
                < 0.3 => _times[^1] - direction * span * U(0.0005, 0.01),
                < 0.45 => _times[rng.Next(_times.Length)],
                _ => _t0 + direction * span * U(0.05, 0.95),
            };
            double[] yStar = plain.IsSuccess && plain.HasDenseOutput ? plain.Interpolate(tStar) : _y0;
            double role = observerOnly ? 0 : rng.NextDouble();
            bool terminal = role is >= 0.4 and < 0.6;
            string resetText = "";
            OdeReset? reset = role >= 0.6 ? RandomReset(rng, n, m, out resetText) : null;
            var dir = (EventDirection)rng.Next(3);
            OdeEvent ev;
            string text;
            int c = rng.Next(n);
            switch (rng.Next(3))
            {
                case 0:
                    ev = OdeEvent.StateCrossing(c, yStar[c], dir, reset, terminal);
                    text = $"StateCrossing(y[{c}] = {yStar[c]:R}, {dir})";
                    break;
                case 1:
                {
                    int c2 = rng.Next(n);
                    double beta = rng.NextDouble() < 0.5 ? U(-1, 1) : 0.0, alpha = U(-0.5, 0.5);
                    double level = yStar[c] + (c2 == c ? 0 : beta * yStar[c2]);
                    if (c2 == c) beta = 0;
                    double t0Star = tStar;
                    ev = new OdeEvent((t, y) => y[c] + beta * y[c2] + alpha * (t - t0Star) - level,
                        (t, y, dgdy) => { dgdy[c] += 1; dgdy[c2] += beta; return alpha; })
                    { Direction = dir, Reset = reset, Terminal = terminal };
                    text = $"g = y[{c}] + {beta:R}·y[{c2}] + {alpha:R}·(t − {t0Star:R}) − {level:R} ({dir})";
                    break;
                }
                default:
                    double time = tStar;
                    ev = new OdeEvent((t, y) => t - time, (t, y, dgdy) => 1.0) { Direction = dir, Reset = reset, Terminal = terminal };
                    text = $"t = {time:R} ({dir})";
                    break;
            }
            _events.Add((ev, text + (terminal ? ", terminal" : reset is null ? ", observing" : $", reset {resetText}")));
        }
    }

    public static EventFuzzCase Create(int seed, int index) => new(seed, index);

    // y⁺ = D·y⁻ + c + w·θ_k (+ γ·y⁻_j² into component j2): D the identity but for one entry ρ.
    private static OdeReset RandomReset(Random rng, int n, int m, out string text)
    {
        double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
        int j = rng.Next(n), k = rng.Next(m), j2 = rng.Next(n);
        double rho = U(-0.9, 1.1);
        double[] c = [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.5 ? U(-0.3, 0.3) : 0.0)];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.5 ? U(-0.3, 0.3) : 0.0)];
        double gamma = rng.NextDouble() < 0.3 ? U(-0.3, 0.3) : 0.0;
        text = $"y⁺ = D(y[{j}]·{rho:R})·y⁻ + [{string.Join(", ", c.Select(x => x.ToString("G4", CultureInfo.InvariantCulture)))}] + " +
            $"[{string.Join(", ", w.Select(x => x.ToString("G4", CultureInfo.InvariantCulture)))}]·θ[{k}] + {gamma:G4}·y⁻[{j}]² → [{j2}]";
        return new OdeReset(
            (y, p, yp) =>
            {
                for (int i = 0; i < n; i++) yp[i] = (i == j ? rho : 1.0) * y[i] + c[i] + w[i] * p[k];
                yp[j2] += gamma * y[j] * y[j];
            },
            (y, p, dhdy, dhdp) =>
            {
                for (int i = 0; i < n; i++)
                {
                    dhdy[i * n + i] = i == j ? rho : 1.0;
                    dhdp[i * m + k] = w[i];
                }
                dhdy[j2 * n + j] += 2 * gamma * y[j];
            });
    }

    private SolverOptions Options(double[]? saveAt = null, double maxStep = double.PositiveInfinity, double looser = 1, double? initialStep = null) => new()
    {
        InitialStep = initialStep,
        Method = _setting.Method,
        RelTol = _setting.RelTol * looser,
        AbsTol = _setting.AbsTol * looser,
        Events = [.. _events.Select(e => e.Event)],
        SaveAt = saveAt,
        MaxStep = maxStep,
    };

    /// <summary>L = Σ_i dLdy_i·y(times[i]) by Ode.Solve with the events (the state held after a terminal one), and the events it located.</summary>
    private (double Loss, OdeSolution Solution) Loss(double[] y0, double[] p, double t0, double[] times)
    {
        OdeSolution solution = Ode.Solve(_system, y0, p, t0, times[^1], Options(times));
        if (!solution.IsSuccess) return (double.NaN, solution);
        double loss = 0;
        for (int i = 0; i < times.Length; i++)
        {
            ReadOnlySpan<double> y = i < solution.Count ? solution.State(i) : solution.FinalState;
            for (int j = 0; j < _n; j++) loss += _dLdy[i * _n + j] * y[j];
        }
        return (loss, solution);
    }

    /// <summary>
    /// Which events happened in which order and, for those that stop or reset the solve, how many observation times come
    /// before each: the loss is smooth only while this stays the same (an event that moves across an observation time puts
    /// a kink in it, which central differences with h and 2h straddle alike).
    /// </summary>
    private string Key(OdeSolution solution, double[] times) => Key(solution.Events, times);

    private string Key(IReadOnlyList<OdeEventOccurrence> events, double[] times)
    {
        double direction = Math.Sign(_times[^1] - _t0);
        return string.Join(",", events.Select(o => o.Event.Terminal || o.Event.Reset is not null
            ? $"{o.EventIndex}@{times.Count(t => (t - o.Time) * direction < 0)}"
            : $"{o.EventIndex}"));
    }

    /// <summary>The inputs in one vector: y0, θ, t0, times.</summary>
    private int InputCount => _n + EventFuzzSystem.M + 1 + _times.Length;

    private string InputName(int q) =>
        q < _n ? $"y0[{q}]" : q < _n + EventFuzzSystem.M ? $"p[{q - _n}]" : q == _n + EventFuzzSystem.M ? "t0" : $"times[{q - _n - EventFuzzSystem.M - 1}]";

    /// <summary>Central differences of the loss in every input; NaN where they are not meaningful (the reason counted).</summary>
    private double[] FiniteDifferences(OdeSolution solution, EventFuzzStats stats)
    {
        string baseKey = Key(solution, _times);
        var fd = new double[InputCount];
        double h = _setting.Step;
        for (int q = 0; q < fd.Length; q++)
        {
            fd[q] = double.NaN;
            int m = EventFuzzSystem.M;
            bool isTime = q >= _n + m;
            if (q == _n + m && _times[0] == _t0) { stats.Count(stats.Skipped, "t0 on times[0]"); continue; }
            if (isTime && q > _n + m)
            {
                int i = q - _n - m - 1;
                double lo = i > 0 ? _times[i - 1] : _t0;
                if (Math.Abs(_times[i] - lo) < 4 * h || (i == 0 && _times[0] == _t0)) { stats.Count(stats.Skipped, "times too close"); continue; }
            }
            // The loss jumps (a reset) or has a kink (a terminal event holds the state) where an observation time or t0 meets
            // an event that changes the solution: one-sided there, no central difference.
            double tq = q == _n + m ? _t0 : isTime ? _times[q - _n - m - 1] : double.NaN;
            if (isTime && solution.Events.Any(o => (o.Event.Terminal || o.Event.Reset is not null) && Math.Abs(o.Time - tq) <= 4 * h))
            {
                stats.Count(stats.Skipped, "time on an event that changes the solution");
                continue;
            }
            double[] values = new double[4];
            bool same = true;
            int w = 0;
            foreach (double delta in new[] { h, -h, 2 * h, -2 * h })
            {
                double[] y0 = [.. _y0], p = [.. _p], times = [.. _times];
                double t0 = _t0;
                if (q < _n) y0[q] += delta;
                else if (q < _n + m) p[q - _n] += delta;
                else if (q == _n + m) t0 += delta;
                else times[q - _n - m - 1] += delta;
                var (loss, perturbed) = Loss(y0, p, t0, times);
                values[w++] = loss;
                same &= perturbed.IsSuccess && Key(perturbed, times) == baseKey;
            }
            if (!same) { stats.Count(stats.Skipped, "event sequence changes within the step"); continue; }
            double d1 = (values[0] - values[1]) / (2 * h), d2 = (values[2] - values[3]) / (4 * h);
            if (!(Math.Abs(d1 - d2) <= 0.25 * _setting.Tolerance * Math.Max(Math.Abs(d1), 0.05)))
            {
                stats.Count(stats.Skipped, "differences with h and 2h disagree");
                continue;
            }
            fd[q] = d1;
        }
        return fd;
    }

    private IEnumerable<(string Name, Sensitivity Sensitivity)> Sensitivities()
    {
        yield return ("Forward", Sensitivity.Forward);
        yield return ("ForwardWith(false)", Sensitivity.ForwardWith(sensitivitiesInErrorControl: false));
        yield return ("InterpolatingAdjoint()", Sensitivity.InterpolatingAdjoint());
        yield return ("InterpolatingAdjoint(3, budget 0)", Sensitivity.InterpolatingAdjoint(3, recordBudgetBytes: 0));
        yield return ("InterpolatingAdjoint(seminorm)", Sensitivity.InterpolatingAdjoint(seminorm: true));
        yield return ("InterpolatingAdjoint(interpolated)", Sensitivity.InterpolatingAdjoint(interpolateObservations: true));
        yield return ("BacksolveAdjoint", Sensitivity.BacksolveAdjoint);
        yield return ("Backsolve(seminorm)", Sensitivity.Backsolve(seminorm: true));
        yield return ("DiscreteAdjoint", Sensitivity.DiscreteAdjoint);
        yield return ("Discrete(3)", Sensitivity.Discrete(3));
    }

    private string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"case {_seed}:{_index} (ODEGEN_EVFUZZ_CASE={_seed}:{_index}), {_setting.Method.Name}, n = {_n}, ");
        sb.Append(CultureInfo.InvariantCulture, $"y0 = {SensitivityTestSupport.Format(_y0)}, p = {SensitivityTestSupport.Format(_p)}, t0 = {_t0:R}, times = {SensitivityTestSupport.Format(_times)}\n");
        for (int i = 0; i < _events.Count; i++) sb.Append(CultureInfo.InvariantCulture, $"  event {i}: {_events[i].Text}\n");
        return sb.ToString();
    }

    /// <summary>Runs every check; returns a description of each failure.</summary>
    public List<string> Check(EventFuzzStats stats, EventFuzzTamper tamper = EventFuzzTamper.None)
    {
        var failures = new List<string>();
        stats.Cases++;
        if (IsObserverOnly) stats.ObserverOnlyCases++;
        foreach (var (ev, _) in _events)
        {
            if (ev.Terminal) stats.Terminals++;
            else if (ev.Reset is not null) stats.Resets++;
            else stats.Observers++;
        }
        var (_, solution) = Loss(_y0, _p, _t0, _times);
        if (!solution.IsSuccess)
        {
            stats.SolveFailed++;
            return failures;
        }
        stats.EventsSeen += solution.Events.Count;
        // Events are detected by the signs of g at step ends and a few points inside (two crossings closer than their spacing
        // are missed, as OdeEvent documents):
        // when shorter or longer steps find other events (chattering on a surface, a shallow dip of g, a crossing within the
        // tolerance of an end), which ones a solve finds depends on its steps, and neither the differences nor the comparison
        // of event lists mean anything.
        string baseKey = Key(solution, _times);
        double span = Math.Abs(_times[^1] - _t0);
        bool dependsOnSteps = false;
        foreach (SolverOptions other in new[]
        {
            Options(_times, span / 400), Options(_times, span / 5000), Options(_times, span / 50000), Options(_times, looser: 1e3),
            Options(_times, initialStep: span * 1e-7),
        })
        {
            OdeSolution variant = Ode.Solve(_system, _y0, _p, _t0, _times[^1], other);
            dependsOnSteps |= !variant.IsSuccess || Key(variant, _times) != baseKey;
        }
        if (dependsOnSteps)
        {
            stats.Count(stats.Skipped, "problems whose events depend on the step sizes");
            return failures;
        }
        double[] fd = FiniteDifferences(solution, stats);
        double timeTolerance = _setting.Method.IsStiff ? 1e-5 : 1e-7;

        void Fail(string kind, string what)
        {
            stats.Count(stats.Failures, kind);
            failures.Add($"{kind}: {what}\n{Describe()}");
        }

        // The occurrences must be the solve's (to the time tolerance). True when the loss they define is the solve's too: an
        // event that stops or resets the solve within the tolerance of an observation time may fall on its other side in the
        // method's own pass (whose steps end on the observation times), and then the method differentiates the other loss.
        bool CheckEvents(string who, IReadOnlyList<OdeEventOccurrence> events)
        {
            if (tamper == EventFuzzTamper.Events) events = [];
            // The same occurrences to the time tolerance, in time order but for those within the tolerance of each other
            // (two events that cross together may be located in either order).
            bool Same(IReadOnlyList<OdeEventOccurrence> x, IReadOnlyList<OdeEventOccurrence> y)
            {
                if (x.Count != y.Count) return false;
                var used = new bool[x.Count];
                for (int k = 0; k < y.Count; k++)
                {
                    double tol = timeTolerance * Math.Max(1, Math.Abs(y[k].Time));
                    int match = Enumerable.Range(Math.Max(0, k - 3), Math.Min(x.Count, k + 4) - Math.Max(0, k - 3))
                        .FirstOrDefault(j => !used[j] && x[j].EventIndex == y[k].EventIndex && Math.Abs(x[j].Time - y[k].Time) <= tol, -1);
                    if (match < 0) return false;
                    used[match] = true;
                }
                return true;
            }
            // A crossing within the tolerance of the last observation time is there or not as the last step lands.
            bool AwayFromEnd(OdeEventOccurrence o) => Math.Abs(o.Time - _times[^1]) > timeTolerance * Math.Max(1, Math.Abs(_times[^1]));
            if (!Same(events, solution.Events) && Same([.. events.Where(AwayFromEnd)], [.. solution.Events.Where(AwayFromEnd)]))
            {
                stats.Count(stats.Skipped, "gradients whose events differ within the tolerance of the end");
                return false;
            }
            if (!Same(events, solution.Events))
            {
                Fail("events differ from the solve's", $"{who}: [{string.Join("; ", events)}] vs Ode.Solve's [{string.Join("; ", solution.Events)}]");
                return true;
            }
            if (Key(events, _times) == Key(solution, _times)) return true;
            stats.Count(stats.Skipped, "gradients whose event is on the other side of an observation time, within the tolerance");
            return false;
        }

        void Compare(string who, ReadOnlySpan<double> actual)
        {
            double scale = 0.05;
            for (int q = 0; q < fd.Length; q++) if (double.IsFinite(fd[q])) scale = Math.Max(scale, Math.Abs(fd[q]));
            double worst = 0;
            int worstAt = -1, compared = 0;
            for (int q = 0; q < fd.Length; q++)
            {
                if (!double.IsFinite(actual[q]))
                {
                    Fail("non-finite gradient with a success status", $"{who}: {InputName(q)} = {actual[q]}");
                    return;
                }
                if (!double.IsFinite(fd[q])) continue;
                compared++;
                double err = Math.Abs(actual[q] - fd[q]) / scale;
                if (err > worst) (worst, worstAt) = (err, q);
            }
            if (compared > 0) stats.Compared++;
            if (worst > _setting.Tolerance)
                Fail("wrong gradient", $"{who}: {InputName(worstAt)} = {actual[worstAt]:R}, central differences {fd[worstAt]:R} " +
                    $"(normwise error {worst:E2}, allowed {_setting.Tolerance:E0}); gradient {SensitivityTestSupport.Format(actual)}, differences {SensitivityTestSupport.Format(fd)}");
        }

        bool changesSolution = !IsObserverOnly;
        foreach (var (name, sensitivity) in Sensitivities())
        {
            string who = $"Ode.Gradient({name})";
            OdeGradient g;
            try
            {
                g = Ode.Gradient(_system, _y0, _p, _t0, _times, _dLdy, sensitivity, Options());
            }
            catch (NotSupportedException e)
            {
                // Documented refusals: the back-solve and discrete adjoints with events that stop or reset the solve, and
                // the methods or settings a stiff method does not support.
                bool documented = _setting.Method.IsStiff
                    ? name is not ("Forward" or "InterpolatingAdjoint()" or "InterpolatingAdjoint(3, budget 0)" or "InterpolatingAdjoint(interpolated)")
                    : changesSolution && (name.StartsWith("Backsolve", StringComparison.Ordinal) || name.StartsWith("Discrete", StringComparison.Ordinal));
                if (documented) stats.Refused++;
                else Fail("unexpected NotSupportedException", $"{who}: {e.Message}");
                continue;
            }
            catch (Exception e)
            {
                Fail("unexpected exception", $"{who}: {e.GetType().Name}: {e.Message}");
                continue;
            }
            if (!g.IsSuccess)
            {
                stats.Count(stats.Statuses, $"{g.Status}");
                if (g.Y0.Any(double.IsFinite) || g.Parameters.Any(double.IsFinite))
                    Fail("finite gradient with a failure status", $"{who}: {g.Status}");
                continue;
            }
            double[] actual = [.. g.Y0, .. g.Parameters, g.T0, .. g.Times];
            if (tamper == EventFuzzTamper.Gradient)
            {
                int q = Array.FindIndex(fd, double.IsFinite);
                if (q >= 0) actual[q] = fd[q] + 10 * _setting.Tolerance * Math.Max(0.05, fd.Where(double.IsFinite).Max(Math.Abs));
            }
            if (CheckEvents(who, g.Events)) Compare(who, actual);
        }

        // Ode.Jvp along a random direction and Ode.Sensitivities, both saving at the observation times: Σ_i dLdy_i·(tangent
        // at t_i) against the differences along the same direction.
        var rng = new Random(_seed ^ _index);
        int m = EventFuzzSystem.M;
        double[] y0Dot = [.. Enumerable.Range(0, _n).Select(_ => rng.NextDouble() - 0.5)];
        double[] pDot = [.. Enumerable.Range(0, m).Select(_ => rng.NextDouble() - 0.5)];
        bool directional = Enumerable.Range(0, _n + m).All(q => double.IsFinite(fd[q]));
        try
        {
            OdeTangent jvp = Ode.Jvp(_system, _y0, _p, _t0, _times[^1], y0Dot, pDot, options: Options(_times));
            if (!jvp.IsSuccess) stats.Count(stats.Statuses, $"Jvp {jvp.Status}");
            else
            {
                if (CheckEvents("Ode.Jvp", jvp.Events) && directional)
                {
                    double left = 0, right = 0, scale = 0.05;
                    for (int i = 0; i < _times.Length; i++)
                        for (int j = 0; j < _n; j++) left += _dLdy[i * _n + j] * jvp.TangentAt(i)[j];
                    for (int q = 0; q < _n + m; q++)
                    {
                        double v = q < _n ? y0Dot[q] : pDot[q - _n];
                        right += fd[q] * v;
                        scale = Math.Max(scale, Math.Abs(fd[q]));
                    }
                    stats.Compared++;
                    if (Math.Abs(left - right) > _setting.Tolerance * scale)
                        Fail("wrong gradient", $"Ode.Jvp: Σ dLdy·tangent = {left:R}, differences along the direction {right:R}");
                }
            }

            OdeSensitivities sens = Ode.Sensitivities(_system, _y0, _p, _t0, _times[^1], Options(_times));
            if (!sens.IsSuccess) stats.Count(stats.Statuses, $"Sensitivities {sens.Status}");
            else if (CheckEvents("Ode.Sensitivities", sens.Events))
            {
                var actual = new double[InputCount];
                for (int i = 0; i < _times.Length; i++)
                {
                    ReadOnlySpan<double> dy0 = sens.DyDy0At(i), dp = sens.DyDpAt(i);
                    for (int j = 0; j < _n; j++)
                    {
                        double w = _dLdy[i * _n + j];
                        for (int c = 0; c < _n; c++) actual[c] += w * dy0[j * _n + c];
                        for (int c = 0; c < m; c++) actual[_n + c] += w * dp[j * m + c];
                    }
                }
                double[] own = fd;
                fd = [.. fd[..(_n + m)], .. Enumerable.Repeat(double.NaN, InputCount - _n - m)];
                Compare("Ode.Sensitivities", actual);
                fd = own;
            }
        }
        catch (Exception e)
        {
            Fail("unexpected exception", $"Ode.Jvp / Ode.Sensitivities: {e.GetType().Name}: {e.Message}");
        }
        return failures;
    }
}
