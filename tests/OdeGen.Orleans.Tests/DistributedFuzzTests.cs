using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// A seeded differential fuzz of the cluster path: random ensembles (sizes 1 to a few thousand, most of which no block or
/// request divides), random solver, ensemble and request options (tolerances, fixed steps, SaveAt, backward and empty
/// intervals, lane widths, per-lane or shared steps, step budgets), trajectories whose y0 or θ is not finite and
/// trajectories whose f turns NaN mid-run (<see cref="Drain"/>), and now and then one bad argument. Each case runs the
/// local call and its cluster twin on the same inputs.
/// <para>
/// What is checked, and why to what precision: docs/cluster.md promises the local call's result bit for bit (each block
/// is solved by the same local code on the same rows, and the client adds the shared-θ sums in the local order), so every
/// double is compared by its bits, and statuses, per-trajectory and per-block work counts exactly. The one documented
/// exception: with <see cref="EnsembleOptions.PerLaneSteps"/> a gradient's <see cref="EnsembleGradient.VjpEvaluations"/>
/// counts register calls, which depend on how the ensemble was divided, so it is not compared there. When the local call
/// throws, the cluster call must throw the same exception type with the same message and parameter name, before
/// anything is sent (the gradients' seed is their own parameter dLdyT); with two faults in one call it may name the other
/// one, as an ArgumentException or NotSupportedException.
/// </para>
/// <para>
/// CI runs <see cref="DefaultCases"/> cases per call kind. ODEGEN_DISTFUZZ_COUNT and ODEGEN_DISTFUZZ_SEED set the count
/// and the seed for a sweep; a failure names its case as seed:kind:index with every drawn setting.
/// </para>
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DistributedFuzzTests(ThreeSiloCluster fixture, ITestOutputHelper output)
{
    private const int DefaultCases = 8;
    private const int DefaultSeed = 20261207;
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(5);

    private readonly TestCluster _cluster = fixture.Cluster;

    [Theory]
    [InlineData(EnsembleKind.Solve)]
    [InlineData(EnsembleKind.SolveShared)]
    [InlineData(EnsembleKind.Gradient)]
    [InlineData(EnsembleKind.GradientShared)]
    public async Task DistributedCall_EqualsLocalCall_OnRandomEnsembles(EnsembleKind kind)
    {
        int cases = Setting("ODEGEN_DISTFUZZ_COUNT", DefaultCases), seed = Setting("ODEGEN_DISTFUZZ_SEED", DefaultSeed);
        var tally = new Tally();
        for (int i = 0; i < cases; i++)
        {
            var random = new Random(unchecked(seed * 7919 + (int)kind * 1_000_003 + i));
            FuzzCase c = FuzzCase.Draw(random, kind, $"{seed}:{kind}:{i}");
            Outcome outcome = c.Drain
                ? await RunAsync(default(Drain.TankSystem), c, tally)
                : await RunAsync(default(Lorenz.RhsSystem), c, tally);
            tally.Add(outcome);
        }
        output.WriteLine($"{kind}, seed {seed}, {cases} cases: {tally}");
        // The fuzz tests nothing if most cases are refused or fail every trajectory: at least half must solve some.
        Assert.True(tally.Solved * 2 >= cases, $"only {tally.Solved} of {cases} cases solved a trajectory ({tally})");
    }

    private async Task<Outcome> RunAsync<TSystem>(TSystem system, FuzzCase c, Tally tally) where TSystem : struct, IOdeLaneSystem
    {
        object? local = null;
        Exception? localError = null;
        try
        {
            local = c.Local(system);
        }
        catch (Exception e)
        {
            localError = e;
        }

        var log = new DistributedRunLog();
        Task<object> call = c.DistributedAsync(_cluster.Client, system, log);
        if (await Task.WhenAny(call, Task.Delay(Hang)) != call)
            Assert.Fail($"{c}\nthe cluster call did not end within {Hang}");
        Exception? remoteError = call.IsFaulted ? call.Exception!.InnerException : call.IsCanceled ? new OperationCanceledException() : null;

        if (localError is not null)
        {
            Assert.True(remoteError is not null, $"{c}\nthe local call threw {localError.GetType().Name}: {localError.Message}\nthe cluster call returned a result");
            // Two faults (the drawn options were refused already, and the bad argument adds another): the local verbs do not
            // check in one order (a gradient checks its SaveAt before the sizes, a solve after), so the cluster may name the
            // other fault; it must still refuse the call as bad input, before sending anything.
            bool twoFaults = c.Base is { } unmutated && Throws(() => unmutated.Local(system))
                && remoteError is ArgumentException or NotSupportedException;
            Assert.True(twoFaults || SameRefusal(localError, remoteError),
                $"{c}\nlocal: {localError.GetType().Name}: {localError.Message}\ncluster: {remoteError.GetType().Name}: {remoteError.Message} (parameter {(remoteError as ArgumentException)?.ParamName})");
            Assert.Empty(log.Requests);   // refused before anything was sent
            output.WriteLine($"{c.Name}: refused by both ({c.Mutation}): {localError.GetType().Name}: {localError.Message}");
            return SameRefusal(localError, remoteError) ? Outcome.Refused : Outcome.RefusedForTheOtherFault;
        }
        Assert.True(remoteError is null, $"{c}\nthe local call succeeded, the cluster call threw {remoteError}");
        object remote = call.Result;
        try
        {
            EnsembleSolution solution;
            if (local is EnsembleGradient g)
            {
                Same.Gradient(g, (EnsembleGradient)remote, countsVjps: !c.Ensemble.PerLaneSteps);
                solution = g.Solution;
            }
            else
            {
                solution = (EnsembleSolution)local!;
                Same.Solution(solution, (EnsembleSolution)remote);
            }
            Assert.Equal(solution.Count, log.Requests.Sum(r => r.Trajectories));
            tally.Saw(c, solution);
            if (solution.Statuses.Contains(OdeStatus.Success)) return Outcome.Solved;
            output.WriteLine($"{c.Name}: no trajectory succeeded: {string.Join(", ", solution.Statuses.Distinct())}");
            return Outcome.NoneSolved;
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{c}\n{e.Message}");
        }
    }

    // The local call's exception, message and parameter name; but the cluster gradients take the seed as their own
    // parameter dLdyT, N × StateCount for the one time t1, and name it so (the local call's is dLdy, N × times × StateCount).
    private static bool SameRefusal(Exception local, Exception remote)
    {
        if (local.GetType() != remote.GetType()) return false;
        string? localParam = (local as ArgumentException)?.ParamName, remoteParam = (remote as ArgumentException)?.ParamName;
        if (localParam != "dLdy") return local.Message == remote.Message && localParam == remoteParam;
        return remoteParam == "dLdyT"
            && (Regex.Replace(local.Message, @"\bdLdy\b", "dLdyT") == remote.Message
                || (local.Message.StartsWith("dLdy must have length", StringComparison.Ordinal) && remote.Message.StartsWith("dLdyT must have length N × StateCount", StringComparison.Ordinal)));
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (Exception)
        {
            return true;
        }
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;

    private enum Outcome { Solved, NoneSolved, Refused, RefusedForTheOtherFault }

    private sealed class Tally
    {
        private readonly Dictionary<Outcome, int> _counts = [];

        public int Solved => _counts.GetValueOrDefault(Outcome.Solved);

        // What the compared cases covered, to read the sweep by (not asserted: a small count cannot promise each).
        private readonly SortedDictionary<string, int> _seen = new(StringComparer.Ordinal);

        public void Add(Outcome outcome) => _counts[outcome] = _counts.GetValueOrDefault(outcome) + 1;

        public void Saw(FuzzCase c, EnsembleSolution solution)
        {
            void Count(string what, bool when)
            {
                if (when) _seen[what] = _seen.GetValueOrDefault(what) + 1;
            }
            Count("per-lane steps", c.Ensemble.PerLaneSteps);
            Count("fixed step", c.Options?.FixedStep is not null);
            Count("SaveAt", c.Options?.SaveAt is not null);
            Count("backward", c.T1 < c.T0);
            Count("empty interval", c.T1 == c.T0);
            Count("over 400 trajectories", solution.Count >= 400);
            Count("ragged last block", solution.Count % solution.LanesPerBlock != 0);
            Count("several requests", solution.Count > solution.LanesPerBlock * (long)Math.Min(c.Distribution.BlocksPerRequest, int.MaxValue));
            foreach (OdeStatus status in solution.Statuses.Distinct()) Count(status.ToString(), status != OdeStatus.Success);
            // f turned NaN mid-run (not a non-finite row, which ends at t0).
            Count("NonFiniteValue after t0", Enumerable.Range(0, solution.Count)
                .Any(j => solution.Statuses[j] == OdeStatus.NonFiniteValue && solution.FinalTimes[j] != c.T0));
        }

        public override string ToString() =>
            $"{Solved} solved (equal bit for bit), {_counts.GetValueOrDefault(Outcome.NoneSolved)} with no successful trajectory (equal bit for bit), "
            + $"{_counts.GetValueOrDefault(Outcome.Refused)} refused by both with the same exception, "
            + $"{_counts.GetValueOrDefault(Outcome.RefusedForTheOtherFault)} with two faults refused for different ones; cases with: "
            + string.Join(", ", _seen.Select(kv => $"{kv.Key} {kv.Value}"));
    }

    /// <summary>One drawn case: the problem, the options, and the call to make locally and on the cluster.</summary>
    private sealed class FuzzCase
    {
        private static readonly OdeMethod[] LaneMethods = OdeMethod.All.Where(m => m.SupportsLanes).ToArray();
        private static readonly OdeMethod[] Adaptive = LaneMethods.Where(m => m.Tableau.IsAdaptive).ToArray();

        public required string Name { get; init; }
        public required EnsembleKind Kind { get; init; }
        public required bool Drain { get; init; }
        public required double[] Y0s { get; init; }
        public required double[] Ps { get; init; }
        public double[]? Seed { get; init; }
        public required double T0 { get; init; }
        public required double T1 { get; init; }
        public SolverOptions? Options { get; init; }
        public EnsembleOptions? EnsembleOrNull { get; init; }
        public EnsembleOptions Ensemble => EnsembleOrNull ?? EnsembleOptions.Default;
        public required DistributedEnsembleOptions Distribution { get; init; }
        public string Mutation { get; init; } = "none";
        /// <summary>The case before its bad argument was added (null when none was).</summary>
        public FuzzCase? Base { get; init; }

        private bool Shared => Kind is EnsembleKind.SolveShared or EnsembleKind.GradientShared;
        private bool Gradient => Kind is EnsembleKind.Gradient or EnsembleKind.GradientShared;

        public static FuzzCase Draw(Random r, EnsembleKind kind, string name)
        {
            bool drain = r.NextDouble() < 0.4, shared = kind is EnsembleKind.SolveShared or EnsembleKind.GradientShared;
            bool gradient = kind is EnsembleKind.Gradient or EnsembleKind.GradientShared;
            int n = drain ? 2 : 3, m = drain ? 2 : 3;
            // Sizes: small, medium, and up to a few thousand; most are not multiples of a block (8, 16, 32 or 64 lanes here).
            double u = r.NextDouble();
            int count = u < 0.4 ? r.Next(1, 21) : u < 0.85 ? r.Next(21, 400) : r.Next(400, 3001);
            bool large = count >= 400;

            double[] y0s = new double[count * n], ps = new double[shared ? m : count * m];
            for (int j = 0; j < count; j++)
            {
                if (drain)
                {
                    y0s[j * 2] = 0.01 + 2 * r.NextDouble();
                    y0s[j * 2 + 1] = 2 * r.NextDouble() - 1;
                }
                else
                {
                    for (int q = 0; q < 3; q++) y0s[j * 3 + q] = 20 * r.NextDouble() - 10;
                }
            }
            for (int j = 0; j < ps.Length / m; j++)
            {
                if (drain)
                {
                    ps[j * 2] = 0.5 + 2.5 * r.NextDouble();
                    ps[j * 2 + 1] = 2 * r.NextDouble() - 1;
                }
                else
                {
                    ps[j * 3] = 10;
                    ps[j * 3 + 1] = 20 + 10 * r.NextDouble();
                    ps[j * 3 + 2] = 8.0 / 3.0;
                }
            }
            // Trajectories that are not finite from the start (their own y0 or θ row): NonFiniteValue at t0.
            if (r.NextDouble() < 0.3)
            {
                double[] bad = { double.NaN, double.PositiveInfinity, double.NegativeInfinity };
                for (int k = r.Next(1, 4); k > 0; k--)
                {
                    double[] target = !shared && r.NextDouble() < 0.5 ? ps : y0s;
                    target[r.Next(target.Length)] = bad[r.Next(bad.Length)];
                }
            }

            // Times: forward, backward (Lorenz only briefly: it diverges fast backwards) or empty.
            double t0 = Math.Round(2 * r.NextDouble() - 1, 3);
            double v = r.NextDouble();
            double span = v < 0.05 ? 0 : v < 0.3 ? -(drain ? 0.05 + 2 * r.NextDouble() : 0.05 + 0.4 * r.NextDouble())
                : 0.05 + (large || drain ? 1.0 : 2.5) * r.NextDouble();
            double t1 = t0 + span;

            // Solver options.
            bool fixedStep = r.NextDouble() < 0.3;
            OdeMethod method = fixedStep ? LaneMethods[r.Next(LaneMethods.Length)] : Adaptive[r.Next(Adaptive.Length)];
            double? step = fixedStep ? Math.Max(Math.Abs(span), 0.01) / r.Next(4, large ? 60 : 200) : null;
            double[]? saveAt = null;
            if (r.NextDouble() < 0.35)
            {
                saveAt = new double[r.Next(1, 6)];
                for (int k = 0; k < saveAt.Length; k++) saveAt[k] = t0 + span * r.NextDouble();
                if (r.NextDouble() < 0.3) saveAt[^1] = t1;
                Array.Sort(saveAt);
                if (span < 0) Array.Reverse(saveAt);
            }
            double rel = Math.Pow(10, -(large ? 3 + 3 * r.NextDouble() : 3 + 6 * r.NextDouble()));
            SolverOptions? options = r.NextDouble() < 0.05 && !fixedStep ? null : new SolverOptions
            {
                Method = method,
                FixedStep = step,
                RelTol = rel,
                AbsTol = rel * Math.Pow(10, -r.Next(0, 4)),
                AbsTolVector = r.NextDouble() < 0.15 ? Enumerable.Range(0, n).Select(_ => rel * (0.01 + r.NextDouble())).ToArray() : null,
                SaveAt = saveAt,
                Norm = r.NextDouble() < 0.3 ? ErrorNorm.Max : ErrorNorm.Rms,
                MaxSteps = r.NextDouble() < 0.08 ? r.Next(1, 40) : 20_000,
                InitialStep = r.NextDouble() < 0.15 ? 1e-3 * (1 + r.NextDouble()) : null,
                MaxStep = r.NextDouble() < 0.15 ? 0.05 + r.NextDouble() : double.PositiveInfinity,
                MinStep = r.NextDouble() < 0.1 ? Math.Pow(10, -2 - 3 * r.NextDouble()) : 0,
                Controller = r.NextDouble() < 0.3 ? StepSizeControl.Integral : StepSizeControl.ProportionalIntegral,
                HoldBand = r.NextDouble() < 0.15 ? 0.25 + 0.75 * r.NextDouble() : null,
                Safety = r.NextDouble() < 0.1 ? 0.8 : 0.9,
            };

            // Per-lane steps mostly with what they need (adaptive, no SaveAt, no fixed step); now and then without, so
            // that the NotSupportedException is compared too.
            bool perLane = r.NextDouble() < 0.25;
            if (perLane && options is not null && r.NextDouble() < 0.85)
                options = Clone(options, saveAt: Cleared, fixedStep: double.NaN, method: Adaptive[r.Next(Adaptive.Length)]);
            LaneWidth[] widths = Enum.GetValues<LaneWidth>();
            EnsembleOptions? ensemble = r.NextDouble() < 0.1 && !perLane ? null : new EnsembleOptions
            {
                Width = widths[r.Next(widths.Length)],
                MaxDegreeOfParallelism = r.Next(3) switch { 0 => null, 1 => 1, _ => 2 },
                FusedSteps = r.NextDouble() < 0.5,
                PerLaneSteps = perLane,
                KeptBytes = r.Next(3) switch { 0 => 0, 1 => 1000, _ => 64L << 20 },
                ContinueAtObservations = r.NextDouble() < 0.5,
            };
            int[] blocksPerRequest = [1, 2, 3, 4, 7, 8, 16, 1000, int.MaxValue];
            var distribution = new DistributedEnsembleOptions
            {
                BlocksPerRequest = blocksPerRequest[r.Next(blocksPerRequest.Length)],
                MaxRequestsInFlight = r.Next(4) switch { 0 => null, 1 => 1, 2 => 3, _ => 16 },
                // Small enough to cut requests (a block here is at most 64 lanes of a few saves: under 20 kB), or no limit.
                MaxMessageBytes = r.Next(4) switch { 0 => 64 << 10, 1 => long.MaxValue, _ => new DistributedEnsembleOptions().MaxMessageBytes },
            };
            double[]? seed = gradient ? Enumerable.Range(0, count * n).Select(_ => 2 * r.NextDouble() - 1).ToArray() : null;

            var c = new FuzzCase
            {
                Name = name, Kind = kind, Drain = drain, Y0s = y0s, Ps = ps, Seed = seed, T0 = t0, T1 = t1,
                Options = options, EnsembleOrNull = ensemble, Distribution = distribution,
            };
            return r.NextDouble() < 0.08 ? c.Mutate(r) : c;
        }

        // One bad argument: both calls must refuse it with the same exception.
        private FuzzCase Mutate(Random r)
        {
            SolverOptions o = Options ?? SolverOptions.Default;
            return r.Next(9) switch
            {
                0 => With("y0s one value short", y0s: Y0s[..^1]),
                1 when !Shared => With("ps one value short", ps: Ps.Length > 0 ? Ps[..^1] : [1.0]),
                1 => With("shared p one value long", ps: [.. Ps, 1.0]),
                2 when Gradient => With("dLdyT one value long", seed: [.. Seed!, 0.5]),
                2 => With("t1 NaN", t1: double.NaN),
                3 when Gradient && Seed!.Length > 0 => With("a dLdyT entry NaN", seed: Seed.Select((s, i) => i == Seed.Length / 2 ? double.NaN : s).ToArray()),
                3 => With("t0 infinite", t0: double.NegativeInfinity),
                4 => With("SaveAt outside the interval", options: Clone(o, saveAt: [Math.Max(T0, T1) + 1])),
                5 => With("FixedStep negative", options: Clone(o, fixedStep: -0.1)),
                6 => With("Dense", options: Clone(o, dense: true)),
                7 => With("a stiff method", options: Clone(o, method: OdeMethod.Rodas4)),
                _ => With("an event", options: Clone(o, events: [new OdeEvent((t, y) => y[0])])),
            };
        }

        private FuzzCase With(string mutation, double[]? y0s = null, double[]? ps = null, double[]? seed = null, double? t0 = null,
            double? t1 = null, SolverOptions? options = null) => new()
        {
            Name = Name, Kind = Kind, Drain = Drain, Y0s = y0s ?? Y0s, Ps = ps ?? Ps, Seed = seed ?? Seed, T0 = t0 ?? T0, T1 = t1 ?? T1,
            Options = options ?? Options, EnsembleOrNull = EnsembleOrNull, Distribution = Distribution, Mutation = mutation, Base = this,
        };

        // A copy of o with the named settings changed (SolverOptions is a class with init-only properties, not a record).
        // saveAt and fixedStep: null keeps o's, Cleared / NaN removes it.
        private static readonly double[] Cleared = [];

        private static SolverOptions Clone(SolverOptions o, double[]? saveAt = null, double? fixedStep = null, OdeMethod? method = null,
            bool? dense = null, IReadOnlyList<OdeEvent>? events = null) => new()
        {
            Method = method ?? o.Method,
            RelTol = o.RelTol,
            AbsTol = o.AbsTol,
            AbsTolVector = o.AbsTolVector,
            SaveAt = saveAt is null ? o.SaveAt : ReferenceEquals(saveAt, Cleared) ? null : saveAt,
            Dense = dense ?? o.Dense,
            Events = events ?? o.Events,
            Norm = o.Norm,
            MaxSteps = o.MaxSteps,
            FixedStep = fixedStep is null ? o.FixedStep : double.IsNaN(fixedStep.Value) ? null : fixedStep,
            InitialStep = o.InitialStep,
            MinStep = o.MinStep,
            MaxStep = o.MaxStep,
            Safety = o.Safety,
            MinFactor = o.MinFactor,
            MaxFactor = o.MaxFactor,
            Controller = o.Controller,
            HoldBand = o.HoldBand,
        };

        public object Local<TSystem>(TSystem system) where TSystem : struct, IOdeLaneSystem
        {
            var batch = Shared ? EnsembleBatch.Shared(Y0s, Ps) : new EnsembleBatch(Y0s, Ps);
            return Gradient
                ? Ode.Gradient(system, batch, T0, [T1], Seed, Sensitivity.DiscreteAdjoint, Options, EnsembleOrNull)
                : Ode.Solve(system, batch, T0, T1, Options, EnsembleOrNull);
        }

        public async Task<object> DistributedAsync<TSystem>(IGrainFactory cluster, TSystem system, DistributedRunLog log)
            where TSystem : struct, IOdeLaneSystem => Kind switch
        {
            EnsembleKind.Solve => await cluster.SolveEnsembleAsync(system, Y0s, Ps, T0, T1, Options, EnsembleOrNull, Distribution, log),
            EnsembleKind.SolveShared => await cluster.SolveEnsembleSharedAsync(system, Y0s, Ps, T0, T1, Options, EnsembleOrNull, Distribution, log),
            EnsembleKind.Gradient => await cluster.GradientEnsembleAsync(system, Y0s, Ps, T0, T1, Seed, Options, EnsembleOrNull, Distribution, log),
            _ => await cluster.GradientEnsembleSharedAsync(system, Y0s, Ps, T0, T1, Seed, Options, EnsembleOrNull, Distribution, log),
        };

        public override string ToString()
        {
            var s = new StringBuilder();
            s.Append(CultureInfo.InvariantCulture, $"case {Name} (rerun: ODEGEN_DISTFUZZ_SEED={Name.Split(':')[0]} ODEGEN_DISTFUZZ_COUNT={int.Parse(Name.Split(':')[2], CultureInfo.InvariantCulture) + 1}): ");
            int n = Drain ? 2 : 3;
            s.Append(CultureInfo.InvariantCulture, $"{(Drain ? "Drain" : "Lorenz")} {Kind}, {Y0s.Length / (double)n} trajectories, t {T0:R} → {T1:R}, bad argument: {Mutation}; ");
            if (Options is not { } o) s.Append("options null; ");
            else
                s.Append(CultureInfo.InvariantCulture,
                    $"{o.Method.Name}, FixedStep {o.FixedStep?.ToString("R", CultureInfo.InvariantCulture) ?? "-"}, RelTol {o.RelTol:R}, AbsTol {o.AbsTol:R}, AbsTolVector {(o.AbsTolVector is null ? "-" : "set")}, "
                    + $"SaveAt [{string.Join(", ", (o.SaveAt ?? []).Select(t => t.ToString("R", CultureInfo.InvariantCulture)))}], Norm {o.Norm}, MaxSteps {o.MaxSteps}, InitialStep {o.InitialStep}, MaxStep {o.MaxStep}, MinStep {o.MinStep}, "
                    + $"{o.Controller}, HoldBand {o.HoldBand}, Safety {o.Safety}; ");
            if (EnsembleOrNull is not { } e) s.Append("ensemble null; ");
            else
                s.Append(CultureInfo.InvariantCulture,
                    $"{e.Width}, threads {e.MaxDegreeOfParallelism}, fused {e.FusedSteps}, per-lane {e.PerLaneSteps}, kept {e.KeptBytes}, continue {e.ContinueAtObservations}; ");
            s.Append(CultureInfo.InvariantCulture, $"{Distribution.BlocksPerRequest} blocks per request, in flight {Distribution.MaxRequestsInFlight}, MaxMessageBytes {Distribution.MaxMessageBytes}");
            return s.ToString();
        }
    }
}
