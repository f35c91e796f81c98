using System.Diagnostics;
using OdeGen.Models;
using OdeGen.Samples.Data;

namespace OdeGen.Samples.Classifier;

/// <summary>The measurements besides training: backward memory against depth, test error against the inference tolerance,
/// the adjoint's gradient against the discrete adjoint's, and the time of one training batch.</summary>
internal static class Experiments
{
    /// <summary>
    /// Backward memory per image for resnet with 1…12 blocks, rknet with 1…32 RK4 steps, odenet and odenet-discrete at
    /// tolerances 1e-1…1e-5, from the second gradient of a batch of <paramref name="batch"/> images at the initial weights (the first sizes buffers).
    /// </summary>
    public static void MemorySweep(TextWriter output, ImageDataset train, int channels, int groups, int batch, int seed, int threads)
    {
        output.WriteLine($"Backward memory per image, {channels} channels, the second of two gradients of {batch} images at the initial weights (seed {seed}):");
        output.WriteLine();
        output.WriteLine("| model | depth | layer inputs kept (B) | held by the middle blocks (B) | total (B) | NFE forward/backward |");
        output.WriteLine("|---|---|---:|---:|---:|---|");
        var specs = new List<(ClassifierSpec Spec, string Depth)>();
        for (int l = 1; l <= 12; l++) specs.Add((new ClassifierSpec("resnet", channels, Blocks: l, Groups: groups), $"L = {l}"));
        foreach (int s in new[] { 1, 2, 4, 8, 16, 32 }) specs.Add((new ClassifierSpec("rknet", channels, Steps: s, Groups: groups), $"{s} steps"));
        foreach (string model in new[] { "odenet", "odenet-discrete" })
        {
            foreach (double tol in new[] { 1e-1, 1e-2, 1e-3, 1e-4, 1e-5 }) specs.Add((new ClassifierSpec(model, channels, Tolerance: tol, Groups: groups), $"tol {tol:0e0}"));
        }

        var inputs = new double[batch * train.Size];
        var targets = new double[batch];
        ClassifierTrainer.Fill(train, Enumerable.Range(0, batch).ToArray(), inputs, targets);
        foreach ((ClassifierSpec spec, string depth) in specs)
        {
            ClassifierNetwork network = ClassifierNetwork.Create(spec);
            network.Model.MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount;
            double[] theta = network.Model.CreateParameters(seed);
            // The second gradient is measured: the first sizes the model's and the layers' reusable buffers.
            var gradient = new double[theta.Length];
            network.Model.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            network.Counter?.Reset();
            network.Model.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            long ode = network.Model.Memory.OdeBlockBytes;
            output.WriteLine(FormattableString.Invariant(
                $"| {spec.Model} | {depth} | {network.ActivationBytesPerSample:N0} | {ode:N0} | {network.ActivationBytesPerSample + ode:N0} | {network.ForwardEvaluations:F1}/{network.BackwardEvaluations:F1} |"));
        }
    }

    /// <summary>Test error and forward NFE of the weights <paramref name="theta"/> (trained at some tolerance) evaluated by Dopri5 at 1e-1…1e-6.</summary>
    public static void ToleranceSweep(TextWriter output, ClassifierSpec trained, double[] theta, ImageDataset test, int testCount, int threads)
    {
        output.WriteLine($"Test error against the inference tolerance ({trained.Model} trained at {trained.Tolerance:0e0}, {testCount} test images):");
        output.WriteLine();
        output.WriteLine("| inference tolerance | test error | NFE forward |");
        output.WriteLine("|---|---:|---:|");
        foreach (double tol in new[] { 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6 })
        {
            ClassifierNetwork network = ClassifierNetwork.Create(trained with { Model = "odenet", Tolerance = tol });
            network.Model.MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount;
            (double error, double nfe) = new ClassifierTrainer(network, new TrainingSettings()).Error(theta, test, testCount);
            output.WriteLine(FormattableString.Invariant($"| {tol:0e0} | {100 * error:F2} % | {nfe:F1} |"));
        }
    }

    /// <summary>At the weights <paramref name="theta"/>, the back-solve adjoint's gradient of one batch against the discrete adjoint's at the same tolerances.</summary>
    public static void GradientComparison(TextWriter output, ClassifierSpec trained, double[] theta, ImageDataset train, int batch, int threads)
    {
        output.WriteLine($"The adjoint's gradient against the discrete adjoint's (exact for the discrete solution), one batch of {batch} images:");
        output.WriteLine();
        output.WriteLine("| tolerance | ‖g_adjoint − g_discrete‖ / ‖g_discrete‖ | cosine | NFE backward adjoint / discrete |");
        output.WriteLine("|---|---:|---:|---|");
        var inputs = new double[batch * train.Size];
        var targets = new double[batch];
        ClassifierTrainer.Fill(train, Enumerable.Range(0, batch).ToArray(), inputs, targets);
        foreach (double tol in new[] { 1e-2, 1e-3, 1e-4, 1e-5 })
        {
            var g = new double[2][];
            var nfe = new double[2];
            string[] models = ["odenet", "odenet-discrete"];
            for (int i = 0; i < 2; i++)
            {
                ClassifierNetwork network = ClassifierNetwork.Create(trained with { Model = models[i], Tolerance = tol });
                network.Model.MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount;
                g[i] = new double[theta.Length];
                network.Model.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, g[i]);
                nfe[i] = network.BackwardEvaluations;
            }

            double diff = 0, norm = 0, dot = 0, norm0 = 0;
            for (int k = 0; k < theta.Length; k++)
            {
                diff += (g[0][k] - g[1][k]) * (g[0][k] - g[1][k]);
                norm += g[1][k] * g[1][k];
                norm0 += g[0][k] * g[0][k];
                dot += g[0][k] * g[1][k];
            }

            output.WriteLine(FormattableString.Invariant(
                $"| {tol:0e0} | {Math.Sqrt(diff / norm):E2} | {dot / Math.Sqrt(norm * norm0):F6} | {nfe[0]:F1} / {nfe[1]:F1} |"));
        }
    }

    /// <summary>
    /// Milliseconds per training step (forward, backward, SGD) on a batch of <paramref name="batch"/> random images: untimed
    /// steps for <paramref name="warmupSeconds"/> (at least one), then the median of <paramref name="repeats"/>. The PyTorch
    /// peer (benchmarks/peers/odenet_torch.py) times the same thing, with the same warm-up.
    /// </summary>
    /// <remarks>
    /// The warm-up is timed, not counted, because the JIT's tiers settle by time: with one untimed step the first timed
    /// steps of a 64-channel RK-Net ran at 700-770 ms where the rest took 360 (a median of 10 at 413 ms, 370 with tiered
    /// compilation off), which is the first-call cost (BENCHMARKS.md), not the step's. Pinned to one CPU (taskset), the
    /// JIT's background compiles share it with the steps and take longer: 10 s there.
    /// </remarks>
    public static void Bench(TextWriter output, ClassifierSpec spec, int batch, int repeats, int threads, int seed, double warmupSeconds)
    {
        if (repeats < 1) throw new ArgumentException($"--bench-repeats {repeats}: the median needs at least one timed step.");
        if (!(warmupSeconds >= 0)) throw new ArgumentException($"--bench-warmup {warmupSeconds}: seconds, zero or more.");
        ClassifierNetwork network = ClassifierNetwork.Create(spec);
        Model model = network.Model;
        model.MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount;
        double[] theta = model.CreateParameters(seed), gradient = new double[theta.Length];
        var random = new Random(seed);
        var inputs = new double[batch * spec.Rows * spec.Columns];
        var targets = new double[batch];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = random.NextDouble();
        for (int i = 0; i < batch; i++) targets[i] = random.Next(ClassifierNetwork.Classes);
        var sgd = new Neural.Sgd(0.1, 0.9);
        var times = new List<double>();
        var cpu = new List<double>();
        // The least any timed step allocated: a pool thread that first joins in a later step sizes its workspaces then,
        // once; a step that allocates does so every time.
        long allocated = long.MaxValue;
        void Step()
        {
            network.Counter?.Reset();
            model.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            sgd.Step(theta, gradient);
        }

        long warmupStart = Stopwatch.GetTimestamp();
        int warmupSteps = 0;
        do
        {
            Step();
            warmupSteps++;
        }
        while (Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < warmupSeconds);

        for (int r = 0; r < repeats; r++)
        {
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan startCpu = Environment.CpuUsage.TotalTime;
            long start = Stopwatch.GetTimestamp();
            Step();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - bytes);
            cpu.Add((Environment.CpuUsage.TotalTime - startCpu).TotalMilliseconds);
        }

        // The processor time of the whole process (every thread): on a loaded machine the wall time also counts the waits.
        times.Sort();
        cpu.Sort();
        output.WriteLine(FormattableString.Invariant(
            $"bench: {spec.Model}{(spec.BatchOde ? " (batch as one ODE)" : "")}{(spec.Precision == ConvolutionPrecision.Single ? " (single-precision convolutions)" : "")}{(spec.Model.StartsWith("odenet", StringComparison.Ordinal) ? $" ({spec.Controller} control{(spec.Seminorm ? ", seminorm" : "")})" : "")} channels {spec.Channels} threads {model.MaxDegreeOfParallelism}: {times[times.Count / 2]:F1} ms per batch of {batch} (min {times[0]:F1}, {repeats} repeats after {warmupSteps} untimed) | CPU: {cpu[cpu.Count / 2]:F1} ms (min {cpu[0]:F1}) | NFE forward/backward: {network.ForwardEvaluations:F1}/{network.BackwardEvaluations:F1} | allocated per step: {allocated:N0} B"));
    }
}
