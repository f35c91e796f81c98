using OdeGen.Lanes;

namespace OdeGen.Models;

/// <summary>A named, shaped block of a layer's parameters: a matrix [Rows][Columns] (row-major) or a vector (one column).</summary>
/// <param name="Name">The block's name inside its layer ("weight", "bias", …).</param>
/// <param name="Rows">Number of rows (a vector's length).</param>
/// <param name="Columns">Number of columns (1 for a vector).</param>
public readonly record struct ParameterShape(string Name, int Rows, int Columns = 1)
{
    /// <summary>Number of entries.</summary>
    public int Length => Rows * Columns;
}

/// <summary>
/// One stage of a <see cref="Model"/>: a differentiable map y = g(x, θ) of one sample's vector, with the reverse pass that
/// adds yBarᵀ∂g/∂x to xBar and yBarᵀ∂g/∂θ to θBar. The model lays the parameters of every layer out in one flat vector
/// (<see cref="Model.Layout"/>) and hands each layer its own slice.
/// </summary>
/// <remarks>
/// A layer holds no per-sample state: the model keeps each stage's input until the backward pass and gives every call a
/// scratch span of <see cref="ScratchSize"/> doubles, so one layer object serves every thread at once. The built-in layers
/// do their arithmetic in generated <c>[Differentiable]</c> functions (<see cref="OdeGen.Layers.LayerFunctions"/>); your own
/// generated function becomes a layer through <see cref="FunctionLayer{TFunction}"/>.
/// </remarks>
public abstract class Layer
{
    private readonly ParameterShape[] _shapes;

    /// <summary>Creates a layer from <paramref name="inputSize"/> values to <paramref name="outputSize"/> values with parameters of the given shapes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, a shape is negative, or the parameters would outgrow an array.</exception>
    protected Layer(int inputSize, int outputSize, params ParameterShape[] shapes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        ArgumentNullException.ThrowIfNull(shapes);
        // In long: Rows × Columns wrapped around in int (a 65536 × 589824 weight had Length 0, and the layer then claimed the
        // bias alone as its parameters), and the sum overflowed into an OverflowException.
        long count = 0;
        foreach (ParameterShape s in shapes)
        {
            if (s.Rows < 0 || s.Columns < 0) throw new ArgumentOutOfRangeException(nameof(shapes), $"Parameter block '{s.Name}' has a negative size ({s.Rows}×{s.Columns}).");
            count += (long)s.Rows * s.Columns;
            if (count > Array.MaxLength)
                throw new ArgumentOutOfRangeException(nameof(shapes), $"Parameter block '{s.Name}' ({s.Rows}×{s.Columns}) makes the layer's parameters {count} long, more than an array holds.");
        }

        InputSize = inputSize;
        OutputSize = outputSize;
        ParameterCount = (int)count;
        _shapes = shapes;
    }

    /// <summary>
    /// A size a layer computed in long (its input, its parameter vector), refused by name when no array holds it: the layers'
    /// checked int arithmetic threw OverflowException, and unchecked products wrapped to a wrong count.
    /// </summary>
    private protected static int ArraySize(long size, string parameter, string what) =>
        size <= Array.MaxLength
            ? (int)size
            : throw new ArgumentOutOfRangeException(parameter, $"The layer's {what} would hold {size} values, more than an array holds.");

    /// <summary>Length of one sample's input.</summary>
    public int InputSize { get; }

    /// <summary>Length of one sample's output.</summary>
    public int OutputSize { get; }

    /// <summary>Number of parameters (the sum of <see cref="ParameterShapes"/>).</summary>
    public int ParameterCount { get; }

    /// <summary>The named blocks of this layer's parameters, in the order they lie in its slice.</summary>
    public IReadOnlyList<ParameterShape> ParameterShapes => _shapes;

    /// <summary>Doubles of scratch each <see cref="Forward"/> and <see cref="Backward"/> call needs (0 by default).</summary>
    public virtual int ScratchSize => 0;

    /// <summary>A short name for the parameter layout and messages ("Linear", "OdeBlock", …).</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>y = g(x, θ) for one sample (overwrites y).</summary>
    /// <param name="x">The input (length <see cref="InputSize"/>).</param>
    /// <param name="parameters">This layer's slice of the model's parameters (length <see cref="ParameterCount"/>).</param>
    /// <param name="y">The output (length <see cref="OutputSize"/>); it must not overlap <paramref name="x"/> or <paramref name="parameters"/>.</param>
    /// <param name="scratch">Work space of <see cref="ScratchSize"/> doubles, contents undefined on entry.</param>
    public abstract void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch);

    /// <summary>xBar += yBarᵀ∂g/∂x; parameterBar += yBarᵀ∂g/∂θ, for the sample whose input was <paramref name="x"/>.</summary>
    /// <param name="x">The input the forward pass saw.</param>
    /// <param name="parameters">This layer's parameters.</param>
    /// <param name="yBar">∂L/∂y.</param>
    /// <param name="xBar">Where ∂L/∂x is added (must not overlap <paramref name="x"/> or <paramref name="parameters"/>).</param>
    /// <param name="parameterBar">Where ∂L/∂θ is added (must not overlap <paramref name="x"/> or <paramref name="parameters"/>).</param>
    /// <param name="scratch">Work space of <see cref="ScratchSize"/> doubles, contents undefined on entry.</param>
    public abstract void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch);

    /// <summary>
    /// True when the backward passes accept an empty xBar and then skip ∂L/∂x (default false). A <see cref="Model"/> gives its
    /// first layer an empty one when it can, since that layer's input is data and its gradient is not used (a convolution
    /// stem then skips its input gradient).
    /// </summary>
    public virtual bool AcceptsNoInputGradient => false;

    /// <summary>
    /// <see cref="Backward"/> given also the output <paramref name="y"/> that <see cref="Forward"/> wrote for this x and these
    /// parameters. A <see cref="Model"/> calls this one: it keeps y anyway (the next layer's input, or the model's output).
    /// The default ignores y; a layer whose backward pass would otherwise recompute its output starts from it instead (an
    /// <see cref="OdeBlock{TSystem}"/> with the back-solve adjoint skips its forward re-solve). y must be that forward output:
    /// another value gives another layer's gradient.
    /// </summary>
    /// <param name="x">The input the forward pass saw.</param>
    /// <param name="y">The output the forward pass wrote for <paramref name="x"/> and <paramref name="parameters"/>.</param>
    /// <param name="parameters">This layer's parameters.</param>
    /// <param name="yBar">∂L/∂y.</param>
    /// <param name="xBar">Where ∂L/∂x is added.</param>
    /// <param name="parameterBar">Where ∂L/∂θ is added.</param>
    /// <param name="scratch">Work space of <see cref="ScratchSize"/> doubles, contents undefined on entry.</param>
    public virtual void BackwardFromOutput(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        // y is ignored here, but a y of another length is another sample's (or another layer's) output.
        if (y.Length != OutputSize) throw SizeError(nameof(y), y.Length, OutputSize, "OutputSize");
        Backward(x, parameters, yBar, xBar, parameterBar, scratch);
    }

    /// <summary>
    /// True when <see cref="ForwardBatch"/> and <see cref="BackwardBatch"/> do better than one sample at a time: a convolution
    /// unfolds every sample's patches into one matrix and multiplies it once, a linear layer is one matrix product over the
    /// batch. A model with such a layer runs its samples batch-major (see <see cref="Model.BatchMajor"/>).
    /// </summary>
    public virtual bool HasBatch => false;

    /// <summary>Doubles of scratch each <see cref="ForwardBatch"/> and <see cref="BackwardBatch"/> call on <paramref name="count"/> samples needs (default <see cref="ScratchSize"/>).</summary>
    public virtual int BatchScratchSize(int count) => ScratchSize;

    /// <summary>
    /// <see cref="Forward"/> for <paramref name="count"/> samples, each a row: x is count × <see cref="InputSize"/>, y count ×
    /// <see cref="OutputSize"/>, row-major. The default runs the samples one at a time; layers with <see cref="HasBatch"/>
    /// override it, with the same numbers (to rounding: the tests hold them to 1e-12).
    /// </summary>
    /// <exception cref="ArgumentException">A span's length is not count times the layer's size.</exception>
    public virtual void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        for (int s = 0; s < count; s++) Forward(x.Slice(s * InputSize, InputSize), parameters, y.Slice(s * OutputSize, OutputSize), scratch);
    }

    /// <summary>
    /// <see cref="Backward"/> for <paramref name="count"/> samples (rows, as in <see cref="ForwardBatch"/>): xBar's rows += each
    /// sample's yBarᵀ∂g/∂x; parameterBar += the sum over the samples of yBarᵀ∂g/∂θ. The default runs the samples one at a time.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length is not count times the layer's size.</exception>
    public virtual void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (xBar.Length != count * InputSize) throw new ArgumentException($"{Kind}: xBar has {xBar.Length} entries; {count} samples × {InputSize} need {count * InputSize}.", nameof(xBar));
        RequireParameters(parameters.Length);
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        for (int s = 0; s < count; s++)
        {
            Backward(x.Slice(s * InputSize, InputSize), parameters, yBar.Slice(s * OutputSize, OutputSize),
                xBar.Slice(s * InputSize, InputSize), parameterBar, scratch);
        }
    }

    /// <summary>
    /// <see cref="BackwardBatch"/> given also the outputs <paramref name="y"/> (count × <see cref="OutputSize"/>) that
    /// <see cref="ForwardBatch"/> wrote, as <see cref="BackwardFromOutput"/> for one sample. The default ignores y.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length is not count times the layer's size.</exception>
    public virtual void BackwardBatchFromOutput(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (y.Length != (long)count * OutputSize) throw SizeError(nameof(y), y.Length, (long)count * OutputSize, $"{count} samples × OutputSize");
        BackwardBatch(count, x, parameters, yBar, xBar, parameterBar, scratch);
    }

    /// <summary>
    /// True when <see cref="BackwardBatchOverwriting"/> writes every entry of xBar, so that <see cref="BackwardBatchInto"/> need
    /// not clear it first (the clears of the adjoint images were 3–4 % of the ResNet's training step).
    /// </summary>
    internal virtual bool OverwritesBatchInputGradient => false;

    /// <summary>
    /// <see cref="BackwardBatchFromOutput"/> into an xBar it overwrites, with the bits <see cref="BackwardBatchFromOutput"/> leaves
    /// in a cleared xBar (each entry 0 + its sum, as adding to +0 gives it). Called only when <see cref="OverwritesBatchInputGradient"/>.
    /// </summary>
    internal virtual void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        throw new NotSupportedException($"{Kind} does not overwrite its input gradient (OverwritesBatchInputGradient is false).");

    /// <summary>xBar = ∂L/∂x of <see cref="BackwardBatchFromOutput"/> (not added): overwritten where the layer can, else cleared and added to.</summary>
    internal void BackwardBatchInto(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (OverwritesBatchInputGradient && !xBar.IsEmpty)
        {
            BackwardBatchOverwriting(count, x, y, parameters, yBar, xBar, parameterBar, scratch);
            return;
        }

        xBar.Clear();
        BackwardBatchFromOutput(count, x, y, parameters, yBar, xBar, parameterBar, scratch);
    }

    /// <summary>
    /// Throws unless one sample's spans have this layer's sizes: x <see cref="InputSize"/>, parameters
    /// <see cref="ParameterCount"/>, <paramref name="outputName"/> (y or yBar) <see cref="OutputSize"/>. The generated
    /// functions size their loops by the spans they are given, so a short x read weights as biases and a long p was ignored
    /// in silence; the lane forms take one lane vector per value, so the same counts apply to them.
    /// </summary>
    private protected void RequireSample(int x, int parameters, int output, string outputName)
    {
        if (x != InputSize) throw SizeError("x", x, InputSize, "InputSize");
        if (parameters != ParameterCount) throw SizeError("parameters", parameters, ParameterCount, "ParameterCount");
        if (output != OutputSize) throw SizeError(outputName, output, OutputSize, "OutputSize");
    }

    /// <summary>
    /// Throws unless a backward pass's gradients have this layer's sizes: xBar <see cref="InputSize"/> (or empty when
    /// <see cref="AcceptsNoInputGradient"/>) times <paramref name="count"/>, parameterBar <see cref="ParameterCount"/>.
    /// </summary>
    private protected void RequireBars(int count, int xBar, int parameterBar)
    {
        if (xBar != (long)count * InputSize && !(xBar == 0 && AcceptsNoInputGradient)) throw SizeError("xBar", xBar, (long)count * InputSize, count == 1 ? "InputSize" : $"{count} samples × InputSize");
        if (parameterBar != ParameterCount) throw SizeError("parameterBar", parameterBar, ParameterCount, "ParameterCount");
    }

    /// <summary>Throws unless <paramref name="parameters"/> has <see cref="ParameterCount"/> entries.</summary>
    private protected void RequireParameters(int parameters, string name = "parameters")
    {
        if (parameters != ParameterCount) throw SizeError(name, parameters, ParameterCount, "ParameterCount");
    }

    /// <summary>
    /// Throws when <paramref name="output"/> shares memory with <paramref name="input"/>: the passes read their inputs while
    /// they write their outputs (a generated function's loops, a block's intermediate images), so y = x in place gave
    /// another layer's numbers without an error. Two pointer comparisons.
    /// </summary>
    private protected void RequireApart<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName)
    {
        if (input.Overlaps(output))
            throw new ArgumentException($"{Kind}: {outputName} overlaps {inputName}; the layer reads {inputName} while it writes {outputName}, so they must not share memory.", outputName);
    }

    /// <summary>A backward pass's outputs (x̄, θ̄) apart from the inputs it reads (x, θ): <see cref="RequireApart"/> for each pair.</summary>
    private protected void RequireBarsApart<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> xBar, ReadOnlySpan<T> parameterBar)
    {
        RequireApart(x, xBar, nameof(x), nameof(xBar));
        RequireApart(parameters, xBar, nameof(parameters), nameof(xBar));
        RequireApart(x, parameterBar, nameof(x), nameof(parameterBar));
        RequireApart(parameters, parameterBar, nameof(parameters), nameof(parameterBar));
    }

    /// <summary>The exception for a span of the wrong length (built only when thrown).</summary>
    private protected ArgumentException SizeError(string name, int actual, long expected, string what) =>
        new($"{Kind}: {name} has {actual} entries; it needs {expected} (the layer's {what}).", name);

    /// <summary>Throws unless x holds <paramref name="count"/> inputs and <paramref name="output"/> (y or yBar) as many outputs.</summary>
    private protected void RequireBatch(int count, int x, int output, string outputName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (x != (long)count * InputSize || output != (long)count * OutputSize)
            throw new ArgumentException($"{Kind}: {count} samples need x of {(long)count * InputSize} and {outputName} of {(long)count * OutputSize} entries; got {x} and {output}.",
                x != (long)count * InputSize ? "x" : outputName);
    }

    /// <summary>
    /// True when the layer has <see cref="ForwardLanes"/> and <see cref="BackwardLanes"/>: a model whose layers all have them
    /// runs its samples in SIMD lanes, one sample per lane (see <see cref="Model.Lanes"/>).
    /// </summary>
    public virtual bool HasLanes => false;

    /// <summary>
    /// <see cref="Forward"/> for <c>TLane.Count</c> samples at once, structure of arrays: x[i] holds input i of every lane,
    /// parameters[k] parameter k broadcast to every lane. Called only when <see cref="HasLanes"/> is true.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer has no lane methods (<see cref="HasLanes"/> is false).</exception>
    public virtual void ForwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, Span<TLane> y)
        where TLane : unmanaged, ILane<TLane> =>
        throw new NotSupportedException($"{Kind} has no lane methods (HasLanes is false): a model runs it one sample at a time.");

    /// <summary>
    /// <see cref="Backward"/> for <c>TLane.Count</c> samples at once; parameterBar[k] holds each lane's own ∂L/∂θ_k (the model
    /// adds the lanes). Called only when <see cref="HasLanes"/> is true.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer has no lane methods (<see cref="HasLanes"/> is false).</exception>
    public virtual void BackwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> yBar,
        Span<TLane> xBar, Span<TLane> parameterBar)
        where TLane : unmanaged, ILane<TLane> =>
        throw new NotSupportedException($"{Kind} has no lane methods (HasLanes is false): a model runs it one sample at a time.");

    /// <summary>
    /// Draws initial parameters. The default is PyTorch's for <c>Linear</c> and <c>Conv2d</c>: every entry uniform on
    /// ±1/√fan_in with fan_in = the number of columns of the first block when it is a matrix (the inputs a weight row
    /// sees), else <see cref="InputSize"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not <see cref="ParameterCount"/> long.</exception>
    public virtual void Initialize(Span<double> parameters, Random random)
    {
        RequireParameters(parameters.Length);
        int fanIn = _shapes.Length > 0 && _shapes[0].Columns > 1 ? _shapes[0].Columns : InputSize;
        double bound = 1.0 / Math.Sqrt(fanIn);
        Neural.Initializers.Uniform(parameters, random, -bound, bound);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} ({InputSize} → {OutputSize}, {ParameterCount} parameters)";
}
