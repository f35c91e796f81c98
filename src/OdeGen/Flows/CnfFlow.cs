using OdeGen.Threading;

namespace OdeGen.Flows;

/// <summary>
/// What every continuous normalizing flow does (Chen et al. 2018; Grathwohl et al. 2019, FFJORD), whatever its field:
/// base samples z(t0) ~ N(0, I) flow by dz/dt = f(t, z, θ) to data x = z(t1), and
/// log p(x) = log N(z(t0)) − ∫_{t0}^{t1} tr(∂f/∂z) dt. Densities integrate [z, Δlog p] from the data back to the base;
/// samples integrate base draws forwards; training gradients of the mean negative log-likelihood (plus the RNODE
/// regularizers) come from any <see cref="Sensitivity"/> applied to the augmented system.
/// </summary>
/// <remarks>
/// Two kinds: <see cref="ContinuousNormalizingFlow{TSystem}"/> over a field written per sample, and
/// <see cref="ContinuousNormalizingFlow{THypernetwork, TField}"/> over a field split into a part of t alone (evaluated once
/// per evaluation of the dynamics) and a per-sample part. Batches are laid out row by row (sample i is entries
/// [i·D, (i+1)·D)). A batch is cut into chunks of <see cref="CnfOptions.ChunkSize"/> samples that are solved in parallel;
/// results do not depend on the thread count. A failed solve throws <see cref="OdeSolverException"/>: a density from a
/// solve that did not finish is never returned.
/// </remarks>
public abstract class CnfFlow
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
    private readonly CnfEngine _engine;
    private Workspace? _workspace;

    private protected CnfFlow(int dimension, int parameterCount, CnfOptions? options, CnfEngine engine)
    {
        Options = options ?? CnfOptions.Default;
        Guard.Interval(Options.T0, Options.T1, "options.T0", "options.T1");
        if (Options.T0 == Options.T1)
            throw new ArgumentException($"options.T0 and options.T1 are both {Options.T0}; the flow needs a time span (T1 ≠ T0).", nameof(options));
        if ((Options.Precision == CnfPrecision.Single) != engine.SinglePrecision)
            throw new ArgumentException(
                "options.Precision is Single, which runs the field's generated lane methods in float lanes: build the flow with " +
                "ContinuousNormalizingFlow.WithLanes or WithHypernetwork.", nameof(options));
        Dimension = dimension;
        ParameterCount = parameterCount;
        _engine = engine;
    }

    /// <summary>Samples per kernel call: 1 for the scalar code, the lane count for a flow made by <see cref="ContinuousNormalizingFlow.WithLanes"/> or <see cref="ContinuousNormalizingFlow.WithHypernetwork"/>.</summary>
    public int LaneCount => _engine.LaneCount;

    /// <summary>The settings.</summary>
    public CnfOptions Options { get; }

    /// <summary>D, the dimension of the data.</summary>
    public int Dimension { get; }

    /// <summary>Length of θ (of a split field: the hypernetwork's parameters).</summary>
    public int ParameterCount { get; }

    /// <summary>log N(z; 0, I) = −D/2·log 2π − ‖z‖²/2.</summary>
    public static double BaseLogDensity(ReadOnlySpan<double> z)
    {
        double sum = 0;
        foreach (double v in z) sum += v * v;
        return (-z.Length * HalfLog2Pi) - (0.5 * sum);
    }

    /// <summary>Fills <paramref name="z"/> with independent N(0, 1) draws from <paramref name="random"/> (base samples, row by row).</summary>
    public static void DrawBase(Random random, Span<double> z)
    {
        ArgumentNullException.ThrowIfNull(random);
        CnfNoiseSource.FillGaussian(random, z);
    }

    /// <summary>log p(x) of one point.</summary>
    /// <param name="point">x (length D).</param>
    /// <param name="p">θ.</param>
    /// <param name="seed">Seed of Hutchinson's noise (unused with the exact trace).</param>
    public double LogDensity(ReadOnlySpan<double> point, ReadOnlySpan<double> p, int seed = 0)
    {
        Span<double> result = stackalloc double[1];
        LogDensity(point, p, result, seed);
        return result[0];
    }

    /// <summary>
    /// log p(x) of each point of a batch: integrates [z, l] from z(t1) = x, l(t1) = 0 to t0 and returns log N(z(t0)) + l(t0).
    /// With Hutchinson's trace each value is an unbiased estimate (noise drawn once per solve from <paramref name="seed"/>).
    /// </summary>
    /// <param name="points">B × D, row by row.</param>
    /// <param name="p">θ.</param>
    /// <param name="logDensity">Where log p goes (length B).</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <returns>The cost.</returns>
    /// <exception cref="ArgumentException">A size does not match, or a value is not finite.</exception>
    /// <exception cref="OdeSolverException">A solve failed (its status and time are in the exception).</exception>
    public CnfCost LogDensity(ReadOnlySpan<double> points, ReadOnlySpan<double> p, Span<double> logDensity, int seed = 0)
    {
        int batch = CheckBatch(points, p, nameof(points));
        if (logDensity.Length != batch)
            throw new ArgumentException($"logDensity must have length {batch} (one per point), but has {logDensity.Length}.", nameof(logDensity));
        using Plan plan = Plan.Start(this, points, p, seed, regularizers: false);
        var results = new double[batch];
        var costs = new CnfCost[plan.Chunks];
        plan.Run(c =>
        {
            var (system, y, first, count, s) = plan.Chunk(c);
            OdeSolution solution = system.Solve(y, plan.P, Options.T1, Options.T0, Options.Solver).EnsureSuccess();
            ReadOnlySpan<double> end = solution.FinalState;
            int d = Dimension;
            for (int i = 0; i < count; i++) results[first + i] = BaseLogDensity(end.Slice(i * s, d)) + end[(i * s) + d];
            costs[c] = new CnfCost(1, solution.Stats.Steps, solution.Stats.FunctionEvaluations);
        });
        results.CopyTo(logDensity);
        return Sum(costs);
    }

    /// <summary>
    /// Pushes base samples through the flow: integrates [z, l] from z(t0) = the base sample to t1, and returns the
    /// samples x = z(t1) with their log-densities log N(z(t0)) − ∫tr.
    /// </summary>
    /// <param name="baseSamples">B × D draws of N(0, I) (see <see cref="DrawBase"/>).</param>
    /// <param name="p">θ.</param>
    /// <param name="samples">Where x goes (B × D).</param>
    /// <param name="logDensity">Where log p(x) goes (length B), or empty to skip it.</param>
    /// <param name="seed">Seed of the noise (Hutchinson's trace only).</param>
    /// <returns>The cost.</returns>
    /// <exception cref="ArgumentException">A size does not match, or a value is not finite.</exception>
    /// <exception cref="OdeSolverException">A solve failed.</exception>
    public CnfCost Sample(ReadOnlySpan<double> baseSamples, ReadOnlySpan<double> p, Span<double> samples, Span<double> logDensity = default, int seed = 0)
    {
        int batch = CheckBatch(baseSamples, p, nameof(baseSamples));
        if (samples.Length != baseSamples.Length)
            throw new ArgumentException($"samples must have length {baseSamples.Length} (B × D), but has {samples.Length}.", nameof(samples));
        if (logDensity.Length != 0 && logDensity.Length != batch)
            throw new ArgumentException($"logDensity must be empty or have length {batch}, but has {logDensity.Length}.", nameof(logDensity));
        using Plan plan = Plan.Start(this, baseSamples, p, seed, regularizers: false);
        var x = new double[baseSamples.Length];
        var logs = new double[batch];
        var costs = new CnfCost[plan.Chunks];
        double[] base0 = plan.Points;
        plan.Run(c =>
        {
            var (system, y, first, count, s) = plan.Chunk(c);
            OdeSolution solution = system.Solve(y, plan.P, Options.T0, Options.T1, Options.Solver).EnsureSuccess();
            ReadOnlySpan<double> end = solution.FinalState;
            int d = Dimension;
            for (int i = 0; i < count; i++)
            {
                end.Slice(i * s, d).CopyTo(x.AsSpan((first + i) * d, d));
                logs[first + i] = BaseLogDensity(base0.AsSpan((first + i) * d, d)) - end[(i * s) + d];
            }
            costs[c] = new CnfCost(1, solution.Stats.Steps, solution.Stats.FunctionEvaluations);
        });
        x.CopyTo(samples);
        if (logDensity.Length != 0) logs.CopyTo(logDensity);
        return Sum(costs);
    }

    /// <summary>
    /// The training loss L = mean(−log p(x)) + λ_K·mean(∫‖f‖²) + λ_J·mean(∫‖(∂f/∂z)ε‖²) over a batch and its gradient
    /// with respect to θ, by <see cref="CnfOptions.Sensitivity"/> on the augmented system (one forward pass that serves the
    /// loss and the gradient, then the backward pass).
    /// </summary>
    /// <param name="points">B × D data, row by row.</param>
    /// <param name="p">θ.</param>
    /// <param name="gradient">Where dL/dθ goes (overwritten; length ParameterCount).</param>
    /// <param name="seed">Seed of the noise, drawn once for the whole batch and held through forward and backward passes.</param>
    /// <returns>The loss, its parts, and the cost.</returns>
    /// <exception cref="ArgumentException">A size does not match, or a value is not finite.</exception>
    /// <exception cref="OdeSolverException">A forward or backward solve failed.</exception>
    public CnfLoss LossGradient(ReadOnlySpan<double> points, ReadOnlySpan<double> p, Span<double> gradient, int seed = 0)
    {
        int batch = CheckBatch(points, p, nameof(points));
        if (gradient.Length != ParameterCount)
            throw new ArgumentException($"gradient must have length {ParameterCount} (ParameterCount), but has {gradient.Length}.", nameof(gradient));
        using Plan plan = Plan.Start(this, points, p, seed, regularizers: true);
        Training training = plan.Training;
        training.Run(plan);

        // Chunk results are summed in chunk order, so the thread count never changes a bit of the result.
        gradient.Clear();
        double weight = 1.0 / batch, lk = Options.KineticWeight, lj = Options.JacobianWeight;
        double totalNll = 0, totalKinetic = 0, totalJacobian = 0;
        for (int c = 0; c < plan.Chunks; c++)
        {
            double[] gc = training.Gradients[c];
            for (int k = 0; k < gc.Length; k++) gradient[k] += gc[k];
            totalNll += training.Parts[3 * c];
            totalKinetic += training.Parts[(3 * c) + 1];
            totalJacobian += training.Parts[(3 * c) + 2];
        }
        double meanNll = totalNll * weight, meanKinetic = totalKinetic * weight, meanJacobian = totalJacobian * weight;
        return new CnfLoss(meanNll, meanKinetic, meanJacobian, meanNll + (lk * meanKinetic) + (lj * meanJacobian),
            Sum(training.Forward.AsSpan(0, plan.Chunks)), Sum(training.Backward.AsSpan(0, plan.Chunks)));
    }

    private int CheckBatch(ReadOnlySpan<double> points, ReadOnlySpan<double> p, string name)
    {
        int d = Dimension;
        if (points.Length == 0 || points.Length % d != 0)
            throw new ArgumentException($"{name} must hold B × D values (D = {d}, B ≥ 1), but has {points.Length}.", name);
        Guard.FiniteVector(points, points.Length, name, "batch × Dimension");
        Guard.FiniteVector(p, ParameterCount, "p", "ParameterCount");
        return points.Length / d;
    }

    private static CnfCost Sum(ReadOnlySpan<CnfCost> costs)
    {
        int solves = 0;
        long steps = 0, evaluations = 0;
        foreach (CnfCost c in costs)
        {
            solves += c.Solves;
            steps += c.Steps;
            evaluations += c.FunctionEvaluations;
        }
        return new CnfCost(solves, steps, evaluations);
    }

    // One call's batch, noise and chunking: chunk c is samples [c·size, min((c+1)·size, B)). Its buffers and the chunks'
    // augmented systems come from the flow's workspace and go back to it at the end (Dispose), so a training loop
    // allocates them once; a call made while another holds the workspace builds its own.
    private sealed class Plan : IDisposable
    {
        private readonly CnfFlow _flow;
        private readonly Workspace _workspace;
        private int _size, _batch;

        private Plan(CnfFlow flow, Workspace workspace)
        {
            _flow = flow;
            _workspace = workspace;
        }

        /// <summary>The workspace's plan (made once), loaded with this call's batch, θ, noise and chunking.</summary>
        public static Plan Start(CnfFlow flow, ReadOnlySpan<double> points, ReadOnlySpan<double> p, int seed, bool regularizers)
        {
            Workspace workspace = Interlocked.Exchange(ref flow._workspace, null) ?? new Workspace();
            Plan plan = workspace.Plan ??= new Plan(flow, workspace);
            plan.Load(points, p, seed, regularizers);
            return plan;
        }

        private void Load(ReadOnlySpan<double> points, ReadOnlySpan<double> p, int seed, bool regularizers)
        {
            Points = Workspace.Fit(ref _workspace.Points, points.Length);
            points.CopyTo(Points);
            P = Workspace.Fit(ref _workspace.P, p.Length);
            p.CopyTo(P);
            CnfOptions o = _flow.Options;
            int d = _flow.Dimension;
            _batch = points.Length / d;
            _size = o.ChunkSize == 0 ? _batch : Math.Min(o.ChunkSize, _batch);
            Chunks = (_batch + _size - 1) / _size;
            Kinetic = regularizers && o.KineticWeight > 0;
            Jacobian = regularizers && o.JacobianWeight > 0;
            Exact = o.Trace == CnfTrace.Exact;
            Noise = !Exact || Jacobian ? Workspace.Fit(ref _workspace.Noise, points.Length) : [];
            CnfNoiseSource.Fill(o.Noise, seed, Noise);
            _workspace.EnsureChunks(Chunks);
        }

        public double[] Points { get; private set; } = [];
        public double[] P { get; private set; } = [];
        public double[] Noise { get; private set; } = [];
        public int Chunks { get; private set; }
        public int Batch => _batch;
        public bool Exact { get; private set; }
        public bool Kinetic { get; private set; }
        public bool Jacobian { get; private set; }

        /// <summary>The training call's per-chunk state, kept with the workspace.</summary>
        public Training Training => _workspace.Training ??= new Training(_flow);

        /// <summary>Chunk c's augmented system (its noise loaded), its initial state (z from the points; l, k, j zero), and its place in the batch.</summary>
        public (CnfChunk System, double[] Y, int First, int Count, int Stride) Chunk(int c)
        {
            int d = _flow.Dimension, first = c * _size, count = Math.Min(_size, _batch - first);
            ReadOnlySpan<double> noise = Noise.Length == 0 ? [] : Noise.AsSpan(first * d, count * d);
            int s = d + 1 + (Kinetic ? 1 : 0) + (Jacobian ? 1 : 0);
            double[] y = Workspace.Fit(ref _workspace.States[c], count * s);
            Array.Clear(y);
            for (int i = 0; i < count; i++) Points.AsSpan((first + i) * d, d).CopyTo(y.AsSpan(i * s, d));
            ref CnfChunk? system = ref _workspace.Systems[c];
            if (system is not null && system.Fits(count, Exact, Kinetic, Jacobian)) system.LoadNoise(noise);
            else system = _flow._engine.Chunk(count, Exact, Kinetic, Jacobian, noise);
            return (system, y, first, count, s);
        }

        // Chunks on the workspace's runner (Parallel.For without its per-call options, closures and tasks); an exception
        // is rethrown as itself, what a single solve throws (OdeSolverException, ArgumentException).
        public void Run(Action<int> chunk) => _workspace.Runner.Run(Chunks, Threads, chunk);

        /// <summary>As <see cref="Run(Action{int})"/>, calling <c>chunk(worker, c)</c> with a worker index below <see cref="Threads"/>.</summary>
        public void Run(Action<int, int> chunk)
        {
            int threads = Threads;
            if (_workspace.GradientWork.Length < threads) Array.Resize(ref _workspace.GradientWork, threads);
            _workspace.Runner.Run(Chunks, threads, chunk);
        }

        public int Threads => _flow.Options.MaxDegreeOfParallelism is 0 ? Environment.ProcessorCount : _flow.Options.MaxDegreeOfParallelism;

        /// <summary>Worker <paramref name="worker"/>'s gradient workspaces (made by its chunk on first use; sized by <see cref="Run(Action{int, int})"/>), kept with the flow's workspace.</summary>
        public ref CnfGradientWork? GradientWork(int worker) => ref _workspace.GradientWork[worker];

        public void Dispose() => Volatile.Write(ref _flow._workspace, _workspace);
    }

    // What the calls of a flow reuse: the batch, θ and noise copies, each chunk's initial state and augmented system, each
    // worker's gradient workspaces, and the threads' runner.
    private sealed class Workspace
    {
        public readonly PartitionRunner Runner = new();
        public Plan? Plan;
        public Training? Training;
        public double[] Points = [], P = [], Noise = [];
        public double[][] States = [];
        public CnfChunk?[] Systems = [];
        public CnfGradientWork?[] GradientWork = [];

        public static double[] Fit(ref double[] buffer, int length)
        {
            if (buffer.Length != length) buffer = new double[length];
            return buffer;
        }

        public void EnsureChunks(int chunks)
        {
            if (Systems.Length >= chunks) return;
            Array.Resize(ref Systems, chunks);
            int old = States.Length;
            Array.Resize(ref States, chunks);
            for (int c = old; c < chunks; c++) States[c] = [];
        }
    }

    // What a training call keeps per chunk: the loss callback, the results (summed after the chunks, in chunk order; dL/dθ
    // copied out of the worker's gradient workspace), and the chunk body as one delegate, so that the call allocates
    // nothing but its result.
    private sealed class Training
    {
        private readonly CnfFlow _flow;
        private readonly Action<int, int> _body;
        private readonly double[] _times;
        private Plan? _plan;

        public Training(CnfFlow flow)
        {
            _flow = flow;
            _body = Chunk;
            _times = [flow.Options.T0];
        }

        public double[][] Gradients { get; private set; } = [];
        public double[] Parts { get; private set; } = [];
        public CnfCost[] Forward { get; private set; } = [];
        public CnfCost[] Backward { get; private set; } = [];
        private ChunkLoss[] _losses = [];

        /// <summary>Differentiates every chunk of <paramref name="plan"/> into its slots.</summary>
        public void Run(Plan plan)
        {
            int chunks = plan.Chunks;
            if (_losses.Length < chunks)
            {
                int old = _losses.Length;
                Array.Resize(ref _losses, chunks);
                for (int c = old; c < chunks; c++) _losses[c] = new ChunkLoss();
                Gradients = new double[chunks][];
                for (int c = 0; c < chunks; c++) Gradients[c] = new double[_flow.ParameterCount];
                Parts = new double[chunks * 3];
                Forward = new CnfCost[chunks];
                Backward = new CnfCost[chunks];
            }
            _plan = plan;
            try
            {
                plan.Run(_body);
            }
            finally
            {
                _plan = null;
            }
        }

        private void Chunk(int worker, int c)
        {
            Plan plan = _plan!;
            CnfOptions options = _flow.Options;
            var (system, y, _, count, s) = plan.Chunk(c);
            int d = _flow.Dimension;
            ChunkLoss loss = _losses[c];
            loss.Start(count, s, d, plan.Kinetic ? d + 1 : -1, plan.Jacobian ? d + 1 + (plan.Kinetic ? 1 : 0) : -1,
                1.0 / plan.Batch, options.KineticWeight, options.JacobianWeight);
            double[] g = system.Gradient(ref plan.GradientWork(worker), y, plan.P, options.T1, _times, loss.Callback, options.Sensitivity,
                options.Solver, out GradientStats stats);
            g.CopyTo(Gradients[c], 0);
            Parts[3 * c] = loss.Nll;
            Parts[(3 * c) + 1] = loss.Kinetic;
            Parts[(3 * c) + 2] = loss.Jacobian;
            Forward[c] = new CnfCost(1, stats.Forward.Steps, stats.Forward.FunctionEvaluations);
            Backward[c] = new CnfCost(1, stats.Backward.Steps + stats.Recompute.Steps,
                stats.Backward.FunctionEvaluations + stats.Recompute.FunctionEvaluations);
        }
    }

    // One chunk's part of the loss at t0 and its seed ∂L/∂[z, l, k, j], as one callback made once.
    private sealed class ChunkLoss
    {
        private int _count, _stride, _dimension, _kineticIndex, _jacobianIndex;
        private double _weight, _kineticWeight, _jacobianWeight;

        public ChunkLoss() => Callback = Compute;

        public ObservationLoss Callback { get; }
        public double Nll { get; private set; }
        public double Kinetic { get; private set; }
        public double Jacobian { get; private set; }

        public void Start(int count, int stride, int dimension, int kineticIndex, int jacobianIndex, double weight, double kineticWeight, double jacobianWeight)
        {
            (_count, _stride, _dimension, _kineticIndex, _jacobianIndex) = (count, stride, dimension, kineticIndex, jacobianIndex);
            (_weight, _kineticWeight, _jacobianWeight) = (weight, kineticWeight, jacobianWeight);
            Nll = Kinetic = Jacobian = 0;
        }

        private double Compute(ReadOnlySpan<double> end, Span<double> dLdy)
        {
            int s = _stride, d = _dimension, ki = _kineticIndex, ji = _jacobianIndex;
            double weight = _weight, lk = _kineticWeight, lj = _jacobianWeight, nll = Nll, kinetic = Kinetic, jacobian = Jacobian;
            for (int i = 0; i < _count; i++)
            {
                ReadOnlySpan<double> row = end.Slice(i * s, s);
                Span<double> bar = dLdy.Slice(i * s, s);
                nll -= BaseLogDensity(row[..d]) + row[d];
                for (int j = 0; j < d; j++) bar[j] = weight * row[j];
                bar[d] = -weight;
                if (ki >= 0) { kinetic += row[ki]; bar[ki] = weight * lk; }
                if (ji >= 0) { jacobian += row[ji]; bar[ji] = weight * lj; }
            }
            (Nll, Kinetic, Jacobian) = (nll, kinetic, jacobian);
            return weight * (nll + (lk * kinetic) + (lj * jacobian));
        }
    }
}
