using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Lanes;

namespace OdeGen.Benchmarks;

/// <summary>
/// A minibatch of 256 samples with shared weights through the generated derivatives: the scalar methods once
/// per sample (the baseline of each category) against the generated lane methods, one sample per lane, at
/// Lane512, Lane256 and Lane128. Samples are stored as structure of arrays per block of TLane.Count; the
/// weights are broadcast into TLane spans once, in setup; VJP sums the per-lane parameter adjoints with
/// TLane.Sum at the end, inside the timed method, so both sides produce the same minibatch gradient.
/// The setup throws if any width disagrees with the scalar methods.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LaneDerivativeBenchmarks
{
    private const int Batch = 256;
    private const int LorenzStates = 3;

    private readonly Samples _mlp = new(Mlp.In, Mlp.Size), _lorenz = new(LorenzStates, 3);
    private Blocks<Lane512> _mlp512 = null!, _lorenz512 = null!, _alg512 = null!;
    private Blocks<Lane256> _mlp256 = null!, _lorenz256 = null!, _alg256 = null!;
    private Blocks<Lane128> _mlp128 = null!, _lorenz128 = null!, _alg128 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(11);
        _mlp.Fill(rng, weights: k => 0.3 * (rng.NextDouble() - 0.5), states: () => (2 * rng.NextDouble()) - 1);
        double[] lorenzP = { 10.0, 28.0, 8.0 / 3.0 };
        _lorenz.Fill(rng, weights: k => lorenzP[k], states: () => 20 * (rng.NextDouble() - 0.5));
        (_mlp512, _mlp256, _mlp128) = (new(_mlp), new(_mlp), new(_mlp));
        (_lorenz512, _lorenz256, _lorenz128) = (new(_lorenz), new(_lorenz), new(_lorenz));
        (_alg512, _alg256, _alg128) = (new(_mlp), new(_mlp), new(_mlp));
        CheckAgreement(new Mlp.RhsSystem(), _mlp, _mlp512, _mlp256, _mlp128, "Mlp");
        CheckAgreement(new AlgebraicMlp.RhsSystem(), _mlp, _alg512, _alg256, _alg128, "AlgebraicMlp");
        CheckAgreement(new Lorenz.RhsSystem(), _lorenz, _lorenz512, _lorenz256, _lorenz128, "Lorenz");
    }

    [Benchmark(Baseline = true), BenchmarkCategory("MlpVjp")] public double MlpVjpScalar() => ScalarVjp(new Mlp.RhsSystem(), _mlp);
    [Benchmark, BenchmarkCategory("MlpVjp")] public double MlpVjpLane512() => LaneVjp(new Mlp.RhsSystem(), _mlp, _mlp512);
    [Benchmark, BenchmarkCategory("MlpVjp")] public double MlpVjpLane256() => LaneVjp(new Mlp.RhsSystem(), _mlp, _mlp256);
    [Benchmark, BenchmarkCategory("MlpVjp")] public double MlpVjpLane128() => LaneVjp(new Mlp.RhsSystem(), _mlp, _mlp128);

    // The same network with s / sqrt(1 + s²) for tanh: what the lanes gain when the activation has a vector kernel.
    [Benchmark(Baseline = true), BenchmarkCategory("AlgebraicMlpVjp")] public double AlgebraicMlpVjpScalar() => ScalarVjp(new AlgebraicMlp.RhsSystem(), _mlp);
    [Benchmark, BenchmarkCategory("AlgebraicMlpVjp")] public double AlgebraicMlpVjpLane512() => LaneVjp(new AlgebraicMlp.RhsSystem(), _mlp, _alg512);
    [Benchmark, BenchmarkCategory("AlgebraicMlpVjp")] public double AlgebraicMlpVjpLane256() => LaneVjp(new AlgebraicMlp.RhsSystem(), _mlp, _alg256);
    [Benchmark, BenchmarkCategory("AlgebraicMlpVjp")] public double AlgebraicMlpVjpLane128() => LaneVjp(new AlgebraicMlp.RhsSystem(), _mlp, _alg128);

    [Benchmark(Baseline = true), BenchmarkCategory("MlpEvaluate")] public double MlpEvaluateScalar() => ScalarEvaluate(new Mlp.RhsSystem(), _mlp);
    [Benchmark, BenchmarkCategory("MlpEvaluate")] public double MlpEvaluateLane512() => LaneEvaluate(new Mlp.RhsSystem(), _mlp512);
    [Benchmark, BenchmarkCategory("MlpEvaluate")] public double MlpEvaluateLane256() => LaneEvaluate(new Mlp.RhsSystem(), _mlp256);
    [Benchmark, BenchmarkCategory("MlpEvaluate")] public double MlpEvaluateLane128() => LaneEvaluate(new Mlp.RhsSystem(), _mlp128);

    [Benchmark(Baseline = true), BenchmarkCategory("LorenzVjp")] public double LorenzVjpScalar() => ScalarVjp(new Lorenz.RhsSystem(), _lorenz);
    [Benchmark, BenchmarkCategory("LorenzVjp")] public double LorenzVjpLane512() => LaneVjp(new Lorenz.RhsSystem(), _lorenz, _lorenz512);
    [Benchmark, BenchmarkCategory("LorenzVjp")] public double LorenzVjpLane256() => LaneVjp(new Lorenz.RhsSystem(), _lorenz, _lorenz256);
    [Benchmark, BenchmarkCategory("LorenzVjp")] public double LorenzVjpLane128() => LaneVjp(new Lorenz.RhsSystem(), _lorenz, _lorenz128);

    [Benchmark(Baseline = true), BenchmarkCategory("LorenzEvaluate")] public double LorenzEvaluateScalar() => ScalarEvaluate(new Lorenz.RhsSystem(), _lorenz);
    [Benchmark, BenchmarkCategory("LorenzEvaluate")] public double LorenzEvaluateLane512() => LaneEvaluate(new Lorenz.RhsSystem(), _lorenz512);
    [Benchmark, BenchmarkCategory("LorenzEvaluate")] public double LorenzEvaluateLane256() => LaneEvaluate(new Lorenz.RhsSystem(), _lorenz256);
    [Benchmark, BenchmarkCategory("LorenzEvaluate")] public double LorenzEvaluateLane128() => LaneEvaluate(new Lorenz.RhsSystem(), _lorenz128);

    /// <summary>The minibatch gradient the scalar way: one Vjp per sample into the shared pBar.</summary>
    private static double ScalarVjp<TSystem>(TSystem system, Samples s)
        where TSystem : struct, IOdeSystem
    {
        int n = s.States;
        Array.Clear(s.PBar);
        double tBar = 0;
        for (int i = 0; i < Batch; i++)
        {
            tBar += system.Vjp(0, s.Y.AsSpan(n * i, n), s.P, s.A.AsSpan(n * i, n), s.YBar.AsSpan(n * i, n), s.PBar);
        }

        return tBar + s.PBar[0];
    }

    /// <summary>The same gradient through VjpLanes: per-lane parameter adjoints, summed across lanes at the end.</summary>
    private static double LaneVjp<TSystem, TLane>(TSystem system, Samples s, Blocks<TLane> b)
        where TSystem : struct, IOdeLaneSystem
        where TLane : unmanaged, ILane<TLane>
    {
        int n = s.States;
        Array.Clear(b.PBar);
        TLane tBar = TLane.Zero;
        for (int block = 0; block < b.Count; block++)
        {
            tBar += system.VjpLanes<TLane>(0, b.Y.AsSpan(n * block, n), b.P, b.A.AsSpan(n * block, n), b.YBar.AsSpan(n * block, n), b.PBar);
        }

        for (int k = 0; k < s.PBar.Length; k++)
        {
            s.PBar[k] = TLane.Sum(b.PBar[k]);
        }

        return TLane.Sum(tBar) + s.PBar[0];
    }

    private static double ScalarEvaluate<TSystem>(TSystem system, Samples s)
        where TSystem : struct, IOdeSystem
    {
        int n = s.States;
        for (int i = 0; i < Batch; i++)
        {
            system.Evaluate(0, s.Y.AsSpan(n * i, n), s.P, s.F.AsSpan(n * i, n));
        }

        return s.F[0];
    }

    private static double LaneEvaluate<TSystem, TLane>(TSystem system, Blocks<TLane> b)
        where TSystem : struct, IOdeLaneSystem
        where TLane : unmanaged, ILane<TLane>
    {
        int n = b.States;
        for (int block = 0; block < b.Count; block++)
        {
            system.EvaluateLanes<TLane>(0, b.Y.AsSpan(n * block, n), b.P, b.F.AsSpan(n * block, n));
        }

        return TLane.GetLane(b.F[0], 0);
    }

    // Fails the run (rather than timing different work) if a width's f, yBar or minibatch pBar differs from the scalar methods'.
    private static void CheckAgreement<TSystem>(TSystem system, Samples s, Blocks<Lane512> b512, Blocks<Lane256> b256, Blocks<Lane128> b128, string name)
        where TSystem : struct, IOdeLaneSystem
    {
        Array.Clear(s.YBar);
        ScalarVjp(system, s);
        ScalarEvaluate(system, s);
        double[] pBar = (double[])s.PBar.Clone(), yBar = (double[])s.YBar.Clone(), f = (double[])s.F.Clone();
        Check(b512);
        Check(b256);
        Check(b128);
        Array.Clear(s.YBar);

        void Check<TLane>(Blocks<TLane> b)
            where TLane : unmanaged, ILane<TLane>
        {
            Array.Clear(b.YBar);
            LaneVjp(system, s, b);
            LaneEvaluate(system, b);
            double worst = 0;
            for (int i = 0; i < Batch; i++)
            {
                for (int j = 0; j < s.States; j++)
                {
                    worst = Math.Max(worst, Relative(yBar[(s.States * i) + j], b.Get(b.YBar, i, j)));
                    worst = Math.Max(worst, Relative(f[(s.States * i) + j], b.Get(b.F, i, j)));
                }
            }

            for (int k = 0; k < pBar.Length; k++)
            {
                worst = Math.Max(worst, Relative(pBar[k], s.PBar[k]));   // sums in another order: not bit for bit
            }

            if (worst > 1e-10)
            {
                throw new InvalidOperationException($"{name}: {typeof(TLane).Name} lane methods and scalar methods differ by {worst:E2}");
            }
        }
    }

    private static double Relative(double u, double v) => Math.Abs(u - v) / Math.Max(1e-12, Math.Max(Math.Abs(u), Math.Abs(v)));

    /// <summary>The minibatch one sample after another: y, a, yBar and f as Batch × States, shared p and pBar.</summary>
    private sealed class Samples(int states, int parameters)
    {
        public int States { get; } = states;
        public double[] Y { get; } = new double[Batch * states];
        public double[] A { get; } = new double[Batch * states];
        public double[] YBar { get; } = new double[Batch * states];
        public double[] F { get; } = new double[Batch * states];
        public double[] P { get; } = new double[parameters];
        public double[] PBar { get; } = new double[parameters];

        public void Fill(Random rng, Func<int, double> weights, Func<double> states)
        {
            for (int k = 0; k < P.Length; k++) P[k] = weights(k);
            for (int i = 0; i < Y.Length; i++) { Y[i] = states(); A[i] = rng.NextDouble() - 0.5; }
        }
    }

    /// <summary>The same minibatch in blocks of TLane.Count samples (y[block·n + i] holds state i of the block's samples), p broadcast.</summary>
    private sealed class Blocks<TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        public Blocks(Samples s)
        {
            States = s.States;
            Count = Batch / TLane.Count;
            Y = Pack(s.Y);
            A = Pack(s.A);
            YBar = new TLane[Y.Length];
            F = new TLane[Y.Length];
            P = s.P.Select(TLane.Create).ToArray();
            PBar = new TLane[P.Length];
        }

        public int States { get; }
        public int Count { get; }
        public TLane[] Y { get; }
        public TLane[] A { get; }
        public TLane[] YBar { get; }
        public TLane[] F { get; }
        public TLane[] P { get; }
        public TLane[] PBar { get; }

        /// <summary>State <paramref name="j"/> of sample <paramref name="sample"/>.</summary>
        public double Get(TLane[] packed, int sample, int j) => TLane.GetLane(packed[(States * (sample / TLane.Count)) + j], sample % TLane.Count);

        private TLane[] Pack(double[] samples)
        {
            var packed = new TLane[samples.Length];
            var column = new double[TLane.Count];
            for (int block = 0; block < Count; block++)
            {
                for (int j = 0; j < States; j++)
                {
                    for (int l = 0; l < TLane.Count; l++) column[l] = samples[(States * ((block * TLane.Count) + l)) + j];
                    packed[(States * block) + j] = TLane.Load(column);
                }
            }

            return packed;
        }
    }
}
