// The seeds' headline experiment on Fashion-MNIST: a ResNet's residual blocks replaced by one ODE block. Five models
// share the stem, head, optimizer, schedule and seed; the last line is the summary the issue names.
using System.Globalization;
using OdeGen.Samples.Classifier;
using OdeGen.Samples.Data;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string dataDir = Idx.FashionMnistDirectory, model = "odenet", outDir = Directory.GetCurrentDirectory();
string? save = null, load = null, sweep = null;
int channels = 32, groups = 0, hidden = 0, epochs = 1, trainSubset = 0, testSubset = 0, seed = 0, threads = 0, batch = 128, blocks = 0, steps = 4, benchRepeats = 5;
double benchWarmup = 3;
double tol = 1e-3, learningRate = 0.1;
bool bench = false, batchOde = false, seminorm = false;
var controller = OdeGen.StepSizeControl.Integral;
var precision = OdeGen.Models.ConvolutionPrecision.Double;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
        int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
        double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
        switch (args[i])
        {
            case "--data": dataDir = Value(); break;
            case "--model": model = Value(); break;
            case "--channels": channels = Int(); break;
            case "--groups": groups = Int(); break;
            case "--hidden": hidden = Int(); break;
            case "--epochs": epochs = Int(); break;
            case "--train-subset": trainSubset = Int(); break;
            case "--test-subset": testSubset = Int(); break;
            case "--seed": seed = Int(); break;
            case "--tol": tol = Double(); break;
            case "--threads": threads = Int(); break;
            case "--save": save = Value(); break;
            case "--load": load = Value(); break;
            case "--batch": batch = Int(); break;
            case "--lr": learningRate = Double(); break;
            case "--blocks": blocks = Int(); break;
            case "--steps": steps = Int(); break;
            case "--out": outDir = Value(); break;
            case "--sweep": sweep = Value(); break;
            case "--bench": bench = true; break;
            case "--batch-ode": batchOde = true; break;
            case "--seminorm": seminorm = true; break;
            case "--controller":
                controller = Value() switch
                {
                    "integral" => OdeGen.StepSizeControl.Integral,
                    "pi" => OdeGen.StepSizeControl.ProportionalIntegral,
                    string other => throw new ArgumentException($"--controller {other}: expected integral (torchdiffeq's) or pi (OdeGen's default elsewhere)."),
                };
                break;
            case "--bench-repeats": benchRepeats = Int(); break;
            case "--bench-warmup": benchWarmup = Double(); break;
            case "--precision":
                precision = Value() switch
                {
                    "double" => OdeGen.Models.ConvolutionPrecision.Double,
                    "single" => OdeGen.Models.ConvolutionPrecision.Single,
                    string other => throw new ArgumentException($"--precision {other}: expected double (default) or single (float32 convolutions, as PyTorch)."),
                };
                break;
            case "--help" or "-h":
                Console.WriteLine($"""
                    Classifier — ResNet, RK-Net and ODE-Net on Fashion-MNIST (the seeds' MNIST experiment).
                      --model NAME        resnet | resnet1 | rknet | odenet | odenet-discrete (default odenet)
                      --data DIR          MNIST-format files (default {Idx.FashionMnistDirectory}, from `apt-get install dataset-fashion-mnist`)
                      --channels C        channels of the stem and middle (default 32, the size of docs/odenet.md's table;
                                          the paper's 64 costs ~4× the time, 16 a quarter)
                      --groups G          the GroupNorms' groups (default min(32, C), torchdiffeq's; G must divide C)
                      --hidden H          ODE models: channels between the dynamics' two convolutions (default C, the
                                          paper's block; wider gives f more capacity at the same state, G must divide H)
                      --epochs N          passes over the training images (default 1)
                      --train-subset N    train on the first N images (default: all 60,000)
                      --test-subset N     test on the first N images (default: all 10,000)
                      --seed S            weights and shuffling (default 0)
                      --tol T             Dopri5's rtol = atol, forward and backward (default 1e-3)
                      --controller C      Dopri5's step-size control: integral (default, torchdiffeq's) | pi (proportional-
                                          integral, OdeGen's default: smoother, but 50 instead of 32 evaluations here)
                      --seminorm          odenet: leave dL/dθ out of the backward solve's error norm (torchdiffeq's seminorm)
                      --batch-ode         solve each run of up to 32 images as one ODE with shared steps (as torchdiffeq
                                          solves its batch) instead of one solve per image
                      --precision P       the convolutions' arithmetic: double (default) | single (float32, PyTorch's
                                          default: about twice as fast, results to float precision)
                      --steps K           rknet's fixed RK4 steps over [0, 1] (default 4)
                      --blocks L          resnet's residual blocks (default 6)
                      --threads T         cores used (default: all; the numbers do not depend on it)
                      --batch B, --lr R   SGD batch and starting rate (default 128, 0.1; momentum 0.9, cosine to 0)
                      --save FILE         save the trained parameters;  --load FILE  start from saved ones (--epochs 0: evaluate)
                      --out DIR           where training.svg and training.csv go (default: current folder)
                      --sweep WHAT        memory (backward memory vs depth) | tolerance (test error vs inference tolerance,
                                          needs --load) | gradient (adjoint vs discrete adjoint at the same weights, needs --load)
                      --bench             time per training batch on random images (--bench-repeats N, default 5;
                                          --bench-warmup S: untimed steps for S seconds first, default 3, at least one)
                    """);
                return 0;
            default:
                Console.Error.WriteLine($"Unknown flag {args[i]}; see --help.");
                return 2;
        }
    }
}
catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var spec = new ClassifierSpec(model, channels, blocks, steps, tol, BatchOde: batchOde, Controller: controller, Seminorm: seminorm, Precision: precision, Groups: groups, Hidden: hidden);
ClassifierNetwork network;
try
{
    network = ClassifierNetwork.Create(spec);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (bench)
{
    try
    {
        Experiments.Bench(Console.Out, spec, batch, benchRepeats, threads, seed, benchWarmup);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }

    return 0;
}

ImageDataset train, test;
try
{
    (train, test) = Idx.Load(dataDir);
}
catch (Exception e) when (e is DatasetMissingException or InvalidDataException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

if (train.Rows != 28 || train.Columns != 28 || test.Size != train.Size)
{
    Console.Error.WriteLine($"The images are {train.Rows}×{train.Columns} (test {test.Rows}×{test.Columns}); this stem reads 28×28 images.");
    return 1;
}

int trainCount = trainSubset > 0 ? Math.Min(trainSubset, train.Count) : train.Count;
int testCount = testSubset > 0 ? Math.Min(testSubset, test.Count) : test.Count;
double[]? theta = null;
if (load is not null)
{
    try
    {
        theta = network.Model.Load(load);
    }
    catch (Exception e) when (e is InvalidDataException or IOException)
    {
        Console.Error.WriteLine($"--load {load}: {e.Message}");
        return 1;
    }
}

switch (sweep)
{
    case null:
        break;
    case "memory":
        Experiments.MemorySweep(Console.Out, train, channels, groups, Math.Min(batch, 16), seed, threads);
        return 0;
    case "tolerance" or "gradient" when theta is null:
        Console.Error.WriteLine($"--sweep {sweep} evaluates trained weights: pass --load FILE (saved by --save).");
        return 2;
    case "tolerance":
        Experiments.ToleranceSweep(Console.Out, spec, theta!, test, testCount, threads);
        return 0;
    case "gradient":
        Experiments.GradientComparison(Console.Out, spec, theta!, train, batch, threads);
        return 0;
    default:
        Console.Error.WriteLine($"--sweep {sweep}: expected memory, tolerance or gradient.");
        return 2;
}

Console.WriteLine($"{model} ({network.Model.ParameterCount:N0} parameters, {channels} channels) on Fashion-MNIST from {dataDir}: " +
    $"{trainCount} training and {testCount} test images, {epochs} epoch(s), batch {batch}, SGD lr {learningRate} momentum 0.9 (cosine), seed {seed}.");
var trainer = new ClassifierTrainer(network, new TrainingSettings(epochs, seed, batch, learningRate, 0.9, threads), Console.Error);
TrainingResult result = trainer.Train(train, trainCount, test, testCount, theta);
if (save is not null) network.Model.Save(save, result.Parameters);

double testError;
double forward, backward;
if (result.Epochs.Count > 0)
{
    EpochRecord last = result.Epochs[^1];
    (testError, forward, backward) = (last.TestError, last.ForwardEvaluations, last.BackwardEvaluations);
    TrainingPlot.Write(outDir, model, result);
    Console.WriteLine($"Curves: {Path.Combine(outDir, "training.svg")} (and training.csv).");
}
else
{
    (testError, forward) = trainer.Error(result.Parameters, test, testCount);
    backward = 0;
}

Console.WriteLine(FormattableString.Invariant(
    $"test error: {100 * testError:F2} % | params: {network.Model.ParameterCount} | backward memory: {result.BackwardBytesPerSample} bytes | time/epoch: {result.SecondsPerEpoch:F1} s | NFE forward/backward: {forward:F1}/{backward:F1}"));
return 0;
