using OdeGen.Layers;

namespace OdeGen.Models;

/// <summary>
/// A fully connected layer y = W·x + b (PyTorch's <c>Linear</c>): parameters "weight" [outputs][inputs] then "bias"
/// [outputs], so PyTorch's <c>weight</c> and <c>bias</c> tensors load as they are. The arithmetic is the generated
/// <see cref="LayerFunctions.LinearFunction"/>.
/// </summary>
public sealed class Linear : LaneFunctionLayer<LayerFunctions.LinearFunction>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public Linear(int inputs, int outputs)
        : base(new LayerFunctions.LinearFunction(Positive(inputs), checked((outputs * inputs) + outputs), Positive(outputs)),
               new ParameterShape("weight", outputs, inputs), new ParameterShape("bias", outputs))
    {
    }

    private static int Positive(int size, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(size))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, name);
        return size;
    }
}

/// <summary>y = max(x, 0) element by element (generated <see cref="LayerFunctions.ReluFunction"/>); no parameters.</summary>
/// <param name="size">Number of values.</param>
public sealed class Relu(int size) : LaneFunctionLayer<LayerFunctions.ReluFunction>(new LayerFunctions.ReluFunction(size, size));

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
    : LaneFunctionLayer<LayerFunctions.GlobalAveragePoolFunction>(new LayerFunctions.GlobalAveragePoolFunction(checked(channels * pixels), channels));

/// <summary>
/// A GRU cell (PyTorch's <c>GRUCell</c>, generated <see cref="LayerFunctions.GruCellFunction"/>): the input is
/// [u (inputs), h (hidden)], the output h'. Parameters "weight_ih" [3·hidden][inputs], "weight_hh" [3·hidden][hidden],
/// "bias_ih" and "bias_hh" [3·hidden], gates in PyTorch's order r, z, n; initialized as PyTorch does, U(±1/√hidden).
/// </summary>
public sealed class GruCell : LaneFunctionLayer<LayerFunctions.GruCellFunction>
{
    /// <summary>Creates the cell.</summary>
    public GruCell(int inputs, int hidden)
        : base(new LayerFunctions.GruCellFunction(checked(inputs + hidden), checked((3 * hidden * (inputs + hidden)) + (6 * hidden)), hidden),
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
        double bound = 1.0 / Math.Sqrt(Hidden);
        Neural.Initializers.Uniform(parameters, random, -bound, bound);
    }
}
