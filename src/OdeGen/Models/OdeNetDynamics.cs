namespace OdeGen.Models;

/// <summary>
/// The ODE-Net's dynamics over images (Chen et al. 2018, torchdiffeq's <c>odenet_mnist.py</c> ODEfunc), ready to put in an
/// <see cref="OdeBlock{TSystem}"/>: f(t, z) = GN₃(conv₂(t, ReLU(GN₂(conv₁(t, ReLU(GN₁(z))))))), each conv a 3×3, padding 1
/// <see cref="TimeConv2d"/> (the plane of t is one more input channel): conv₁ from channels to hidden channels, conv₂ back;
/// each GN a <see cref="GroupNorm"/> of min(32, channels) groups. The hidden width is the channels' unless given (the
/// paper's block); a wider one gives f more capacity without widening the state the solver carries.
/// </summary>
/// <remarks>
/// <para>
/// Parameters, in order: GN₁ (<see cref="GroupNorm"/>'s "affine" block), conv₁ (weight [hidden][(channels + 1)·9], bias),
/// GN₂ (over the hidden channels), conv₂ (weight [channels][(hidden + 1)·9], bias), GN₃; <see cref="Initialize"/> draws them as PyTorch does (convs U(±1/√fan_in), γ = 1, β = 0) and is the
/// block's initializer: <c>new OdeBlock&lt;OdeNetDynamics&gt;(f, 0, 1, initialize: f.Initialize)</c>.
/// </para>
/// <para>
/// Evaluate and Vjp are the batch methods (<see cref="IBatchOdeSystem"/>) on one sample: a batch runs each convolution as
/// one matrix product over all its samples (an <see cref="OdeBlock{TSystem}"/> with
/// <see cref="OdeBlock{TSystem}.BatchAsOneSystem"/>). Vjp re-runs the forward pass keeping four intermediate images and the groups' moments and goes back through the layers' Backward
/// (<see cref="EvaluateVjp"/>, which the adjoint's back-solve calls, returns that forward pass's output as f too; the
/// convolutions' matrix products, the groups' generated Vjp); Jvp pushes tangents through the generated Jvp of the groups
/// and ReLU and the convolutions' bilinearity. The work buffers are per thread and reused, so Evaluate, Jvp and Vjp
/// allocate nothing after a thread's first call. Jacobian is built column by column from Jvp (StateCount + ParameterCount
/// of them): right, but meant for small images, as any dense Jacobian of a convolutional field.
/// </para>
/// </remarks>
public readonly struct OdeNetDynamics : IBatchOdeSystemKept, IOdeAugmentedSystem, IOdeSystemKept
{
    [ThreadStatic]
    private static double[]? t_work;

    private readonly Stages _stages;

    /// <summary>Creates the dynamics of a <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> state.</summary>
    /// <param name="channels">Channels of the state (64 in the ODE-Net).</param>
    /// <param name="height">Image height (7 in the ODE-Net after its stem).</param>
    /// <param name="width">Image width.</param>
    /// <param name="groups">Groups of each GroupNorm (0: min(32, channels), torchdiffeq's choice).</param>
    /// <param name="precision">The convolutions' arithmetic (<see cref="Conv2d.Precision"/>; Jvp's tangents stay double).</param>
    /// <param name="hidden">Channels between the two convolutions (0: <paramref name="channels"/>, the paper's block).</param>
    /// <exception cref="ArgumentException">A size is not positive, or the channels (or hidden channels) do not split into the groups.</exception>
    public OdeNetDynamics(int channels, int height, int width, int groups = 0, ConvolutionPrecision precision = ConvolutionPrecision.Double, int hidden = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groups);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        _stages = new Stages(channels, hidden == 0 ? channels : hidden, height, width, groups == 0 ? Math.Min(32, channels) : groups, precision);
    }

    /// <summary>The convolutions' arithmetic.</summary>
    public ConvolutionPrecision Precision => _stages.Conv1.Precision;

    /// <summary>Channels of the state.</summary>
    public int Channels => _stages.Conv2.OutChannels;

    /// <summary>Channels between the two convolutions.</summary>
    public int Hidden => _stages.Conv1.OutChannels;

    /// <summary>Image height.</summary>
    public int Height => _stages.Conv1.Height;

    /// <summary>Image width.</summary>
    public int Width => _stages.Conv1.Width;

    /// <inheritdoc/>
    /// <remarks>0 for <c>default</c> (no layers): the runtime's size checks then say the system must be created with its sizes.</remarks>
    public int StateCount => _stages is null ? 0 : _stages.Size;

    /// <inheritdoc/>
    public int ParameterCount => _stages is null ? 0 : _stages.Offsets[^1];

    /// <summary>Draws the parameters as PyTorch initializes the layers (a <see cref="ParameterInitializer"/>).</summary>
    public void Initialize(Span<double> parameters, Random random)
    {
        Stages s = RequireCreated();
        RequireLength(parameters.Length, ParameterCount, nameof(parameters));
        for (int i = 0; i < 5; i++) s.Layer(i).Initialize(parameters[s.Offsets[i]..s.Offsets[i + 1]], random);
    }

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => EvaluateBatch(1, t, y, p, dydt);

    /// <inheritdoc/>
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        VjpBatch(1, t, y, p, a, yBar, pBar);

    /// <inheritdoc/>
    public void EvaluateBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Stages s = RequireBatch(count, y, p, out int n);
        RequireLength(dydt.Length, n, nameof(dydt));
        Span<double> work = Work(s, count);
        Forward(s, count, t, y, p, work, dydt);
    }

    /// <inheritdoc/>
    public double VjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        // The one-pass method with f written to the workspace's spare image (the buffer Work returns again inside it).
        Stages s = RequireCreated();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return EvaluateVjpBatch(count, t, y, p, a, Image(s, Work(s, count), Stages.Images, count)[..(count * s.Size)], yBar, pBar);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One forward pass for both (its output is f, its intermediate images are what the VJP goes back through): the adjoint's
    /// back-solve needs f and the VJP at every point, and <see cref="Evaluate"/> then <see cref="Vjp"/> ran the forward pass
    /// twice. Bit for bit the results of the two calls.
    /// </remarks>
    public double EvaluateVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt, Span<double> yBar, Span<double> pBar) =>
        EvaluateVjpBatch(1, t, y, p, a, dydt, yBar, pBar);

    /// <inheritdoc/>
    public double EvaluateVjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt,
        Span<double> yBar, Span<double> pBar)
    {
        Stages s = RequireBatch(count, y, p, out int n);
        RequireLength(a.Length, n, nameof(a));
        RequireLength(dydt.Length, n, nameof(dydt));
        RequireLength(yBar.Length, n, nameof(yBar));
        RequireLength(pBar.Length, ParameterCount, nameof(pBar));
        Span<double> work = Work(s, count);
        Forward(s, count, t, y, p, work, dydt);
        return Backward(s, count, t, y, p, a, work, yBar, pBar);
    }

    // Back through GN₃, conv₂, ReLU, GN₂, conv₁, ReLU, GN₁ from the images and moments Forward left in work; adds into yBar
    // and pBar, returns aᵀ∂f/∂t.
    private static double Backward(Stages s, int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> work,
        Span<double> yBar, Span<double> pBar) =>
        Backward(s, count, t, y, p, a, work, Image(s, work, Stages.C1, count)[..(count * s.HiddenSize)], Image(s, work, Stages.C2, count)[..(count * s.Size)],
            Moments(s, work, 2, count), yBar, pBar);

    // The same with c1 and c2 read from where the caller says (work holds r1, r2 and the moments of GN₁ and GN₂), and GN₃'s
    // moments from moments3 (empty: computed again from c2).
    // Each inner adjoint overwrites its target (GN₃, GN₂, and each convolution with the ReLU before it,
    // Conv2d.BackwardBatchThroughRelu: overwritten by the single-precision passes, cleared first by the double ones): the bits
    // the layers' adding passes leave in cleared targets, without six clears and two ReLU passes over the batch's images a
    // VJP. GN₁ adds into yBar. The ReLUs' adjoints test their outputs r (r > 0 exactly where the normalized value is > 0), so
    // the normalized images are never kept; the GroupNorms' adjoints read the moments their forward passes kept (the same bits
    // as computing them again).
    private static double Backward(Stages s, int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> work,
        ReadOnlySpan<double> c1, ReadOnlySpan<double> c2, ReadOnlySpan<double> moments3, Span<double> yBar, Span<double> pBar)
    {
        // n values of the state's width, h of the hidden one; the two adjoint images hold either in turn.
        int n = count * s.Size, h = count * s.HiddenSize;
        Span<double> r1 = Image(s, work, Stages.R1, count)[..n], r2 = Image(s, work, Stages.R2, count)[..h];
        Span<double> barA = Image(s, work, Stages.BarA, count), barB = Image(s, work, Stages.BarB, count), scratch = Scratch(s, work, count);
        s.Norm3.BackwardBatchWithMoments(count, c2, Slice(s, p, 4), a, barA[..n], Slice(s, pBar, 4), moments3, overwrite: true);
        double tBar = s.Conv2.BackwardBatchThroughRelu(t, count, r2, Slice(s, p, 3), barA[..n], barB[..h], Slice(s, pBar, 3), scratch);
        s.Norm2.BackwardBatchWithMoments(count, c1, Slice(s, p, 2), barB[..h], barA[..h], Slice(s, pBar, 2), Moments(s, work, 1, count), overwrite: true);
        tBar += s.Conv1.BackwardBatchThroughRelu(t, count, r1, Slice(s, p, 1), barA[..h], barB[..n], Slice(s, pBar, 1), scratch);
        s.Norm1.BackwardBatchWithMoments(count, y, Slice(s, p, 0), barB[..n], yBar, Slice(s, pBar, 0), Moments(s, work, 0, count));
        return tBar;
    }

    /// <inheritdoc/>
    /// <remarks>The convolutions' outputs c1 (hidden channels) and c2 (two images a sample): the rest of the forward pass (the groups and ReLUs)
    /// costs a few per cent of a convolution, so <see cref="VjpBatchKept"/> recomputes it from them and y instead of keeping six
    /// images.</remarks>
    public int KeptPerSample => RequireCreated().HiddenSize + _stages.Size;

    /// <inheritdoc/>
    public void EvaluateBatchKeeping(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept)
    {
        Stages s = RequireBatch(count, y, p, out int n);
        int h = count * s.HiddenSize;
        RequireLength(dydt.Length, n, nameof(dydt));
        RequireLength(kept.Length, h + n, nameof(kept));
        Forward(s, count, t, y, p, Work(s, count), kept[..h], kept[h..], dydt);
    }

    /// <inheritdoc/>
    /// <remarks>GN₃ of the kept c2: Forward's last layer on Forward's own input.</remarks>
    public void EvaluateBatchFromKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt)
    {
        Stages s = RequireBatch(count, y, p, out int n);
        int h = count * s.HiddenSize;
        RequireLength(kept.Length, h + n, nameof(kept));
        RequireLength(dydt.Length, n, nameof(dydt));
        Span<double> work = Work(s, count);
        s.Norm3.ForwardBatch(count, kept[h..], Slice(s, p, 4), dydt, Scratch(s, work, count));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// r1 = ReLU(GN₁(y)) and r2 = ReLU(GN₂(c1)) recomputed with the groups' moments (Forward's passes on Forward's inputs, so
    /// Forward's bits), c1 and c2 read from <paramref name="kept"/>, then the Backward every VJP runs: no convolution forwards.
    /// </remarks>
    public double VjpBatchKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        Stages s = RequireBatch(count, y, p, out int n);
        int h = count * s.HiddenSize;
        RequireLength(kept.Length, h + n, nameof(kept));
        RequireLength(a.Length, n, nameof(a));
        RequireLength(yBar.Length, n, nameof(yBar));
        RequireLength(pBar.Length, ParameterCount, nameof(pBar));
        Span<double> work = Work(s, count);
        ReadOnlySpan<double> c1 = kept[..h], c2 = kept[h..];
        s.Norm1.ForwardBatchRelu(count, y, Slice(s, p, 0), Image(s, work, Stages.R1, count)[..n], Moments(s, work, 0, count));
        s.Norm2.ForwardBatchRelu(count, c1, Slice(s, p, 2), Image(s, work, Stages.R2, count)[..h], Moments(s, work, 1, count));
        return Backward(s, count, t, y, p, a, work, c1, c2, default, yBar, pBar);
    }

    // The one-sample kept forms, for an OdeBlock that solves each sample on its own (the discrete adjoint keeps them too).
    int IOdeSystemKept.KeptCount => KeptPerSample;

    void IOdeSystemKept.EvaluateKeeping(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept) =>
        EvaluateBatchKeeping(1, t, y, p, dydt, kept);

    void IOdeSystemKept.EvaluateFromKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt) =>
        EvaluateBatchFromKept(1, t, y, p, kept, dydt);

    double IOdeSystemKept.VjpKept(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar) =>
        VjpBatchKept(1, t, y, p, kept, a, yBar, pBar);

    /// <inheritdoc/>
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        Stages s = RequireCreated();
        int n = s.Size;
        RequireLength(y.Length, n, nameof(y));
        RequireLength(yDot.Length, n, nameof(yDot));
        RequireLength(p.Length, ParameterCount, nameof(p));
        RequireLength(pDot.Length, ParameterCount, nameof(pDot));
        RequireLength(dydt.Length, n, nameof(dydt));
        RequireLength(dydtDot.Length, n, nameof(dydtDot));
        Span<double> work = Work(s, 1);
        // Four images, each at the state's width (n) or the hidden one (h) as the stage goes.
        int h = s.HiddenSize;
        Span<double> u = Image(s, work, 0, 1), v = Image(s, work, 1, 1), uDot = Image(s, work, 2, 1), vDot = Image(s, work, 3, 1), scratch = Scratch(s, work, 1);
        s.Norm1.Jvp(y, Slice(s, p, 0), yDot, Slice(s, pDot, 0), u[..n], uDot[..n]);
        s.Relu1.Function.Jvp(u[..n], default, uDot[..n], default, v[..n], vDot[..n]);
        s.Conv1.JvpAt(t, v[..n], Slice(s, p, 1), tDot, vDot[..n], Slice(s, pDot, 1), u[..h], uDot[..h], scratch);
        s.Norm2.Jvp(u[..h], Slice(s, p, 2), uDot[..h], Slice(s, pDot, 2), v[..h], vDot[..h]);
        s.Relu2.Function.Jvp(v[..h], default, vDot[..h], default, u[..h], uDot[..h]);
        s.Conv2.JvpAt(t, u[..h], Slice(s, p, 3), tDot, uDot[..h], Slice(s, pDot, 3), v[..n], vDot[..n], scratch);
        s.Norm3.Jvp(v[..n], Slice(s, p, 4), vDot[..n], Slice(s, pDot, 4), dydt, dydtDot);
    }

    /// <inheritdoc/>
    /// <remarks>One <see cref="Jvp"/> per column: StateCount + ParameterCount calls. Meant for small images.</remarks>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        Stages s = RequireCreated();
        int n = s.Size, m = ParameterCount;
        RequireLength(dfdy.Length, n * n, nameof(dfdy));
        RequireLength(dfdp.Length, n * m, nameof(dfdp));
        double[] seedY = new double[n], seedP = new double[m], f = new double[n], column = new double[n];
        for (int j = 0; j < n + m; j++)
        {
            if (j < n) seedY[j] = 1.0;
            else seedP[j - n] = 1.0;
            Jvp(t, y, p, 0.0, seedY, seedP, f, column);
            if (j < n) seedY[j] = 0.0;
            else seedP[j - n] = 0.0;
            Span<double> target = j < n ? dfdy : dfdp;
            int stride = j < n ? n : m, at = j < n ? j : j - n;
            for (int i = 0; i < n; i++) target[(i * stride) + at] = column[i];
        }
    }

    /// <inheritdoc/>
    public override string ToString() => _stages is null ? "OdeNetDynamics (default)"
        : $"OdeNetDynamics ({Channels}×{Height}×{Width}{(Hidden == Channels ? "" : $", {Hidden} hidden channels")}, {ParameterCount} parameters)";

    // ReLU(GN₁) → conv₁ → ReLU(GN₂) → conv₂ → GN₃ for `count` samples, keeping r1, c1, r2, c2 in their images of work (each
    // count·Slot values; c1 and r2 fill count·HiddenSize of theirs) and the three GroupNorms' moments after the images. Each GroupNorm and its ReLU are one pass
    // (GroupNorm.ForwardBatchRelu: the bits of the two passes, without writing and reading the normalized image).
    private static void Forward(Stages s, int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> work, Span<double> output) =>
        Forward(s, count, t, y, p, work, Image(s, work, Stages.C1, count)[..(count * s.HiddenSize)], Image(s, work, Stages.C2, count)[..(count * s.Size)], output);

    // The same with the convolutions' outputs c1 and c2 written where the caller says (the kept values of EvaluateBatchKeeping).
    private static void Forward(Stages s, int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> work, Span<double> c1,
        Span<double> c2, Span<double> output)
    {
        Span<double> r1 = Image(s, work, Stages.R1, count)[..(count * s.Size)], r2 = Image(s, work, Stages.R2, count)[..(count * s.HiddenSize)];
        Span<double> scratch = Scratch(s, work, count);
        s.Norm1.ForwardBatchRelu(count, y, Slice(s, p, 0), r1, Moments(s, work, 0, count));
        s.Conv1.ForwardBatch(t, count, r1, Slice(s, p, 1), c1, scratch);
        s.Norm2.ForwardBatchRelu(count, c1, Slice(s, p, 2), r2, Moments(s, work, 1, count));
        s.Conv2.ForwardBatch(t, count, r2, Slice(s, p, 3), c2, scratch);
        s.Norm3.ForwardBatchKeepingMoments(count, c2, Slice(s, p, 4), output, Moments(s, work, 2, count));
    }

    // Image `index` of work for `count` samples: count·Slot values, of which a stage uses the state's or the hidden width.
    private static Span<double> Image(Stages s, Span<double> work, int index, int count) => work.Slice(index * count * s.Slot, count * s.Slot);

    // GroupNorm `index`'s moments (0: GN₁, 1: GN₂, 2: GN₃) for `count` samples, after the images.
    private static Span<double> Moments(Stages s, Span<double> work, int index, int count)
    {
        int size = s.Norm1.MomentsSize(count);
        return work.Slice((Stages.Buffers * count * s.Slot) + (index * size), size);
    }

    // The convolutions' scratch, after the images and the moments.
    private static Span<double> Scratch(Stages s, Span<double> work, int count) =>
        work[((Stages.Buffers * count * s.Slot) + (3 * s.Norm1.MomentsSize(count)))..];

    private static ReadOnlySpan<double> Slice(Stages s, ReadOnlySpan<double> p, int stage) => p[s.Offsets[stage]..s.Offsets[stage + 1]];

    private static Span<double> Slice(Stages s, Span<double> p, int stage) => p[s.Offsets[stage]..s.Offsets[stage + 1]];

    // This thread's buffers for `count` samples: the images the passes keep, then the convolutions' scratch. Grown, never shrunk.
    private static Span<double> Work(Stages s, int count)
    {
        int length = s.WorkLength(count);
        double[]? work = t_work;
        if (work is null || work.Length < length) t_work = work = new double[length];
        return work.AsSpan(0, length);
    }

    private Stages RequireCreated() =>
        _stages ?? throw new InvalidOperationException("This OdeNetDynamics is default(OdeNetDynamics): create it with new OdeNetDynamics(channels, height, width).");

    // The entry checks every batch method shares: a created struct, a positive count, count states in y, all parameters in p;
    // n = count · StateCount.
    private Stages RequireBatch(int count, ReadOnlySpan<double> y, ReadOnlySpan<double> p, out int n)
    {
        Stages s = RequireCreated();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        n = count * s.Size;
        RequireLength(y.Length, n, nameof(y));
        RequireLength(p.Length, s.Offsets[^1], nameof(p));
        return s;
    }

    private static void RequireLength(int actual, int expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} entries; the ODE-Net dynamics need {expected}.", name);
    }

    // The layers and where each one's parameters start; shared by every copy of the struct, never written after construction.
    private sealed class Stages
    {
        // The images of work: r1, c1, r2, c2 (what the backward pass reads), the output (Vjp's f), two adjoints.
        public const int R1 = 0, C1 = 1, R2 = 2, C2 = 3, Images = 4, BarA = 5, BarB = 6, Buffers = 7;

        public Stages(int channels, int hidden, int height, int width, int groups, ConvolutionPrecision precision)
        {
            int pixels = checked(Positive(height, nameof(height)) * Positive(width, nameof(width)));
            Norm1 = new GroupNorm(groups, channels, pixels);
            Norm2 = new GroupNorm(groups, hidden, pixels);
            Norm3 = new GroupNorm(groups, channels, pixels);
            Conv1 = new TimeConv2d(channels, hidden, height, width, kernel: 3, padding: 1) { Precision = precision };
            Conv2 = new TimeConv2d(hidden, channels, height, width, kernel: 3, padding: 1) { Precision = precision };
            Relu1 = new Relu(Norm1.InputSize);
            Relu2 = new Relu(Norm2.InputSize);
            Size = Norm1.InputSize;
            HiddenSize = Norm2.InputSize;
            Slot = Math.Max(Size, HiddenSize);
            Offsets = new int[6];
            for (int i = 0; i < 5; i++) Offsets[i + 1] = checked(Offsets[i] + Layer(i).ParameterCount);
        }

        // The images of `count` samples, the three GroupNorms' moments (the same groups in each), then the largest of the
        // convolutions' batch scratch (at least one sample's scratch, for Jvp).
        public int WorkLength(int count) =>
            checked((Buffers * count * Slot) + (3 * Norm1.MomentsSize(count))
                + Math.Max(Math.Max(Conv1.ScratchSize, Conv1.BatchScratchSize(count)), Math.Max(Conv2.ScratchSize, Conv2.BatchScratchSize(count))));

        public GroupNorm Norm1 { get; }

        public GroupNorm Norm2 { get; }

        public GroupNorm Norm3 { get; }

        public TimeConv2d Conv1 { get; }

        public TimeConv2d Conv2 { get; }

        public Relu Relu1 { get; }

        public Relu Relu2 { get; }

        // Values a sample of the state, of the hidden images, and the larger: each work image's length a sample.
        public int Size { get; }

        public int HiddenSize { get; }

        public int Slot { get; }

        public int[] Offsets { get; }

        public Layer Layer(int stage) => stage switch
        {
            0 => Norm1,
            1 => Conv1,
            2 => Norm2,
            3 => Conv2,
            _ => Norm3,
        };

        private static int Positive(int value, string name)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
            return value;
        }
    }
}
