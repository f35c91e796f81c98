// Implicit (deep equilibrium) layers on Fashion-MNIST, after the Deep Implicit Layers tutorial: 784 → 100 tanh
// fixed-point layer → 10, against the same cell unrolled K times and an explicit two-layer network of the same size.
// Also logs, each training step, the cosine similarity between the implicit gradient and the gradient of a deeply
// unrolled solve at the same weights. The last line is the summary the issue names.
using System.Diagnostics;
using System.Globalization;
using OdeGen.Implicit;
using OdeGen.Neural;
using OdeGen.Samples.Data;
using OdeGen.Samples.Deq;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string dataDir = Idx.FashionMnistDirectory, outDir = Directory.GetCurrentDirectory(), backwardName = "gmres", models = "all";
int epochs = 1, seed = 0, batch = 128, trainCount = 0, testCount = 0, unroll = 10, deep = 60, cosineSamples = 8, threads = 0;
double learningRate = 1e-3, jacobian = 0;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
    double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--data": dataDir = Value(); break;
        case "--epochs": epochs = Int(); break;
        case "--seed": seed = Int(); break;
        case "--batch": batch = Int(); break;
        case "--lr": learningRate = Double(); break;
        case "--train": trainCount = Int(); break;
        case "--test": testCount = Int(); break;
        case "--unroll": unroll = Int(); break;
        case "--deep": deep = Int(); break;
        case "--cosine-samples": cosineSamples = Int(); break;
        case "--jacobian": jacobian = Double(); break;
        case "--backward": backwardName = Value(); break;
        case "--models": models = Value(); break;
        case "--threads": threads = Int(); break;
        case "--out": outDir = Value(); break;
        case "--help" or "-h":
            Console.WriteLine($"""
                Deq — a deep equilibrium layer on Fashion-MNIST against unrolled and explicit networks.
                  --data DIR             MNIST-format files (default {Idx.FashionMnistDirectory}, from `apt-get install dataset-fashion-mnist`)
                  --epochs N             passes over the training set (default 1)
                  --seed S               weights and shuffling (default 0)
                  --batch B              samples per Adam step (default 128)
                  --lr RATE              Adam's learning rate (default 1e-3)
                  --train N / --test N   use the first N images only (default: all)
                  --unroll K             steps of the unrolled comparison (default 10)
                  --deep K               steps of the "exact" unrolled gradient for the cosine log (default 60)
                  --cosine-samples S     samples of each batch the cosine is measured on (default 8; 0 = off)
                  --jacobian λ           weight of the Jacobian regulariser ‖εᵀ∂f/∂z‖²/n (default 0)
                  --backward NAME        gmres | anderson | iteration | phantom (default gmres)
                  --models WHICH         all | deq (default all)
                  --threads T            cores used (default: all; results do not depend on it)
                  --out DIR              where cosine.svg and cosine.csv go (default: current folder)
                """);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown flag {args[i]}; see --help.");
            return 2;
    }
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

if (train.Size != Network.Pixels)
{
    Console.Error.WriteLine($"The images are {train.Rows}×{train.Columns}; this model reads 28×28 images.");
    return 1;
}

trainCount = trainCount > 0 ? Math.Min(trainCount, train.Count) : train.Count;
testCount = testCount > 0 ? Math.Min(testCount, test.Count) : test.Count;
ImplicitBackward backward = backwardName switch
{
    "gmres" => ImplicitBackward.Gmres,
    "anderson" => ImplicitBackward.Anderson,
    "iteration" => ImplicitBackward.Iteration,
    "phantom" => ImplicitBackward.Phantom,
    _ => throw new ArgumentException($"--backward {backwardName}: expected gmres, anderson, iteration or phantom."),
};

// The tutorial's solver settings: Anderson with m = 5, λ = 1e-4, relative residual 1e-4, at most 50 iterations. A sample
// that does not converge is counted and reported, never hidden.
var deqOptions = new FixedPointOptions
{
    AndersonMemory = 5,
    AndersonRegularization = 1e-4,
    Tolerance = 1e-4,
    MaxIterations = 50,
    Backward = backward,
    BackwardTolerance = 1e-6,
    BackwardMaxIterations = 50,
    PhantomSteps = 5,
    PhantomDamping = 0.8,
    ThrowOnFailure = false,
};

var deq = new EquilibriumNetwork(deqOptions, jacobian);
var networks = new List<Network> { deq };
if (models == "all")
{
    networks.Add(new UnrolledNetwork(unroll));
    networks.Add(new ExplicitNetwork());
}

Console.WriteLine($"Fashion-MNIST from {dataDir}: {trainCount} training and {testCount} test images; {epochs} epoch(s), batch {batch}, Adam {learningRate}, seed {seed}.");
var summaries = new List<string>();
string? summary = null;
foreach (Network network in networks)
{
    var p = new double[network.ParameterCount];
    network.Initialize(p, new Random(seed));
    var trainer = new Trainer(network, batch, threads);
    var gradient = new double[p.Length];
    var optimizer = new Adam(learningRate);
    bool isDeq = network == deq;
    Trainer? exact = isDeq && cosineSamples > 0 ? new Trainer(new UnrolledNetwork(deep), cosineSamples, threads) : null;
    Trainer? implicitProbe = isDeq && cosineSamples > 0 ? new Trainer(deq, cosineSamples, threads) : null;
    var cosines = new List<(int Step, double Cosine)>();
    var implicitGradient = new double[p.Length];
    var exactGradient = new double[p.Length];
    var order = Enumerable.Range(0, trainCount).ToArray();
    var shuffle = new Random(seed + 1);
    double trainSeconds = 0, lastLoss = 0;
    long forward = 0, backwardIterations = 0, unconverged = 0, samples = 0;
    int step = 0;
    for (int epoch = 0; epoch < epochs; epoch++)
    {
        shuffle.Shuffle(order);
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < trainCount; start += batch, step++)
        {
            int count = Math.Min(batch, trainCount - start);
            if (exact is not null && implicitProbe is not null)
            {
                // At the weights of this step, before it is taken: implicit and deeply unrolled gradients on the same samples.
                int probe = Math.Min(cosineSamples, count);
                implicitProbe.Gradient(train, order, start, probe, p, implicitGradient, (ulong)step);
                exact.Gradient(train, order, start, probe, p, exactGradient, (ulong)step);
                cosines.Add((step, Cosine(implicitGradient, exactGradient)));
            }

            lastLoss = trainer.Gradient(train, order, start, count, p, gradient, (ulong)step);
            optimizer.Step(p, gradient);
            samples += count;
            if (step % 50 == 0)
            {
                string cosine = cosines.Count > 0 ? $", cosine {cosines[^1].Cosine:F4}" : "";
                Console.Error.WriteLine($"  {network.Name}: epoch {epoch + 1}, step {step}, loss {lastLoss:F4}{cosine}");
            }
        }

        trainSeconds += clock.Elapsed.TotalSeconds;
        (long f, long b, long u) = trainer.Counters();
        forward += f;
        backwardIterations += b;
        unconverged += u;
        trainer.ResetCounters();
    }

    double error = trainer.Error(test, testCount, p);
    (_, _, long testUnconverged) = trainer.Counters();
    double perEpoch = trainSeconds / epochs, f1 = (double)forward / samples, b1 = (double)backwardIterations / samples;
    string memory = FormattableString.Invariant($"{network.BackwardDoubles * 8 / 1024.0:F1} KB");
    summaries.Add(FormattableString.Invariant(
        $"| {network.Name} | {100 * error:F2} % | {p.Length:N0} | {f1:F1} / {b1:F1} | {perEpoch:F1} s | {memory} | {unconverged + testUnconverged} |"));
    if (isDeq)
    {
        summary = FormattableString.Invariant($"test error: {100 * error:F2} % | forward/backward iterations: {f1:F1}/{b1:F1} | time/epoch: {perEpoch:F1} s");
        if (cosines.Count > 0) CosinePlot.Write(outDir, cosines, deep, cosineSamples);
    }
}

Console.WriteLine();
Console.WriteLine("| network | test error | parameters | iterations forward / backward per sample | time/epoch | backward memory per sample | unconverged passes |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (string line in summaries) Console.WriteLine(line);
Console.WriteLine();
Console.WriteLine(summary);
return 0;

static double Cosine(double[] a, double[] b)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < a.Length; i++)
    {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }

    return ab / Math.Sqrt(aa * bb);
}
