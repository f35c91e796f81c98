using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Neural;
using OdeGen.Threading;

namespace OdeGen.Models;

/// <summary>
/// A trainable model: layers applied one after another to each sample (a stem, ODE blocks, a head), their parameters laid
/// out in one flat vector (<see cref="Layout"/>, slices named "{index}.{Kind}.{block}"), the vector the optimizers in
/// <see cref="OdeGen.Neural"/> update. <see cref="Gradient"/> runs forward and backward over a minibatch and returns the
/// mean loss and its gradient.
/// </summary>
/// <remarks>
/// <para>
/// Threads: a batch is cut into at most <see cref="Partitions"/> runs of consecutive samples, fixed by the batch size
/// alone. Each run sums its samples' gradients in order into a buffer of its own and the runs are added in order, so the
/// numbers are bit for bit the same for every <see cref="MaxDegreeOfParallelism"/>. A model runs one batch call
/// (<see cref="Predict"/>, <see cref="Evaluate"/>, <see cref="Gradient"/>) at a time: they share its buffers, and a call made
/// while another runs on another thread throws <see cref="InvalidOperationException"/> (use one model per thread).
/// </para>
/// <para>
/// Memory: each run keeps every layer's input for the backward pass (<see cref="ModelMemory.ActivationBytes"/>) and the
/// ODE blocks store what their sensitivity needs while they differentiate; both are reported after each batch
/// (<see cref="Memory"/>). Buffers are sized on the first batch and reused: layers made of generated functions allocate
/// nothing per batch, nor does an ODE block differentiated by an adjoint (it keeps its integrators, tape and dense output
/// per thread); one with forward sensitivities or events allocates what Ode.Solve and Ode.Gradient allocate.
/// </para>
/// </remarks>
public sealed class Model
{
    /// <summary>The most runs a batch is cut into (each has its own work space and gradient buffer).</summary>
    public const int Partitions = 16;

    /// <summary>
    /// Samples per run when the model runs batch-major (<see cref="BatchMajor"/>): a batch of B is cut into ⌈B/32⌉ runs
    /// (at most <see cref="Partitions"/>), enough columns for the layers' matrix products and runs for two or more cores.
    /// </summary>
    public const int BatchRunLength = 32;

    private readonly Layer[] _layers;
    private readonly int[] _offsets, _activationOffsets;

    // Layer i is a ReLU right after a GroupNorm: a batch runs the two as one pass (see RunBatch).
    private readonly bool[] _reluAfterNorm;
    private readonly Action<int> _runPartition;
    private readonly PartitionRunner _runner = new();   // Parallel.For without its per-call allocations
    private ModelWorkspace[] _workspaces = [];
    private double[] _parameters = [], _inputs = [], _targets = [];
    private int _batch, _targetSize;
    private double[] _broadcast = [];
    private Loss? _loss;
    private bool _withGradient;
    private LaneWidth _width = LaneWidth.Lane1;
    private bool _runBatches;

    // Held while a Predict, Evaluate or Gradient runs: they share the model's buffers, and a second call at the same time
    // overwrote the first's inputs and sums (wrong losses and gradients, no error). One interlocked exchange per batch.
    private OneCallAtATime _calls;

    /// <summary>Creates a model of <paramref name="layers"/>, applied in order.</summary>
    /// <exception cref="ArgumentException">No layers, or a layer's input size differs from the previous layer's output size.</exception>
    public Model(params Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("A model needs at least one layer.", nameof(layers));
        _layers = (Layer[])layers.Clone();
        _offsets = new int[layers.Length];
        _activationOffsets = new int[layers.Length + 1];
        Layout = new ParameterLayout();
        for (int i = 0; i < _layers.Length; i++)
        {
            Layer layer = _layers[i] ?? throw new ArgumentNullException($"{nameof(layers)}[{i}]");
            if (i > 0 && layer.InputSize != _layers[i - 1].OutputSize)
                throw new ArgumentException(
                    $"Layer {i} ({layer}) takes {layer.InputSize} values but layer {i - 1} ({_layers[i - 1]}) gives {_layers[i - 1].OutputSize}.", nameof(layers));
            _offsets[i] = Layout.Count;
            foreach (ParameterShape s in layer.ParameterShapes) Layout.AddMatrix($"{i}.{layer.Kind}.{s.Name}", s.Rows, s.Columns);
            _activationOffsets[i + 1] = checked(_activationOffsets[i] + layer.InputSize);
        }

        _reluAfterNorm = new bool[_layers.Length];
        for (int i = 1; i < _layers.Length; i++) _reluAfterNorm[i] = _layers[i] is Relu && _layers[i - 1] is GroupNorm;
        _runPartition = RunPartition;
    }

    /// <summary>
    /// Whether a batch-major run takes a <see cref="GroupNorm"/> and the <see cref="Relu"/> after it as one pass (default true;
    /// the same bits either way: false is for the tests that hold the two to each other).
    /// </summary>
    internal bool FuseNormRelu { get; set; } = true;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The names and shapes of the flat parameter vector's slices.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Length of one sample's input.</summary>
    public int InputSize => _layers[0].InputSize;

    /// <summary>Length of one sample's output.</summary>
    public int OutputSize => _layers[^1].OutputSize;

    /// <summary>Length of the parameter vector.</summary>
    public int ParameterCount => Layout.Count;

    /// <summary>Threads a batch may use (default: the processor count). The results do not depend on it.</summary>
    public int MaxDegreeOfParallelism
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread.");
    } = Environment.ProcessorCount;

    /// <summary>Saves <paramref name="parameters"/> with this model's layout (format: <see cref="ParameterFile"/>).</summary>
    public void Save(string path, ReadOnlySpan<double> parameters) => ParameterFile.Save(path, Layout, parameters);

    /// <summary>Loads parameters saved for a model of this layout.</summary>
    /// <exception cref="InvalidDataException">The file is not a parameter file, has another version, another layout, or is truncated.</exception>
    public double[] Load(string path) => ParameterFile.Load(path, Layout);

    /// <summary>
    /// The SIMD width samples run at when every layer has lane methods (<see cref="Layer.HasLanes"/>): one sample per lane,
    /// the generated EvaluateLanes/VjpLanes doing the work. <see cref="LaneWidth.Auto"/> (default) is the widest the
    /// hardware accelerates; <see cref="LaneWidth.Lane1"/> runs one sample at a time. A model with a layer without lanes (an
    /// <see cref="OdeBlock{TSystem}"/>; a <see cref="LaneOdeBlock{TSystem}"/> with an adaptive step) runs one sample at a
    /// time whatever this says. Results agree with one sample at a time to
    /// rounding (the lanes' parameter gradients are added in another order); for a given width they do not depend on the
    /// thread count.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a <see cref="LaneWidth"/> (it would have run one sample at a time).</exception>
    public LaneWidth Lanes
    {
        get => _lanes;
        set => _lanes = EnsembleOptions.IsLaneWidth(value) ? value : throw new ArgumentException($"Lanes {(int)value} is not a LaneWidth.", nameof(value));
    }

    private LaneWidth _lanes = LaneWidth.Auto;

    /// <summary>
    /// Whether a model with a layer that runs batches (<see cref="Layer.HasBatch"/>: <see cref="Conv2d"/>,
    /// <see cref="Linear"/>, <see cref="Relu"/>, <see cref="ResidualBlock"/>, an <see cref="OdeBlock{TSystem}"/> with
    /// <see cref="OdeBlock{TSystem}.BatchAsOneSystem"/>) passes its samples through the layers batch-major (default true):
    /// each run of up to <see cref="BatchRunLength"/> consecutive samples goes through one layer at a time, a batch layer
    /// taking all of them in one call (one matrix product for a convolution), the others (an ODE block, a normalization)
    /// one sample after another. It holds every layer's input for the run's samples, where one sample at a time holds one
    /// sample's. Results agree with one sample at a time to rounding (a weight gradient is one sum over the run instead of
    /// a sum per sample) and do not depend on the thread count. The lane path (<see cref="Lanes"/>), when every layer has
    /// lanes, comes first; false runs one sample at a time.
    /// </summary>
    public bool BatchMajor { get; set; } = true;

    /// <summary>What the last <see cref="Gradient"/> held for its backward pass (zero before the first).</summary>
    public ModelMemory Memory { get; private set; }

    /// <summary>This layer's slice of <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not the index of a layer.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not <see cref="ParameterCount"/> long.</exception>
    public Span<double> ParametersOf(int layer, Span<double> parameters)
    {
        if ((uint)layer >= (uint)_layers.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The model has layers 0 … {_layers.Length - 1}.");
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"parameters has {parameters.Length} entries; the model has {ParameterCount}.", nameof(parameters));
        return parameters.Slice(_offsets[layer], _layers[layer].ParameterCount);
    }

    /// <summary>A new parameter vector, each layer's slice drawn by its <see cref="Layer.Initialize"/> from <c>new Random(seed)</c>, layer by layer.</summary>
    public double[] CreateParameters(int seed = 0)
    {
        var random = new Random(seed);
        double[] parameters = Layout.CreateVector();
        for (int i = 0; i < _layers.Length; i++) _layers[i].Initialize(ParametersOf(i, parameters), random);
        return parameters;
    }

    /// <summary>The outputs for a batch of inputs (batch × InputSize, row-major) into <paramref name="outputs"/> (batch × OutputSize).</summary>
    /// <exception cref="ArgumentException">A size does not match (the message names it) or a value is not finite.</exception>
    /// <exception cref="OdeSolverException">Status NonFiniteValue: a layer overflowed (an output, the loss or the gradient was not finite); or an ODE block's solve failed.</exception>
    public void Predict(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, Span<double> outputs)
    {
        Enter();
        try
        {
            PredictCore(parameters, inputs, outputs);
        }
        finally
        {
            Exit();
        }
    }

    private void PredictCore(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, Span<double> outputs)
    {
        int batch = Prepare(parameters, inputs, default, null, withGradient: false);
        if (outputs.Length != batch * OutputSize)
            throw new ArgumentException($"outputs has {outputs.Length} entries; {batch} samples × {OutputSize} outputs need {batch * OutputSize}.", nameof(outputs));
        Run();
        for (int s = 0; s < batch; s++)
            _workspaces[PartitionOf(s)].Outputs.AsSpan((s - PartitionStart(PartitionOf(s))) * OutputSize, OutputSize).CopyTo(outputs.Slice(s * OutputSize, OutputSize));
        for (int k = 0; k < outputs.Length; k++)
        {
            if (!double.IsFinite(outputs[k]))
                throw Overflowed($"output {k % OutputSize} of sample {k / OutputSize} is {outputs[k]}");
        }
    }

    // Finite parameters and inputs (Prepare checks them) can still overflow inside the layers: the outputs, the loss and the
    // gradient then came back as ∞ or NaN with no error. The status is the solvers' for the same event.
    private static OdeSolverException Overflowed(string what) =>
        new(OdeStatus.NonFiniteValue, double.NaN, FormattableString.Invariant(
            $"The model's {what} although the parameters and inputs are finite: a layer overflowed. Lower the learning rate, or scale the inputs or the parameters."));

    private static double FiniteLoss(double loss) =>
        double.IsFinite(loss) ? loss : throw Overflowed(FormattableString.Invariant($"mean loss over the batch is {loss}"));

    /// <summary>The mean loss over a batch, without the gradient.</summary>
    /// <exception cref="ArgumentException">A size does not match or a value is not finite.</exception>
    /// <exception cref="OdeSolverException">Status NonFiniteValue: a layer overflowed (an output, the loss or the gradient was not finite); or an ODE block's solve failed.</exception>
    public double Evaluate(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(loss);   // null is Predict's "no loss": the mean loss came back as 0
        Enter();
        try
        {
            int batch = Prepare(parameters, inputs, targets, loss, withGradient: false);
            Run();
            return FiniteLoss(SumLoss() / batch);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Forward and backward over a batch: returns the mean loss (1/B)·Σ L(model(xᵢ), tᵢ) and writes its gradient with respect
    /// to the parameters into <paramref name="gradient"/> (overwritten).
    /// </summary>
    /// <param name="parameters">The flat parameter vector (length <see cref="ParameterCount"/>).</param>
    /// <param name="inputs">B samples × <see cref="InputSize"/>, row-major.</param>
    /// <param name="targets">B samples × the loss's <see cref="Loss.TargetSize"/>, row-major.</param>
    /// <param name="loss">The per-sample loss.</param>
    /// <param name="gradient">Where d(mean loss)/dθ goes (length <see cref="ParameterCount"/>).</param>
    /// <exception cref="ArgumentException">A size does not match (the message names it), a value is not finite, or a target is invalid for the loss.</exception>
    /// <exception cref="OdeSolverException">Status NonFiniteValue: a layer overflowed, so the outputs, the loss or the gradient were not finite.</exception>
    /// <exception cref="OdeSolverException">An ODE block's solve failed (the message says why).</exception>
    public double Gradient(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, Loss loss, Span<double> gradient)
    {
        ArgumentNullException.ThrowIfNull(loss);   // null is Predict's "no loss": the loss and gradient came back as zeros
        if (gradient.Length != ParameterCount)
            throw new ArgumentException($"gradient has {gradient.Length} entries; the model has {ParameterCount} parameters.", nameof(gradient));
        Enter();
        try
        {
            return GradientCore(parameters, inputs, targets, loss, gradient);
        }
        finally
        {
            Exit();
        }
    }

    private double GradientCore(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, Loss loss, Span<double> gradient)
    {
        int batch = Prepare(parameters, inputs, targets, loss, withGradient: true);
        Run();

        // Runs are added in order, whatever thread computed them: the sum is the same for any thread count.
        int partitions = PartitionCount(batch);
        gradient.Clear();
        long activations = 0, odeBytes = 0;
        for (int j = 0; j < partitions; j++)
        {
            ModelWorkspace w = _workspaces[j];
            ReadOnlySpan<double> g = w.Gradient;
            for (int k = 0; k < gradient.Length; k++) gradient[k] += g[k];
            int inFlight = _runBatches ? PartitionStart(j + 1) - PartitionStart(j) : SamplesInFlight;
            activations += (long)inFlight * _activationOffsets[^1] * sizeof(double);
            odeBytes = Math.Max(odeBytes, w.MaxBackwardBytes + w.HeldBackwardBytes);
        }

        double scale = 1.0 / batch;
        for (int k = 0; k < gradient.Length; k++) gradient[k] *= scale;
        Memory = new ModelMemory(activations, odeBytes);
        double mean = FiniteLoss(SumLoss() * scale);
        for (int k = 0; k < gradient.Length; k++)
        {
            if (!double.IsFinite(gradient[k])) throw Overflowed(FormattableString.Invariant($"gradient[{k}] ({Layout.Slices[SliceOf(k)].Name}) is {gradient[k]}"));
        }

        return mean;
    }

    // The layout slice that holds parameter k (for messages).
    private int SliceOf(int k)
    {
        int i = 0;
        while (i + 1 < Layout.Slices.Count && Layout.Slices[i + 1].Offset <= k) i++;
        return i;
    }

    // One batch call at a time: a second one while another runs throws instead of sharing its buffers.
    private void Enter() => _calls.Enter(
        "This Model is already running a Predict, Evaluate or Gradient call on another thread: a model's calls share its buffers, " +
        "so make one call at a time (its batches already use MaxDegreeOfParallelism threads), or use one Model per thread.");

    private void Exit() => _calls.Exit();

    private double SumLoss()
    {
        double sum = 0.0;
        for (int j = 0; j < PartitionCount(_batch); j++) sum += _workspaces[j].LossSum;
        return sum;
    }

    // Checks the arguments and copies them into buffers the worker threads can read (spans cannot cross into them).
    private int Prepare(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, Loss? loss, bool withGradient)
    {
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"parameters has {parameters.Length} entries; the model has {ParameterCount} ({Layout.Slices.Count} slices).", nameof(parameters));
        if (inputs.Length == 0 || inputs.Length % InputSize != 0)
            throw new ArgumentException($"inputs has {inputs.Length} entries, not a positive multiple of the model's {InputSize} inputs per sample.", nameof(inputs));
        int batch = inputs.Length / InputSize;
        RequireFinite(parameters, nameof(parameters), ParameterCount);
        RequireFinite(inputs, nameof(inputs), InputSize);
        if (loss is not null)
        {
            int targetSize = loss.TargetSize(OutputSize);
            if (targets.Length != batch * targetSize)
                throw new ArgumentException($"targets has {targets.Length} entries; {batch} samples × {targetSize} targets per sample ({loss.Name}) need {batch * targetSize}.", nameof(targets));
            RequireFinite(targets, nameof(targets), targetSize);
            _targetSize = targetSize;
            Grow(ref _targets, targets.Length);
            targets.CopyTo(_targets);
        }

        Grow(ref _parameters, parameters.Length);
        parameters.CopyTo(_parameters);
        Grow(ref _inputs, inputs.Length);
        inputs.CopyTo(_inputs);
        _batch = batch;
        _loss = loss;
        _withGradient = withGradient;
        _width = ResolveWidth();
        _runBatches = _width == LaneWidth.Lane1 && BatchMajor && Array.Exists(_layers, l => l.HasBatch);
        if (_width != LaneWidth.Lane1)
        {
            // Every lane sees the same parameters: broadcast once per batch, read by every run.
            int width = SamplesInFlight;
            Grow(ref _broadcast, parameters.Length * width);
            for (int k = 0; k < parameters.Length; k++) _broadcast.AsSpan(k * width, width).Fill(parameters[k]);
        }

        EnsureWorkspaces(batch);
        return batch;
    }

    private void Run()
    {
        int partitions = PartitionCount(_batch);
        _runner.Run(partitions, Math.Min(MaxDegreeOfParallelism, partitions), _runPartition);
    }

    // One run of consecutive samples, in sample order: groups of a lane width first when the model runs in lanes, then one
    // sample at a time.
    private void RunPartition(int j)
    {
        ModelWorkspace w = _workspaces[j];
        int first = PartitionStart(j), end = PartitionStart(j + 1);
        w.LossSum = 0.0;
        w.MaxBackwardBytes = 0;
        w.HeldBackwardBytes = 0;
        if (_withGradient) w.Gradient.AsSpan().Clear();
        if (_runBatches)
        {
            RunBatch(w, first, end);
            return;
        }

        int s = _width switch
        {
            LaneWidth.Lane512 => RunLanes<Lane512>(w, first, end),
            LaneWidth.Lane256 => RunLanes<Lane256>(w, first, end),
            LaneWidth.Lane128 => RunLanes<Lane128>(w, first, end),
            _ => first,
        };
        for (; s < end; s++) RunSample(w, s, first);
    }

    // One sample: forward through every layer keeping each input, the loss, then backward.
    private void RunSample(ModelWorkspace w, int s, int first)
    {
        ReadOnlySpan<double> parameters = _parameters.AsSpan(0, ParameterCount);
        Span<double> activations = w.Activations, scratch = w.Scratch, gradient = w.Gradient;
        _inputs.AsSpan(s * InputSize, InputSize).CopyTo(activations);
        for (int i = 0; i < _layers.Length; i++)
        {
            Layer layer = _layers[i];
            layer.Forward(activations.Slice(_activationOffsets[i], layer.InputSize), parameters.Slice(_offsets[i], layer.ParameterCount),
                i + 1 < _layers.Length ? activations.Slice(_activationOffsets[i + 1], layer.OutputSize) : w.Output, scratch);
        }

        w.Output.CopyTo(w.Outputs.AsSpan((s - first) * OutputSize, OutputSize));
        if (_loss is null) return;
        w.LossSum += _loss.Evaluate(w.Output, _targets.AsSpan(s * _targetSize, _targetSize), w.OutputBar);
        if (!_withGradient) return;

        // Backward: yBar starts as ∂L/∂output; each layer turns it into ∂L/∂(its input), in the other buffer.
        Span<double> yBar = w.OutputBar;
        bool intoA = true;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            Layer layer = _layers[i];
            // The first layer's ∂L/∂x (of the data) is not used: skipped when the layer can.
            Span<double> inBar = i == 0 && layer.AcceptsNoInputGradient ? default : (intoA ? w.BarA : w.BarB).AsSpan(0, layer.InputSize);
            inBar.Clear();
            long before = GC.GetAllocatedBytesForCurrentThread();
            ReadOnlySpan<double> y = i + 1 < _layers.Length ? activations.Slice(_activationOffsets[i + 1], layer.OutputSize) : w.Output;
            layer.BackwardFromOutput(activations.Slice(_activationOffsets[i], layer.InputSize), y, parameters.Slice(_offsets[i], layer.ParameterCount),
                yBar[..layer.OutputSize], inBar, gradient.Slice(_offsets[i], layer.ParameterCount), scratch);
            // What the layer holds for its backward pass when it keeps a workspace; otherwise what the pass allocated.
            if (layer is IBackwardMemory { HeldBackwardBytes: { } held }) w.HeldBackwardBytes += held;
            else w.MaxBackwardBytes = Math.Max(w.MaxBackwardBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            yBar = inBar;
            intoA = !intoA;
        }
    }

    // The run's samples layer by layer (BatchMajor): forward through every layer keeping each layer's inputs for all of
    // them, the loss sample by sample, then backward layer by layer. Buffers are sample-major: layer i's inputs for the run
    // start at count·(offset of layer i), sample s's at + s·InputSize.
    private void RunBatch(ModelWorkspace w, int first, int end)
    {
        int count = end - first, outputs = count * OutputSize;
        w.EnsureBatch(count * _activationOffsets[^1], outputs, count * Widest(), BatchScratch(count));
        ReadOnlySpan<double> parameters = _parameters.AsSpan(0, ParameterCount);
        Span<double> activations = w.BatchActivations, scratch = w.BatchScratch, gradient = w.Gradient, output = w.Outputs.AsSpan(0, outputs);
        _inputs.AsSpan(first * InputSize, count * InputSize).CopyTo(activations);
        for (int i = 0; i < _layers.Length; i++)
        {
            Layer layer = _layers[i];
            if (FuseNormRelu && i + 1 < _layers.Length && _reluAfterNorm[i + 1])
            {
                // A GroupNorm and the ReLU after it in one pass (GroupNorm.ForwardBatchRelu, the bits of the two): the ReLU's
                // output written, its input (the normalized image) never, nor read back. The backward passes do not read it
                // either: the ReLU's adjoint tests its output, the GroupNorm's reads its own input.
                ((GroupNorm)layer).ForwardBatchRelu(count, activations.Slice(count * _activationOffsets[i], count * layer.InputSize), parameters.Slice(_offsets[i], layer.ParameterCount),
                    i + 2 < _layers.Length ? activations.Slice(count * _activationOffsets[i + 2], count * layer.OutputSize) : output, default);
                i++;
                continue;
            }

            layer.ForwardBatch(count, activations.Slice(count * _activationOffsets[i], count * layer.InputSize), parameters.Slice(_offsets[i], layer.ParameterCount),
                i + 1 < _layers.Length ? activations.Slice(count * _activationOffsets[i + 1], count * layer.OutputSize) : output, scratch);
        }

        if (_loss is null) return;
        Span<double> outputBar = w.BatchOutputBar.AsSpan(0, outputs);
        for (int s = 0; s < count; s++)
        {
            w.LossSum += _loss.Evaluate(output.Slice(s * OutputSize, OutputSize), _targets.AsSpan((first + s) * _targetSize, _targetSize),
                outputBar.Slice(s * OutputSize, OutputSize));
        }

        if (!_withGradient) return;
        Span<double> yBar = outputBar;
        bool intoA = true;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            Layer layer = _layers[i];
            Span<double> inBar = i == 0 && layer.AcceptsNoInputGradient ? default : (intoA ? w.BatchBarA : w.BatchBarB).AsSpan(0, count * layer.InputSize);
            long before = GC.GetAllocatedBytesForCurrentThread();
            ReadOnlySpan<double> y = i + 1 < _layers.Length ? activations.Slice(count * _activationOffsets[i + 1], count * layer.OutputSize) : output;
            if (FuseNormRelu && _reluAfterNorm[i] && !inBar.IsEmpty)
            {
                // The ReLU's input was not written (the forward pass above): its overwriting adjoint tests the output, > 0
                // exactly where the input is, so the bits are Relu.BackwardBatchOverwriting's.
                Relu.Backward(y, yBar[..(count * layer.OutputSize)], inBar, accumulate: false);
            }
            else
            {
                layer.BackwardBatchInto(count, activations.Slice(count * _activationOffsets[i], count * layer.InputSize), y,
                    parameters.Slice(_offsets[i], layer.ParameterCount), yBar[..(count * layer.OutputSize)], inBar, gradient.Slice(_offsets[i], layer.ParameterCount), scratch);
            }
            if (layer is IBackwardMemory { HeldBackwardBytes: { } held }) w.HeldBackwardBytes += held;
            else w.MaxBackwardBytes = Math.Max(w.MaxBackwardBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            yBar = inBar;
            intoA = !intoA;
        }
    }

    private int BatchScratch(int count)
    {
        int scratch = 0;
        foreach (Layer l in _layers) scratch = Math.Max(scratch, l.BatchScratchSize(count));
        return scratch;
    }

    // Samples first.. in groups of TLane.Count, one per lane, through the layers' lane methods; returns the first sample left
    // over (fewer than a group), which the caller runs one at a time. Buffers are structure of arrays: entry i·W + lane.
    private int RunLanes<TLane>(ModelWorkspace w, int first, int end)
        where TLane : unmanaged, ILane<TLane>
    {
        int width = TLane.Count, groups = (end - first) / width;
        if (groups == 0) return first;
        w.EnsureLanes(width, _activationOffsets[^1], OutputSize, Widest(), ParameterCount);
        Span<double> activationValues = w.LaneActivations, outputValues = w.LaneOutput, outputBarValues = w.LaneOutputBar;
        Span<TLane> activations = MemoryMarshal.Cast<double, TLane>(activationValues);
        Span<TLane> output = MemoryMarshal.Cast<double, TLane>(outputValues), outputBar = MemoryMarshal.Cast<double, TLane>(outputBarValues);
        Span<TLane> barA = MemoryMarshal.Cast<double, TLane>(w.LaneBarA.AsSpan()), barB = MemoryMarshal.Cast<double, TLane>(w.LaneBarB.AsSpan());
        Span<TLane> gradient = MemoryMarshal.Cast<double, TLane>(w.LaneGradient.AsSpan());
        ReadOnlySpan<TLane> parameters = MemoryMarshal.Cast<double, TLane>(_broadcast.AsSpan(0, ParameterCount * width));
        if (_withGradient) gradient.Clear();

        for (int g = 0; g < groups; g++)
        {
            int s0 = first + (g * width);
            for (int lane = 0; lane < width; lane++)
            {
                ReadOnlySpan<double> x = _inputs.AsSpan((s0 + lane) * InputSize, InputSize);
                for (int i = 0; i < x.Length; i++) activationValues[(i * width) + lane] = x[i];
            }

            for (int i = 0; i < _layers.Length; i++)
            {
                Layer layer = _layers[i];
                layer.ForwardLanes(activations.Slice(_activationOffsets[i], layer.InputSize), parameters.Slice(_offsets[i], layer.ParameterCount),
                    i + 1 < _layers.Length ? activations.Slice(_activationOffsets[i + 1], layer.OutputSize) : output);
            }

            // The loss is per sample: each lane's output out, its ∂L/∂output back in.
            for (int lane = 0; lane < width; lane++)
            {
                for (int i = 0; i < OutputSize; i++) w.Output[i] = outputValues[(i * width) + lane];
                int s = s0 + lane;
                w.Output.CopyTo(w.Outputs.AsSpan((s - first) * OutputSize, OutputSize));
                if (_loss is null) continue;
                w.LossSum += _loss.Evaluate(w.Output, _targets.AsSpan(s * _targetSize, _targetSize), w.OutputBar);
                for (int i = 0; i < OutputSize; i++) outputBarValues[(i * width) + lane] = w.OutputBar[i];
            }

            if (!_withGradient) continue;
            Span<TLane> yBar = outputBar;
            bool intoA = true;
            for (int i = _layers.Length - 1; i >= 0; i--)
            {
                Layer layer = _layers[i];
                Span<TLane> inBar = (intoA ? barA : barB)[..layer.InputSize];
                inBar.Clear();
                layer.BackwardLanes(activations.Slice(_activationOffsets[i], layer.InputSize), parameters.Slice(_offsets[i], layer.ParameterCount),
                    yBar[..layer.OutputSize], inBar, gradient.Slice(_offsets[i], layer.ParameterCount));
                yBar = inBar;
                intoA = !intoA;
            }
        }

        if (_withGradient)
        {
            // Each lane kept its own parameter gradient; add them in lane order.
            for (int k = 0; k < ParameterCount; k++) w.Gradient[k] += TLane.Sum(gradient[k]);
        }

        return first + (groups * width);
    }

    private LaneWidth ResolveWidth()
    {
        foreach (Layer layer in _layers)
        {
            if (!layer.HasLanes) return LaneWidth.Lane1;
        }

        LaneWidth width = Lanes == LaneWidth.Auto ? EnsembleOptions.HardwareWidth : Lanes;
        return width;
    }

    // Samples whose activations a run holds at once: a lane group, or one.
    private int SamplesInFlight => _width switch
    {
        LaneWidth.Lane512 => Lane512.Count,
        LaneWidth.Lane256 => Lane256.Count,
        LaneWidth.Lane128 => Lane128.Count,
        _ => 1,
    };

    private int Widest()
    {
        int widest = 0;
        foreach (Layer l in _layers) widest = Math.Max(widest, Math.Max(l.InputSize, l.OutputSize));
        return widest;
    }

    private void EnsureWorkspaces(int batch)
    {
        int partitions = PartitionCount(batch), perPartition = (batch + partitions - 1) / partitions;
        if (_workspaces.Length < partitions) Array.Resize(ref _workspaces, partitions);
        int widest = 0, scratch = 0;
        foreach (Layer l in _layers)
        {
            widest = Math.Max(widest, Math.Max(l.InputSize, l.OutputSize));
            scratch = Math.Max(scratch, l.ScratchSize);
        }

        for (int j = 0; j < partitions; j++)
        {
            _workspaces[j] ??= new ModelWorkspace(_activationOffsets[^1], OutputSize, widest, scratch, ParameterCount);
            _workspaces[j].EnsureOutputs(perPartition * OutputSize);
        }
    }

    // Fixed by the batch size and the path alone, never by the thread count.
    private int PartitionCount(int batch) => _runBatches ? Math.Min(Partitions, (batch + BatchRunLength - 1) / BatchRunLength) : Math.Min(batch, Partitions);

    private int PartitionStart(int j) => (int)((long)j * _batch / PartitionCount(_batch));

    private int PartitionOf(int sample)
    {
        int j = (int)((long)sample * PartitionCount(_batch) / _batch);
        while (PartitionStart(j + 1) <= sample) j++;
        while (PartitionStart(j) > sample) j--;
        return j;
    }

    private static void Grow(ref double[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new double[length];
    }

    private static void RequireFinite(ReadOnlySpan<double> values, string name, int rowLength)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name} holds {values[i]} at row {i / rowLength}, entry {i % rowLength}: every value must be finite.", name);
        }
    }
}

/// <summary>What a model held for the backward pass of its last batch.</summary>
/// <param name="ActivationBytes">Bytes of layer inputs kept from the forward to the backward pass (every layer's input for the samples in flight at once: one per run, a lane group per run, or the whole run when batch-major).</param>
/// <param name="OdeBlockBytes">
/// Bytes held for the backward pass of one sample beyond the layer inputs (of one run, for an ODE block that solves a run
/// as one system): the sum over the layers that keep a workspace, which hold it at the same time (an ODE block differentiated
/// by an adjoint: the workspace its sensitivity keeps, taped steps, checkpoints, dense output, states, the sizes of the
/// buffers, which keep the largest solve's size; a residual block keeping conv₁'s output: two images and its parameters),
/// plus the most any other layer's backward pass allocated (measured).
/// </param>
public readonly record struct ModelMemory(long ActivationBytes, long OdeBlockBytes)
{
    /// <summary>The sum of both.</summary>
    public long TotalBytes => ActivationBytes + OdeBlockBytes;
}

/// <summary>A layer that keeps a workspace for its backward pass and reports its size (an ODE block, a residual block keeping conv₁'s output).</summary>
internal interface IBackwardMemory
{
    /// <summary>Bytes the current thread's workspace holds for one sample (one run when the layer solves a run as one system), or null when the layer keeps none (then the model measures what the pass allocates).</summary>
    long? HeldBackwardBytes { get; }
}
