// Continuous normalizing flow on a 2-D toy density (FFJORD's toy experiments): a time-dependent tanh MLP field with
// generated second-order code, trained by the adjoint with the exact trace or Hutchinson's, RNODE regularizers optional.
using System.Globalization;
using OdeGen;
using OdeGen.Flows;
using OdeGen.Samples.Cnf;
using Spectre.Console;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string data = "8gaussians", traceName = "exact", sensitivityName = "interpolating", model = "mlp", precisionName = "double", outDir = Directory.GetCurrentDirectory();
int? iterationsFlag = null;
int seed = 0, batch = 128, threads = 0, chunk = 64, heldOutCount = 10000;
double kinetic = 0, jacobian = 0, learningRate = 5e-3, finalLearningRate = 2.5e-4, tolerance = 1e-5, length = 1.0, massExtent = 6.0;
bool plain = Console.IsOutputRedirected;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
    double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--data": data = Value(); break;
        case "--iterations": iterationsFlag = Int(); break;
        case "--trace": traceName = Value(); break;
        case "--kinetic": kinetic = Double(); break;
        case "--jacobian": jacobian = Double(); break;
        case "--sensitivity": sensitivityName = Value(); break;
        case "--precision": precisionName = Value(); break;
        case "--seed": seed = Int(); break;
        case "--batch": batch = Int(); break;
        case "--lr": learningRate = Double(); break;
        case "--lr-final": finalLearningRate = Double(); break;
        case "--mass-extent": massExtent = Double(); break;
        case "--tol": tolerance = Double(); break;
        case "--time": length = Double(); break;
        case "--threads": threads = Int(); break;
        case "--chunk": chunk = Int(); break;
        case "--held-out": heldOutCount = Int(); break;
        case "--model": model = Value(); break;
        case "--out": outDir = Value(); break;
        case "--plain": plain = true; break;
        case "--help" or "-h":
            Console.WriteLine($"""
                Cnf — a continuous normalizing flow on a 2-D toy density.
                  --data NAME            {string.Join(" | ", ToyDensity.Names)} (default 8gaussians)
                  --iterations N         Adam steps (default 1000; 4000 for checkerboard, whose sharp edges take longer to learn)
                  --trace KIND           exact | hutchinson (default exact; Hutchinson with Rademacher noise, drawn once per solve)
                  --kinetic λ            weight of the kinetic energy ∫‖f‖² (RNODE; default 0)
                  --jacobian λ           weight of the Jacobian Frobenius norm ∫‖(∂f/∂z)ε‖² (RNODE; default 0)
                  --sensitivity NAME     interpolating | discrete (default interpolating)
                  --precision P          double | single: the field's arithmetic in training (single: 16 float lanes, the solver in
                                         double; the held-out NLL is always computed in double; default double)
                  --seed S               seed of the weights, the batches and the noise (default 0)
                  --batch B              samples per iteration (default 128)
                  --lr RATE              Adam's first learning rate (default 5e-3)
                  --lr-final RATE        its last: a cosine from --lr down to this (default 2.5e-4; equal to --lr: constant)
                  --tol TOL              Dopri5's relative and absolute tolerance in training (default 1e-5)
                  --time T               integration time t1 − t0 (default 1)
                  --model NAME           mlp (2→64→64→64→2, default) | small (2→16→16→2) | hyper | hyper-split (torchdiffeq's cnf.py field, per sample | its hypernetwork once per evaluation; try --time 10)
                  --threads T            chunks solved at once (default: all cores; results do not depend on it)
                  --chunk C              samples per solve (default 64)
                  --held-out N           held-out points for the NLL (default 10000)
                  --mass-extent E        the density's mass is summed over [−E, E]² at spacing 1/8 (default 6)
                  --out DIR              where the SVG goes (default: current folder)
                  --plain                plain lines instead of a progress bar
                """);
            return 0;
        default: throw new ArgumentException($"Unknown argument {args[i]} (see --help).");
    }
}

ToyDensity density = ToyDensity.Named(data);
// Measured with the defaults (docs/cnf.md): 8gaussians reaches a gap of 0.033 nats in 1000 steps; the checkerboard is
// still learning there (0.255), at 2500 (0.155), and gets within 0.1 nats at 4000 (0.091).
int iterations = iterationsFlag ?? (data == "checkerboard" ? 4000 : 1000);
CnfTrace trace = traceName switch
{
    "exact" => CnfTrace.Exact,
    "hutchinson" => CnfTrace.Hutchinson,
    _ => throw new ArgumentException($"Unknown trace '{traceName}' (exact | hutchinson)."),
};
Sensitivity sensitivity = sensitivityName switch
{
    // One checkpoint: the forward pass then takes the steps it needs, and one segment's dense output is small here.
    "interpolating" => Sensitivity.InterpolatingAdjoint(checkpoints: 1),
    "discrete" => Sensitivity.DiscreteAdjoint,
    _ => throw new ArgumentException($"Unknown sensitivity '{sensitivityName}' (interpolating | discrete)."),
};
CnfPrecision precision = precisionName switch
{
    "double" => CnfPrecision.Double,
    "single" => CnfPrecision.Single,
    _ => throw new ArgumentException($"Unknown precision '{precisionName}' (double | single)."),
};
var training = new CnfOptions
{
    T1 = length, Trace = trace, KineticWeight = kinetic, JacobianWeight = jacobian, Sensitivity = sensitivity, Precision = precision,
    Solver = new SolverOptions { RelTol = tolerance, AbsTol = tolerance }, ChunkSize = chunk, MaxDegreeOfParallelism = threads,
};
// Evaluation always uses the exact trace at a tighter tolerance: the held-out NLL is then a number, not an estimate.
var evaluation = new CnfOptions { T1 = length, Solver = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-7 }, ChunkSize = chunk, MaxDegreeOfParallelism = threads };

return model switch
{
    "mlp" => RunField(new CnfMlp.RhsSystem(CnfMlp.Size), CnfMlp.Initial(seed), "2→64→64→64→2 tanh, t into every layer"),
    "small" => RunField(new CnfMlpSmall.RhsSystem(CnfMlpSmall.Size), CnfMlpSmall.Initial(seed), "2→16→16→2 tanh, t into every layer"),
    "hyper" => RunField(new CnfHyper.RhsSystem(CnfHyper.Size), CnfHyper.Initial(seed), "torchdiffeq examples/cnf.py's hypernetwork (hidden 32, width 64), per sample"),
    "hyper-split" => Run(ContinuousNormalizingFlow.WithHypernetwork(new CnfHyperSplit.HypernetworkFunction(CnfHyper.Size), new CnfHyperSplit.LayerSystem(), training),
        ContinuousNormalizingFlow.WithHypernetwork(new CnfHyperSplit.HypernetworkFunction(CnfHyper.Size), new CnfHyperSplit.LayerSystem(), evaluation),
        CnfHyper.Initial(seed), "torchdiffeq examples/cnf.py's hypernetwork (hidden 32, width 64), once per evaluation"),
    _ => throw new ArgumentException($"Unknown model '{model}' (mlp | small | hyper | hyper-split)."),
};

// The generated lane methods carry one sample per SIMD lane.
int RunField<TSystem>(TSystem field, double[] p, string description) where TSystem : struct, IOdeLaneSystemSecondOrder =>
    Run(ContinuousNormalizingFlow.WithLanes(field, training), ContinuousNormalizingFlow.WithLanes(field, evaluation), p, description);

int Run(CnfFlow flow, CnfFlow exact, double[] p, string description)
{
    Console.WriteLine($"CNF on {data}: field {description} ({p.Length} parameters), t ∈ [0, {length}], {traceName} trace" +
        (kinetic > 0 || jacobian > 0 ? $", RNODE λ_K = {kinetic}, λ_J = {jacobian}" : "") +
        $", {sensitivity.Name}, {flow.LaneCount} {(precision == CnfPrecision.Single ? "float" : "double")} lanes, Dopri5 tol {tolerance:G2}, batch {batch}, Adam lr {learningRate:G2} → {finalLearningRate:G2} (cosine), {iterations} iterations");
    var (entropy, entropyError) = density.Entropy();
    if (density.HasDensity) Console.WriteLine($"True entropy of {data}: {entropy:F4} ± {entropyError:F4} nats ({(entropyError == 0 ? "exact" : "Monte Carlo")})");

    TrainingReport report;
    if (plain)
    {
        report = CnfExperiment.Train(flow, density, p, iterations, batch, learningRate, seed, finalLearningRate: finalLearningRate, progress: (i, loss) =>
        {
            if (i % 50 == 0 || i == iterations) Console.WriteLine($"iteration {i,5}  loss {loss.Loss:F4}  NLL {loss.NegativeLogLikelihood:F4}  NFE {loss.Forward.EvaluationsPerSolve:F0}/{loss.Backward.EvaluationsPerSolve:F0}");
        });
    }
    else
    {
        report = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("training", maxValue: Math.Max(1, iterations));
                report = CnfExperiment.Train(flow, density, p, iterations, batch, learningRate, seed, finalLearningRate: finalLearningRate, progress: (i, loss) =>
                {
                    task.Description = $"loss {loss.Loss:F4}  NFE {loss.Forward.EvaluationsPerSolve:F0}/{loss.Backward.EvaluationsPerSolve:F0}";
                    task.Increment(1);
                });
            });
    }

    double[] heldOut = density.Sample(new Random(seed + 777_777), heldOutCount);
    var (nll, nllError) = CnfExperiment.HeldOutNll(exact, heldOut, p);
    const int Side = 72;
    const double Extent = 4.5;
    var (grid, _) = CnfExperiment.Grid(exact, p, Side, Extent);
    // The mass on a wider grid than the picture's: a learned density's tails reach past [−4.5, 4.5]² (the checkerboard's
    // blurred edges held 2 % there), and a spacing of 1/8 resolves the 8 Gaussians (σ = 0.35) to far below 1 %.
    int massSide = (int)Math.Ceiling(massExtent * 16);
    var (_, mass) = CnfExperiment.Grid(exact, p, massSide, massExtent);
    double[] samples = CnfExperiment.Samples(exact, p, 2000, seed + 1);
    Directory.CreateDirectory(outDir);
    string path = Path.Combine(outDir, $"cnf_{data}.svg");
    File.WriteAllText(path, DensityPicture.Render(
        $"{data}: data, learned density, samples — {traceName} trace, {iterations} iterations, held-out NLL {nll:F3} nats",
        density.Sample(new Random(seed + 1), 2000), grid, Side, Extent, samples));
    Console.WriteLine($"Held-out NLL {nll:F4} ± {nllError:F4} nats over {heldOutCount} points (exact trace, tol 1e-7); density mass on a {massSide} × {massSide} grid over [−{massExtent}, {massExtent}]²: {mass:F4}");
    Console.WriteLine($"Wrote {path}");
    string entropyText = density.HasDensity ? entropy.ToString("F3") : "n/a";
    string gapText = density.HasDensity ? (nll - entropy).ToString("F3") : "n/a";
    Console.WriteLine($"held-out NLL: {nll:F3} nats | entropy: {entropyText} nats | gap: {gapText} | NFE forward/backward: {report.ForwardEvaluations:F0}/{report.BackwardEvaluations:F0} | time/iteration: {report.MillisecondsPerIteration:F0} ms");
    return 0;
}
