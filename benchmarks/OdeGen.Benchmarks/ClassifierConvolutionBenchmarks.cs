using BenchmarkDotNet.Attributes;
using OdeGen.Models;
using ModelConv2d = OdeGen.Models.Conv2d;

namespace OdeGen.Benchmarks;

/// <summary>
/// The classifier's convolutions one at a time, in single precision, over a batch of 128 on one thread, as the model runs
/// them (<see cref="Layer.ForwardBatch"/>, <see cref="Layer.BackwardBatch"/>): to set beside PyTorch's per-operator times
/// (<c>benchmarks/peers/odenet_torch.py --profile</c>). The shapes are the resnet's at <see cref="Channels"/>: the stem's
/// 1→C 3×3 on 28×28, C→C 4×4 stride 2 padding 1 on 26×26 and on 13×13, and a residual block's C→C 3×3 padding 1 on 6×6.
/// <c>WeightGradient</c> is the backward pass without ∂L/∂x (the weight and bias gradients); the input gradient is
/// <c>Backward</c> less that.
/// </summary>
[MemoryDiagnoser]
public class ClassifierConvolutionBenchmarks
{
    private const int Samples = 128;
    private ModelConv2d _conv = null!;
    private double[] _x = [], _p = [], _yBar = [], _y = [], _xBar = [], _pBar = [], _scratch = [];

    /// <summary>Channels (64: the paper's; 16: the classifier's default).</summary>
    [Params(64)]
    public int Channels { get; set; }

    /// <summary>Which convolution: Stem1 (1→C 3×3, 28×28), Stem2 (4×4 s2 p1, 26×26), Stem3 (4×4 s2 p1, 13×13), Block (3×3 p1, 6×6).</summary>
    [Params("Stem1", "Stem2", "Stem3", "Block")]
    public string Layer { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        int c = Channels;
        _conv = Layer switch
        {
            "Stem1" => new ModelConv2d(1, c, 28, 28, kernel: 3) { Precision = ConvolutionPrecision.Single },
            "Stem2" => new ModelConv2d(c, c, 26, 26, kernel: 4, stride: 2, padding: 1) { Precision = ConvolutionPrecision.Single },
            "Stem3" => new ModelConv2d(c, c, 13, 13, kernel: 4, stride: 2, padding: 1) { Precision = ConvolutionPrecision.Single },
            _ => new ModelConv2d(c, c, 6, 6, kernel: 3, padding: 1) { Precision = ConvolutionPrecision.Single },
        };
        var random = new Random(7);
        _x = Conv2dFormulationBenchmarks.Fill(random, Samples * _conv.InputSize);
        _p = Conv2dFormulationBenchmarks.Fill(random, _conv.ParameterCount);
        _yBar = Conv2dFormulationBenchmarks.Fill(random, Samples * _conv.OutputSize);
        _y = new double[Samples * _conv.OutputSize];
        _xBar = new double[Samples * _conv.InputSize];
        _pBar = new double[_conv.ParameterCount];
        _scratch = new double[_conv.BatchScratchSize(Samples)];
        _conv.ForwardBatch(Samples, _x, _p, _y, _scratch);   // sizes this thread's buffers
    }

    /// <summary>Floating-point operations of the forward product (2 × its multiply-adds) over the batch.</summary>
    public double ForwardFlop => 2.0 * Samples * _conv.OutChannels * _conv.InChannels * _conv.Kernel * _conv.Kernel * _conv.OutHeight * _conv.OutWidth;

    /// <summary>The shape, as the peer's table names it.</summary>
    public string Description => $"{_conv.InChannels,3}->{_conv.OutChannels,3} {_conv.Kernel}x{_conv.Kernel} s{_conv.Stride} p{_conv.Padding}, {_conv.Height}x{_conv.Width}";

    /// <summary>The forward pass (float sums, y = bias + sum in double).</summary>
    [Benchmark]
    public void Forward() => _conv.ForwardBatch(Samples, _x, _p, _y, _scratch);

    /// <summary>The backward pass without ∂L/∂x: the weight and bias gradients.</summary>
    [Benchmark]
    public void WeightGradient() => _conv.BackwardBatch(Samples, _x, _p, _yBar, default, _pBar, _scratch);

    /// <summary>The whole backward pass (not for the stem's first convolution, whose input needs no gradient in the model).</summary>
    [Benchmark]
    public void Backward()
    {
        if (Layer != "Stem1") _conv.BackwardBatch(Samples, _x, _p, _yBar, _xBar, _pBar, _scratch);
    }
}

/// <summary>
/// The console mode <c>classifier-ops [--channels C] [--repeats N]</c>: each of the classifier's convolutions (the shapes of
/// <see cref="ClassifierConvolutionBenchmarks"/>) and GroupNorms over a batch of 128 in single precision, timed by this
/// process's processor time (the machine is shared: wall time there includes waiting), the median of N calls after warm-up
/// calls, with GFLOP/s (2 × the forward product's multiply-adds; the gradients count the same) to set beside
/// <c>benchmarks/peers/odenet_torch.py --profile</c>.
/// </summary>
public static class ClassifierOpsMode
{
    /// <summary>Runs the mode (<c>--only Stem1|Stem2|Stem3|Block</c>: that convolution alone; <c>--kernels</c>: the float kernels alone, <see cref="ClassifierKernelTimes"/>); returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int channels = 64, repeats = 9;
        string only = "";
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--channels") channels = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            if (args[i] == "--only") only = args[i + 1];
            if (args[i] == "--repeats") repeats = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        if (args.Contains("--kernels"))
        {
            ClassifierKernelTimes.Run(channels, repeats, Median);
            return 0;
        }

        Console.WriteLine($"# ours, float convolutions, {channels} channels, batch 128, one thread, processor ms (median of {repeats})");
        Console.WriteLine("op                                   | forward ms GFLOP/s | input grad ms GFLOP/s | weight grad ms GFLOP/s");
        foreach (string layer in new[] { "Stem1", "Stem2", "Stem3", "Block" }.Where(l => only.Length == 0 || l == only))
        {
            var b = new ClassifierConvolutionBenchmarks { Channels = channels, Layer = layer };
            b.Setup();
            double forward = Median(repeats, b.Forward), weight = Median(repeats, b.WeightGradient), backward = layer == "Stem1" ? weight : Median(repeats, b.Backward);
            double flop = b.ForwardFlop;
            string input = layer == "Stem1" ? "        -      -" : $"{backward - weight,9:F2} {flop / (backward - weight) / 1e6,6:F1}";
            Console.WriteLine($"{b.Description,-36} | {forward,9:F2} {flop / forward / 1e6,6:F1} | {input} | {weight,9:F2} {flop / weight / 1e6,6:F1}");
        }

        foreach ((int side, string name) in new[] { (26, "GroupNorm 26x26"), (13, "GroupNorm 13x13"), (6, "GroupNorm 6x6") }.Where(_ => only.Length == 0))
        {
            // torchdiffeq's min(32, C) groups where they split C, else the most groups up to 32 that do (48 channels: 24).
            int groups = Enumerable.Range(1, Math.Min(32, channels)).Last(g => channels % g == 0);
            var norm = new GroupNorm(groups, channels, side * side);
            var random = new Random(3);
            double[] x = Conv2dFormulationBenchmarks.Fill(random, 128 * norm.InputSize), p = Conv2dFormulationBenchmarks.Fill(random, norm.ParameterCount);
            double[] yBar = Conv2dFormulationBenchmarks.Fill(random, 128 * norm.OutputSize), y = new double[x.Length], xBar = new double[x.Length], pBar = new double[p.Length];
            double[] scratch = new double[norm.BatchScratchSize(128)];
            double forward = Median(repeats, () => norm.ForwardBatch(128, x, p, y, scratch));
            double backward = Median(repeats, () => norm.BackwardBatch(128, x, p, yBar, xBar, pBar, scratch));
            Console.WriteLine($"{name,-36} | {forward,9:F2}        | {backward,9:F2} (input and weight)");
        }

        return 0;
    }

    // The tiered JIT's optimized code for every method the action calls, before it is timed. This mode compiles new code
    // shape after shape, and each compilation put off the tier-up of the methods already called (call counting starts 100 ms
    // after the last new method): kernel helpers such as DirectConvolution.Widened ran as tier-0 code for the whole run and
    // the stem's widened weight gradient took 33 ms where its optimized code takes 17 (BENCHMARKS.md, 6 December 2026,
    // 04:22). Idle past the delay, make the 30 calls that promote a method, idle while the background compiler works.
    private static void Settle(Action action)
    {
        for (int round = 0; round < 2; round++)
        {
            Thread.Sleep(250);
            var calls = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 32 && (i < 2 || calls.ElapsedMilliseconds < 2000); i++) action();
        }

        Thread.Sleep(250);
    }

    // The median processor time of `repeats` calls, in ms, after three calls, at least half a second of warm-up and the
    // tiered JIT's settling (Settle).
    internal static double Median(int repeats, Action action)
    {
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3 || warm.ElapsedMilliseconds < 500; i++) action();
        Settle(action);
        var process = System.Diagnostics.Process.GetCurrentProcess();
        double[] times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            process.Refresh();
            TimeSpan start = process.TotalProcessorTime;
            action();
            process.Refresh();
            times[i] = (process.TotalProcessorTime - start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[repeats / 2];
    }
}

/// <summary>
/// The float kernels alone on the classifier's convolution shapes (<c>classifier-ops --kernels</c>): <see cref="OdeGen.Layers.DirectConvolution"/>'s
/// forward product, sample after sample, as <see cref="ModelConv2d"/> calls it, and the weight gradient over a chunk's columns, with
/// random frames; processor time per batch of 128 and GFLOP/s, without the layer's conversions around them.
/// </summary>
internal static class ClassifierKernelTimes
{
    public static void Run(int channels, int repeats, Func<int, Action, double> median)
    {
        foreach ((string name, int inC, int side, int kernel, int stride, int padding) in new[]
        {
            ("Stem1 kernel", 1, 28, 3, 1, 0), ("Stem2 kernel", channels, 26, 4, 2, 1), ("Stem3 kernel", channels, 13, 4, 2, 1), ("Block kernel", channels, 6, 3, 1, 1),
        })
        {
            int width = side + (2 * padding), outSide = ((width - kernel) / stride) + 1, frameSize = inC * width * width, pixels = outSide * outSide;
            int[] taps = new int[inC * kernel * kernel], pixelOffset = new int[pixels];
            for (int c = 0, q = 0; c < inC; c++)
            {
                for (int ky = 0; ky < kernel; ky++)
                {
                    for (int kx = 0; kx < kernel; kx++) taps[q++] = (c * width * width) + (ky * width) + kx;
                }
            }

            for (int j = 0; j < pixels; j++) pixelOffset[j] = ((j / outSide) * stride * width) + ((j % outSide) * stride);
            var random = new Random(11);
            float[] frames = new float[128 * frameSize];
            for (int i = 0; i < frames.Length; i++) frames[i] = (float)(random.NextDouble() - 0.5);
            int tile = OdeGen.Layers.DirectConvolution.SingleChannelTile(channels), row = OdeGen.Layers.DirectConvolution.RoundUp(channels, tile);
            float[] packed = new float[row * taps.Length], y = new float[channels * pixels], weightBar = new float[channels * taps.Length];
            double[] w = Conv2dFormulationBenchmarks.Fill(random, channels * taps.Length);
            OdeGen.Layers.DirectConvolution.Pack(channels, taps.Length, w, packed, tile);
            int chunk = 4 * pixels > OdeGen.Layers.Gemm.ColumnBlock ? 1 : OdeGen.Layers.Gemm.ColumnBlock / pixels, columns = chunk * pixels;
            float[] barsT = new float[columns * row];
            for (int i = 0; i < barsT.Length; i++) barsT[i] = (float)(random.NextDouble() - 0.5);
            int[] columnOffset = new int[columns];
            double flop = 2.0 * 128 * channels * taps.Length * pixels;
            double forward = median(repeats, () =>
            {
                for (int s = 0; s < 128; s++) OdeGen.Layers.DirectConvolution.Forward(channels, pixels, packed, frames.AsSpan(s * frameSize, frameSize), taps, pixelOffset, y);
            });
            double weight = median(repeats, () =>
            {
                for (int first = 0; first < 128; first += chunk)
                {
                    int count = Math.Min(chunk, 128 - first);
                    for (int s = 0, j = 0; s < count; s++)
                    {
                        for (int p = 0; p < pixels; p++, j++) columnOffset[j] = ((first + s) * frameSize) + pixelOffset[p];
                    }

                    OdeGen.Layers.DirectConvolution.WeightGradient(channels, barsT.AsSpan(0, count * pixels * row), frames, taps, columnOffset.AsSpan(0, count * pixels), weightBar);
                }
            });
            // The forward product as Conv2d runs it: skipping the taps a tile of pixels reads in the zero padding only (the same
            // bits; GFLOP/s counted with the padding's taps, as the column before it).
            var skips = new OdeGen.Layers.DirectConvolution.PaddingSkips(taps, pixelOffset, width * width, width, padding, padding, side, side);
            double skipping = median(repeats, () =>
            {
                for (int s = 0; s < 128; s++) OdeGen.Layers.DirectConvolution.Forward(channels, packed, frames.AsSpan(s * frameSize, frameSize), skips, y);
            });
            Console.WriteLine($"{name,-36} | {forward,9:F2} {flop / forward / 1e6,6:F1} | skipping {skipping,9:F2} {flop / skipping / 1e6,6:F1} | {weight,9:F2} {flop / weight / 1e6,6:F1}");
            if (pixels <= OdeGen.Layers.Gemm.DepthBlock && chunk == 1)
            {
                // As Conv2d runs an image that goes alone: its columns one block, the sums widened into ∂L/∂W in double.
                double[] wide = new double[row * taps.Length];
                double widened = median(repeats, () =>
                {
                    for (int s = 0; s < 128; s++)
                    {
                        for (int p = 0; p < pixels; p++) columnOffset[p] = (s * frameSize) + pixelOffset[p];
                        OdeGen.Layers.DirectConvolution.WeightGradientWidened(channels, barsT.AsSpan(0, pixels * row), frames, taps, columnOffset.AsSpan(0, pixels), wide);
                    }
                });
                Console.WriteLine($"{name + " weight grad widened",-36} | a sample a call {widened,9:F2} {flop / widened / 1e6,6:F1}");
            }

            if (stride > 1) PhasedTimes(name, channels, side, kernel, stride, padding, flop, repeats, median);
        }
    }

    // The strided convolutions' input gradient (PhasedInputGradient, as Conv2d runs it sample by sample): into a batch's ∂L/∂x
    // (128 images, far past the caches), and into one image's ∂L/∂x 128 times (in cache), to tell the kernel from the memory.
    private static void PhasedTimes(string name, int channels, int side, int kernel, int stride, int padding, double flop, int repeats, Func<int, Action, double> median)
    {
        var phased = new OdeGen.Layers.PhasedInputGradient(channels, channels, side, side, kernel, stride, padding);
        var random = new Random(13);
        double[] w = Conv2dFormulationBenchmarks.Fill(random, channels * channels * kernel * kernel);
        float[] packed = new float[phased.PackedSize], frame = new float[phased.FrameLength], result = new float[phased.ResultLength];
        phased.Pack(w, packed, new double[phased.MatrixLength]);
        int outSide = ((side + (2 * padding) - kernel) / stride) + 1, outputSize = channels * outSide * outSide, inputSize = channels * side * side;
        double[] yBar = Conv2dFormulationBenchmarks.Fill(random, 128 * outputSize), xBar = new double[128 * inputSize];
        double batch = median(repeats, () =>
        {
            for (int s = 0; s < 128; s++) phased.Apply(packed, yBar.AsSpan(s * outputSize, outputSize), frame, result, xBar.AsSpan(s * inputSize, inputSize));
        });
        double inCache = median(repeats, () =>
        {
            for (int s = 0; s < 128; s++) phased.Apply(packed, yBar.AsSpan(s * outputSize, outputSize), frame, result, xBar.AsSpan(0, inputSize));
        });
        Console.WriteLine($"{name + " input grad",-36} | batch xBar {batch,9:F2} {flop / batch / 1e6,6:F1} | one xBar {inCache,9:F2} {flop / inCache / 1e6,6:F1}");
    }
}
