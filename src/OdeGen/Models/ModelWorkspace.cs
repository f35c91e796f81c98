namespace OdeGen.Models;

/// <summary>The buffers of one run of a <see cref="Model"/>'s batch, sized on the first batch and reused.</summary>
internal sealed class ModelWorkspace(int activations, int outputs, int widest, int scratch, int parameters)
{
    /// <summary>Every layer's input for the current sample, layer by layer.</summary>
    public double[] Activations { get; } = new double[activations];

    /// <summary>The last layer's output for the current sample.</summary>
    public double[] Output { get; } = new double[outputs];

    /// <summary>∂L/∂output for the current sample.</summary>
    public double[] OutputBar { get; } = new double[outputs];

    /// <summary>The two adjoint buffers the backward pass alternates between.</summary>
    public double[] BarA { get; } = new double[widest];

    /// <inheritdoc cref="BarA"/>
    public double[] BarB { get; } = new double[widest];

    /// <summary>Scratch handed to each layer call.</summary>
    public double[] Scratch { get; } = new double[scratch];

    /// <summary>This run's gradient sum.</summary>
    public double[] Gradient { get; } = new double[parameters];

    /// <summary>Outputs of this run's samples, row by row.</summary>
    public double[] Outputs { get; private set; } = [];

    /// <summary>This run's loss sum.</summary>
    public double LossSum { get; set; }

    /// <summary>The most bytes one layer's backward pass allocated for one sample in this run.</summary>
    public long MaxBackwardBytes { get; set; }

    /// <summary>
    /// What the layers that keep a workspace hold for the backward pass (<see cref="IBackwardMemory"/>), summed over those
    /// layers: they hold it at the same time, from their forward pass to their backward pass (residual blocks keeping
    /// conv₁'s output, one per block).
    /// </summary>
    public long HeldBackwardBytes { get; set; }

    /// <summary>Lane buffers (structure of arrays, entry i·width + lane): the layers' inputs, output, its adjoint, two adjoint buffers, each lane's parameter gradient.</summary>
    public double[] LaneActivations { get; private set; } = [];

    /// <inheritdoc cref="LaneActivations"/>
    public double[] LaneOutput { get; private set; } = [];

    /// <inheritdoc cref="LaneActivations"/>
    public double[] LaneOutputBar { get; private set; } = [];

    /// <inheritdoc cref="LaneActivations"/>
    public double[] LaneBarA { get; private set; } = [];

    /// <inheritdoc cref="LaneActivations"/>
    public double[] LaneBarB { get; private set; } = [];

    /// <inheritdoc cref="LaneActivations"/>
    public double[] LaneGradient { get; private set; } = [];

    /// <summary>Batch-major buffers (<see cref="Model.BatchMajor"/>): every layer's inputs for the run's samples, ∂L/∂output, two adjoint buffers, the layers' scratch.</summary>
    public double[] BatchActivations { get; private set; } = [];

    /// <inheritdoc cref="BatchActivations"/>
    public double[] BatchOutputBar { get; private set; } = [];

    /// <inheritdoc cref="BatchActivations"/>
    public double[] BatchBarA { get; private set; } = [];

    /// <inheritdoc cref="BatchActivations"/>
    public double[] BatchBarB { get; private set; } = [];

    /// <inheritdoc cref="BatchActivations"/>
    public double[] BatchScratch { get; private set; } = [];

    private int _laneWidth;

    /// <summary>Grows the batch-major buffers to at least these lengths (never shrinks them).</summary>
    public void EnsureBatch(int activations, int outputs, int bars, int scratch)
    {
        if (BatchActivations.Length < activations) BatchActivations = new double[activations];
        if (BatchOutputBar.Length < outputs) BatchOutputBar = new double[outputs];
        if (BatchBarA.Length < bars) BatchBarA = new double[bars];
        if (BatchBarB.Length < bars) BatchBarB = new double[bars];
        if (BatchScratch.Length < scratch) BatchScratch = new double[scratch];
    }

    public void EnsureLanes(int width, int activations, int outputs, int widest, int parameters)
    {
        if (_laneWidth == width) return;
        _laneWidth = width;
        LaneActivations = new double[activations * width];
        LaneOutput = new double[outputs * width];
        LaneOutputBar = new double[outputs * width];
        LaneBarA = new double[widest * width];
        LaneBarB = new double[widest * width];
        LaneGradient = new double[parameters * width];
    }

    public void EnsureOutputs(int length)
    {
        if (Outputs.Length < length) Outputs = new double[length];
    }
}
