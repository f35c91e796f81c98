using System.Runtime.InteropServices;
using OdeGen.Layers;

namespace OdeGen.Models;

/// <summary>
/// A fully connected layer y = W·x + b (PyTorch's <c>Linear</c>): parameters "weight" [outputs][inputs] then "bias"
/// [outputs], so PyTorch's <c>weight</c> and <c>bias</c> tensors load as they are. One sample's arithmetic is the generated
/// <see cref="LayerFunctions.LinearFunction"/>; a batch is three matrix products (<see cref="Gemm"/>): Y = X·Wᵀ + b,
/// ∂L/∂X += ∂L/∂Y·W and ∂L/∂W += ∂L/∂Yᵀ·X, which read W once per batch instead of once per sample.
/// </summary>
public sealed class Linear : LaneFunctionLayer<LayerFunctions.LinearFunction>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public Linear(int inputs, int outputs)
        : base(new LayerFunctions.LinearFunction(Positive(inputs), ParameterCountOf(inputs, outputs), Positive(outputs)),
               new ParameterShape("weight", outputs, inputs), new ParameterShape("bias", outputs))
    {
    }

    /// <inheritdoc/>
    public override bool HasBatch => true;

    /// <inheritdoc/>
    /// <remarks>The products' packed blocks.</remarks>
    public override int BatchScratchSize(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int inputs = InputSize, outputs = OutputSize;
        return Math.Max(Gemm.WorkspaceSize(count, outputs, inputs), Math.Max(Gemm.WorkspaceSize(count, inputs, outputs), Gemm.WorkspaceSize(outputs, inputs, count)));
    }

    /// <inheritdoc/>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParametersAndScratch(parameters.Length, scratch.Length, count);
        int inputs = InputSize, outputs = OutputSize, weights = inputs * outputs;
        ReadOnlySpan<double> bias = parameters.Slice(weights, outputs);
        for (int s = 0; s < count; s++) bias.CopyTo(y.Slice(s * outputs, outputs));
        // Y[s][o] += Σᵢ X[s][i]·W[o][i]: Wᵀ is W read with its strides swapped.
        Gemm.Multiply(count, outputs, inputs, x, inputs, 1, parameters, 1, inputs, y, outputs, accumulate: true, scratch);
    }

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        RequireParametersAndScratch(parameters.Length, scratch.Length, count);
        int inputs = InputSize, outputs = OutputSize, weights = inputs * outputs;
        if (xBar.Length != count * inputs || parameterBar.Length != ParameterCount)
            throw new ArgumentException($"Linear backward: xBar has {xBar.Length} entries (needs {count * inputs}), parameterBar {parameterBar.Length} (needs {ParameterCount}).",
                xBar.Length != count * inputs ? nameof(xBar) : nameof(parameterBar));
        Span<double> biasBar = parameterBar.Slice(weights, outputs);
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<double> row = yBar.Slice(s * outputs, outputs);
            for (int o = 0; o < outputs; o++) biasBar[o] += row[o];
        }

        // ∂L/∂W[o][i] += Σ_s ∂L/∂Y[s][o]·X[s][i];  ∂L/∂X[s][i] += Σ_o ∂L/∂Y[s][o]·W[o][i].
        Gemm.Multiply(outputs, inputs, count, yBar, 1, outputs, x, inputs, 1, parameterBar[..weights], inputs, accumulate: true, scratch);
        Gemm.Multiply(count, inputs, outputs, yBar, outputs, 1, parameters, inputs, 1, xBar, inputs, accumulate: true, scratch);
    }

    private void RequireParametersAndScratch(int parameters, int scratch, int count)
    {
        if (parameters != ParameterCount || scratch < BatchScratchSize(count))
            throw new ArgumentException($"Linear on {count} samples takes {ParameterCount} parameters and scratch of at least {BatchScratchSize(count)}; got {parameters}, {scratch}.",
                parameters != ParameterCount ? nameof(parameters) : nameof(scratch));
    }

    private static int Positive(int size, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(size))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, name);
        return size;
    }

    // outputs·inputs + outputs, refused by name when no array holds it (it was an OverflowException).
    private static int ParameterCountOf(int inputs, int outputs) => ArraySize(((long)outputs * inputs) + outputs, nameof(inputs), "parameter vector");
}

/// <summary>y = max(x, 0) element by element (generated <see cref="LayerFunctions.ReluFunction"/>); no parameters.</summary>
/// <param name="size">Number of values.</param>
/// <remarks>
/// A batch runs a SIMD select instead of the generated function: the generated code is a branch per value (a coin toss on
/// activations, which costs more than the value) and its Vjp copies yBar to the stack. The select computes the generated
/// arithmetic exactly (y = x &gt; 0 ? x : 0; xBar += x &gt; 0 ? 0 + yBar : 0): BatchMajorTests holds the two to the bit.
/// </remarks>
public sealed class Relu(int size) : LaneFunctionLayer<LayerFunctions.ReluFunction>(new LayerFunctions.ReluFunction(size, size))
{
    /// <inheritdoc/>
    public override bool HasBatch => true;

    /// <inheritdoc/>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int w = System.Numerics.Vector<double>.Count;
            var zero = System.Numerics.Vector<double>.Zero;
            for (; i <= x.Length - w; i += w)
            {
                var v = new System.Numerics.Vector<double>(x[i..]);
                System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.GreaterThan(v, zero), v, zero).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0.0;
    }

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireParameters(parameters.Length);
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        Backward(count, x, yBar, xBar, accumulate: true);
    }

    /// <summary>
    /// <see cref="BackwardBatch"/> into an xBar it overwrites: xBar = x &gt; 0 ? 0 + yBar : 0, the bits BackwardBatch leaves in
    /// a cleared xBar (the term is never −0, so adding it to +0 gives it back), without the clearing.
    /// </summary>
    internal void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> yBar, Span<double> xBar) =>
        Backward(count, x, yBar, xBar, accumulate: false);

    /// <inheritdoc/>
    internal override bool OverwritesBatchInputGradient => true;

    /// <inheritdoc/>
    internal override void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        Backward(count, x, yBar, xBar, accumulate: false);

    private void Backward(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> yBar, Span<double> xBar, bool accumulate)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        Backward(x, yBar, xBar, accumulate);
    }

    /// <summary>
    /// xBar (+)= x &gt; 0 ? 0 + yBar : 0 entry by entry (the batch's adjoint; x may be the ReLU's input or its output). yBar may
    /// be xBar itself (each entry is read before it is written).
    /// </summary>
    internal static void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> yBar, Span<double> xBar, bool accumulate)
    {
        if (xBar.Length != x.Length || yBar.Length != x.Length) throw new ArgumentException($"Relu backward: xBar has {xBar.Length} entries and yBar {yBar.Length}; x has {x.Length}.", nameof(xBar));
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int w = System.Numerics.Vector<double>.Count;
            var zero = System.Numerics.Vector<double>.Zero;
            ref double x0 = ref MemoryMarshal.GetReference(x), b0 = ref MemoryMarshal.GetReference(yBar), d0 = ref MemoryMarshal.GetReference(xBar);
            for (; i <= x.Length - w; i += w)
            {
                var mask = System.Numerics.Vector.GreaterThan(System.Numerics.Vector.LoadUnsafe(ref x0, (nuint)i), zero);
                var bar = System.Numerics.Vector.ConditionalSelect(mask, zero + System.Numerics.Vector.LoadUnsafe(ref b0, (nuint)i), zero);
                System.Numerics.Vector.StoreUnsafe(accumulate ? System.Numerics.Vector.LoadUnsafe(ref d0, (nuint)i) + bar : bar, ref d0, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            double bar = x[i] > 0 ? 0.0 + yBar[i] : 0.0;
            xBar[i] = accumulate ? xBar[i] + bar : bar;
        }
    }
}

/// <summary>y = log(1 + eˣ) element by element, overflow-free (generated <see cref="LayerFunctions.SoftplusFunction"/>); no parameters.</summary>
/// <param name="size">Number of values.</param>
public sealed class Softplus(int size) : LaneFunctionLayer<LayerFunctions.SoftplusFunction>(new LayerFunctions.SoftplusFunction(size, size));

/// <summary>y = tanh(x) element by element (generated <see cref="LayerFunctions.TanhFunction"/>); no parameters.</summary>
/// <param name="size">Number of values.</param>
public sealed class Tanh(int size) : LaneFunctionLayer<LayerFunctions.TanhFunction>(new LayerFunctions.TanhFunction(size, size));

/// <summary>
/// Global average pooling of an image (channel-major, <paramref name="channels"/> × <paramref name="pixels"/>) to one value
/// per channel: PyTorch's <c>AdaptiveAvgPool2d((1, 1))</c> and a flatten (generated
/// <see cref="LayerFunctions.GlobalAveragePoolFunction"/>).
/// </summary>
/// <param name="channels">Number of channels.</param>
/// <param name="pixels">Values per channel (height × width).</param>
public sealed class GlobalAveragePool(int channels, int pixels)
    : LaneFunctionLayer<LayerFunctions.GlobalAveragePoolFunction>(new LayerFunctions.GlobalAveragePoolFunction(ArraySize((long)channels * pixels, nameof(pixels), "input"), channels));

/// <summary>
/// A GRU cell (PyTorch's <c>GRUCell</c>, generated <see cref="LayerFunctions.GruCellFunction"/>): the input is
/// [u (inputs), h (hidden)], the output h'. Parameters "weight_ih" [3·hidden][inputs], "weight_hh" [3·hidden][hidden],
/// "bias_ih" and "bias_hh" [3·hidden], gates in PyTorch's order r, z, n; initialized as PyTorch does, U(±1/√hidden).
/// </summary>
public sealed class GruCell : LaneFunctionLayer<LayerFunctions.GruCellFunction>
{
    /// <summary>Creates the cell.</summary>
    public GruCell(int inputs, int hidden)
        : base(new LayerFunctions.GruCellFunction(ArraySize((long)inputs + hidden, nameof(hidden), "input"),
                   ArraySize((3L * hidden * ((long)inputs + hidden)) + (6L * hidden), nameof(hidden), "parameter vector"), hidden),
               new ParameterShape("weight_ih", 3 * hidden, inputs), new ParameterShape("weight_hh", 3 * hidden, hidden),
               new ParameterShape("bias_ih", 3 * hidden), new ParameterShape("bias_hh", 3 * hidden))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        Hidden = hidden;
    }

    /// <summary>Size of the hidden state.</summary>
    public int Hidden { get; }

    /// <inheritdoc/>
    public override void Initialize(Span<double> parameters, Random random)
    {
        RequireParameters(parameters.Length);
        double bound = 1.0 / Math.Sqrt(Hidden);
        Neural.Initializers.Uniform(parameters, random, -bound, bound);
    }
}
