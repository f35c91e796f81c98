using OdeGen.Models;

namespace OdeGen.Samples.Classifier;

/// <summary>What to build: the model's name and its sizes. Every model shares the stem, the head and the initialization.</summary>
/// <param name="Model">resnet, resnet1, rknet, odenet or odenet-discrete.</param>
/// <param name="Channels">Channels of the stem's output and of the middle (64 in the paper).</param>
/// <param name="Blocks">Residual blocks of resnet (0: six; resnet1 always has one).</param>
/// <param name="Steps">Fixed RK4 steps of rknet over [0, 1].</param>
/// <param name="Tolerance">rtol = atol of the Dopri5 solves (odenet, odenet-discrete), forward and backward.</param>
/// <param name="Rows">Image height (28 for MNIST-format images).</param>
/// <param name="Columns">Image width.</param>
/// <param name="BatchOde">Solve each run of samples as one system with shared steps (<see cref="OdeBlock{TSystem}.BatchAsOneSystem"/>, as torchdiffeq does) instead of one solve per sample.</param>
/// <param name="Controller">The Dopri5 step-size controller (torchdiffeq's integral control by default; <see cref="StepSizeControl.ProportionalIntegral"/> is OdeGen's default elsewhere).</param>
/// <param name="Seminorm">odenet: leave the parameter adjoint out of the backward solve's error norm (torchdiffeq's <c>adjoint_options=dict(norm="seminorm")</c>).</param>
/// <param name="Precision">Every convolution's arithmetic (<see cref="Conv2d.Precision"/>; single is PyTorch's default float32).</param>
/// <param name="Groups">Every GroupNorm's groups; 0 for torchdiffeq's min(32, <paramref name="Channels"/>).</param>
/// <param name="Hidden">The ODE models: channels between the dynamics' two convolutions (<see cref="OdeNetDynamics.Hidden"/>); 0 for <paramref name="Channels"/>, the paper's block.</param>
public sealed record ClassifierSpec(string Model, int Channels, int Blocks = 0, int Steps = 4, double Tolerance = 1e-3, int Rows = 28, int Columns = 28, bool BatchOde = false,
    StepSizeControl Controller = StepSizeControl.Integral, bool Seminorm = false, ConvolutionPrecision Precision = ConvolutionPrecision.Double, int Groups = 0, int Hidden = 0)
{
    /// <summary>The models this sample builds.</summary>
    public static readonly string[] Models = ["resnet", "resnet1", "rknet", "odenet", "odenet-discrete"];
}

/// <summary>
/// One of the compared classifiers as a <see cref="OdeGen.Models.Model"/>: torchdiffeq's odenet_mnist stem (conv 3×3 1→C,
/// GN, ReLU, conv 4×4 stride 2 C→C, GN, ReLU, conv 4×4 stride 2 C→C: 28×28 → C×6×6), a middle, and the head (GN, ReLU, global
/// average pool, Linear C→10).
/// </summary>
public sealed class ClassifierNetwork
{
    /// <summary>Classes of the head.</summary>
    public const int Classes = 10;

    private ClassifierNetwork(ClassifierSpec spec, Model model, EvaluationCounter? counter, int blocks)
    {
        Spec = spec;
        Model = model;
        Counter = counter;
        Blocks = blocks;
        foreach (Layer layer in model.Layers) ActivationBytesPerSample += (long)layer.InputSize * sizeof(double);
    }

    /// <summary>What was built.</summary>
    public ClassifierSpec Spec { get; }

    /// <summary>The model.</summary>
    public Model Model { get; }

    /// <summary>Counts the ODE block's evaluations (null for the residual networks).</summary>
    public EvaluationCounter? Counter { get; }

    /// <summary>Residual blocks of the middle (0 for the ODE models).</summary>
    public int Blocks { get; }

    /// <summary>Bytes of layer inputs the model keeps for one sample's backward pass (what <see cref="ModelMemory.ActivationBytes"/> counts per sample in flight).</summary>
    public long ActivationBytesPerSample { get; }

    /// <summary>Evaluations of the middle per sample in the forward pass: f evaluations of the ODE block, or residual blocks.</summary>
    public double ForwardEvaluations => Counter?.ForwardPerSample ?? Blocks;

    /// <summary>Evaluations per sample in the backward pass: vector-Jacobian products of f, or residual blocks.</summary>
    public double BackwardEvaluations => Counter?.BackwardPerSample ?? Blocks;

    /// <summary>
    /// The GroupNorms' groups: <see cref="ClassifierSpec.Groups"/>, or torchdiffeq's min(32, C), which splits C only when C ≤ 32 or
    /// C is a multiple of 32; any other width needs its groups given, and the message says so before any layer is built.
    /// </summary>
    /// <exception cref="ArgumentException">The groups do not split the channels evenly.</exception>
    public static int NormGroups(ClassifierSpec spec)
    {
        int c = spec.Channels, groups = spec.Groups > 0 ? spec.Groups : Math.Min(32, c);
        if (spec.Groups < 0 || c % groups != 0)
            throw new ArgumentException(spec.Groups == 0
                ? $"--channels {c}: the GroupNorms use min(32, C) = {groups} groups (torchdiffeq's rule), which do not split {c} channels evenly; " +
                  $"choose C ≤ 32 or a multiple of 32, or give --groups G with G dividing {c} (e.g. --groups {LargestDivisorUpTo32(c)})."
                : $"--groups {spec.Groups}: must be positive and divide --channels {c}.");
        return groups;
    }

    private static int LargestDivisorUpTo32(int c)
    {
        for (int g = Math.Min(32, c); g > 1; g--) if (c % g == 0) return g;
        return 1;
    }

    /// <summary>Builds the model of <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">An unknown model name or a size that does not fit.</exception>
    public static ClassifierNetwork Create(ClassifierSpec spec)
    {
        int c = spec.Channels;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        int groups = NormGroups(spec);
        if (spec.Hidden < 0 || (spec.Hidden > 0 && spec.Hidden % groups != 0))
            throw new ArgumentException($"--hidden {spec.Hidden}: must be positive and a multiple of the GroupNorms' {groups} groups.");
        if (spec.Hidden > 0 && spec.Model is not ("rknet" or "odenet" or "odenet-discrete"))
            throw new ArgumentException($"--hidden is the ODE block's width; --model {spec.Model} has no ODE block.");
        var stem1 = new Conv2d(1, c, spec.Rows, spec.Columns, kernel: 3) { Precision = spec.Precision };
        var stem2 = new Conv2d(c, c, stem1.OutHeight, stem1.OutWidth, kernel: 4, stride: 2, padding: 1) { Precision = spec.Precision };
        var stem3 = new Conv2d(c, c, stem2.OutHeight, stem2.OutWidth, kernel: 4, stride: 2, padding: 1) { Precision = spec.Precision };
        int h = stem3.OutHeight, w = stem3.OutWidth, image = c * h * w;
        var layers = new List<Layer>
        {
            stem1, new GroupNorm(groups, c, stem1.OutHeight * stem1.OutWidth), new Relu(stem1.OutputSize),
            stem2, new GroupNorm(groups, c, stem2.OutHeight * stem2.OutWidth), new Relu(stem2.OutputSize),
            stem3,
        };

        EvaluationCounter? counter = null;
        int blocks = 0;
        switch (spec.Model)
        {
            case "resnet" or "resnet1":
                blocks = spec.Model == "resnet1" ? 1 : spec.Blocks > 0 ? spec.Blocks : 6;
                for (int i = 0; i < blocks; i++) layers.Add(new ResidualBlock(c, h, w, groups, spec.Precision));
                break;
            case "rknet" or "odenet" or "odenet-discrete":
                counter = new EvaluationCounter();
                var f = new OdeNetDynamics(c, h, w, groups, spec.Precision, spec.Hidden);
                (Sensitivity sensitivity, SolverOptions options) = spec.Model switch
                {
                    // RK-Net: backpropagation through the fixed-step solver, i.e. the discrete adjoint of its steps.
                    "rknet" => ((Sensitivity)Sensitivity.DiscreteAdjoint, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1.0 / Positive(spec.Steps) }),
                    // The seeds' Algorithm 2: z solved back with the adjoint, O(1) memory in the number of steps.
                    "odenet" => (spec.Seminorm ? Sensitivity.Backsolve(seminorm: true) : Sensitivity.BacksolveAdjoint, Adaptive(spec.Tolerance, spec.Controller)),
                    // The exact gradient of the adaptive solution: its accepted steps are replayed backwards.
                    _ => (Sensitivity.DiscreteAdjoint, Adaptive(spec.Tolerance, spec.Controller)),
                };
                layers.Add(new CountingOdeBlock<OdeNetDynamics>(f, 0.0, 1.0, sensitivity, options, f.Initialize, counter) { BatchAsOneSystem = spec.BatchOde });
                break;
            default:
                throw new ArgumentException($"--model {spec.Model}: expected one of {string.Join(", ", ClassifierSpec.Models)}.");
        }

        layers.Add(new GroupNorm(groups, c, h * w));
        layers.Add(new Relu(image));
        layers.Add(new GlobalAveragePool(c, h * w));
        layers.Add(new Linear(c, Classes));
        return new ClassifierNetwork(spec, new Model([.. layers]), counter, blocks);
    }

    /// <summary>
    /// Dopri5 at rtol = atol = <paramref name="tolerance"/> (torchdiffeq's odenet_mnist: 1e-3) with <paramref name="controller"/>
    /// (torchdiffeq's is the integral one: with OdeGen's proportional–integral default the block takes 50 evaluations where
    /// torchdiffeq takes 32, docs/odenet.md "Function evaluations").
    /// </summary>
    public static SolverOptions Adaptive(double tolerance, StepSizeControl controller = StepSizeControl.Integral)
    {
        if (!(tolerance > 0 && tolerance < 1)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "--tol must lie in (0, 1).");
        return new SolverOptions { Method = OdeMethod.Dopri5, RelTol = tolerance, AbsTol = tolerance, Controller = controller };
    }

    private static int Positive(int steps) => steps > 0 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "--steps must be positive.");
}
