// Latent ODEs on irregularly sampled series (Rubanova et al. 2019; the spirals of Chen et al. 2018, section 5.1):
// 1,000 noisy spirals (half clockwise), each observed at its own random subset of the first half of its time span.
// A latent ODE with an ODE-RNN encoder and the RNN-Δt baseline are trained the same way (negative ELBO, Adam); both
// are scored on held-out points only: the fit window's unobserved points (interpolation) and the second half
// (extrapolation), against the noiseless values. The last line is the summary the issue names.
using System.Globalization;
using OdeGen;
using OdeGen.Latent;
using OdeGen.Samples.LatentOde;
using Spectre.Console;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string data = "spiral", outDir = ".";
int series = 1000, observed = 30, iterations = 1500, batch = 64, seed = 0;
double noise = 0.1, learningRate = 0.01;
bool plain = Console.IsOutputRedirected;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--data": data = Next(); break;
        case "--series": series = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--observed": observed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--noise": noise = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--iterations": iterations = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--batch": batch = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--lr": learningRate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--out": outDir = Next(); break;
        case "--plain": plain = true; break;
        case "--help":
            Console.WriteLine("""
                dotnet run -c Release --project samples/LatentOde -- [options]
                  --data spiral|oscillator   the data set (default spiral)
                  --series N                 number of series, 90 % for training, 10 % for scoring (default 1000)
                  --observed K               observed points per series, a random subset of the 50 in the fit window (default 30)
                  --noise S                  observation noise std (default 0.1)
                  --iterations N             Adam iterations per model (default 1500)
                  --batch B                  series per iteration (default 64)
                  --lr R                     Adam's learning rate, cosine-decayed to R/10 (default 0.01)
                  --seed S                   data, initialisation and sampling seed (default 0)
                  --out DIR                  where the pictures go (default .)
                  --plain                    log lines instead of a progress bar
                """);
            return;
        default: throw new ArgumentException($"Unknown option {args[i]} (see --help).");
    }
}

ExperimentSeries[] all = data switch
{
    "spiral" => Datasets.Spirals(series, observed, noise, seed),
    "oscillator" => Datasets.Oscillators(series, observed, noise, seed),
    _ => throw new ArgumentException($"--data is spiral or oscillator, not {data}."),
};
int testCount = Math.Max(1, series / 10);
ExperimentSeries[] train = all[testCount..], test = all[..testCount];
var settings = new TrainingSettings(iterations, batch, learningRate, seed);
var latentOde = new LatentOdeModel(new LatentOdeOptions { Features = 2, LatentSize = 4, EncoderHidden = 25, EncoderOdeHidden = 25, DynamicsHidden = 20, NoiseStd = noise, MaxStep = 0.2, EncoderMaxStep = 0.4 });
var baseline = new LatentOdeModel(new LatentOdeOptions { Features = 2, LatentSize = 25, EncoderHidden = 25, Encoder = LatentEncoder.RnnDeltaT, Decoder = LatentDecoder.RnnDeltaT, NoiseStd = noise });
Console.WriteLine($"{data}: {train.Length} training and {test.Length} scored series, {observed} of 50 fit-window points observed each, noise {noise}; {latentOde.Width}, {Environment.ProcessorCount} cores");
Console.WriteLine($"latent ODE: {latentOde.ParameterCount} parameters; RNN-Δt baseline: {baseline.ParameterCount}; {iterations} iterations of {batch} series each");

(double[] Theta, double Ms) Fit(string name, LatentOdeModel model)
{
    if (plain)
    {
        return Experiment.Train(model, train, settings, (k, e) =>
        {
            if (k % 100 == 0 || k == iterations) Console.WriteLine($"{name} iteration {k,5}  loss {e.Loss:F2}  NLL {e.NegativeLogLikelihood:F2}  KL {e.Kl:F2}  RMSE {Math.Sqrt(e.SquaredError / e.ObservedValues):F3}");
        });
    }

    (double[], double) result = default;
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
        .Start(context =>
        {
            ProgressTask task = context.AddTask(name, maxValue: Math.Max(1, iterations));
            result = Experiment.Train(model, train, settings, (k, e) =>
            {
                task.Description = $"{name}  loss {e.Loss:F2}  fit RMSE {Math.Sqrt(e.SquaredError / e.ObservedValues):F3}";
                task.Increment(1);
            });
        });
    return result;
}

var (thetaOde, msOde) = Fit("latent ODE", latentOde);
var (interp, extrap) = Experiment.Rmse(latentOde, thetaOde, test);
Console.WriteLine($"latent ODE: interpolation RMSE {interp:F4}, extrapolation RMSE {extrap:F4}, {msOde:F1} ms/iteration");
var (thetaBase, msBase) = Fit("RNN-Δt", baseline);
var (baseInterp, baseExtrap) = Experiment.Rmse(baseline, thetaBase, test);
Console.WriteLine($"RNN-Δt baseline: interpolation RMSE {baseInterp:F4}, extrapolation RMSE {baseExtrap:F4}, {msBase:F1} ms/iteration");

Directory.CreateDirectory(outDir);
string picture = Path.Combine(outDir, $"latent_ode_{data}.svg");
var plot = new BandPlot($"{data}: observed (filled), held out (hollow), truth (dashed), posterior mean ± 2σ over 50 draws of z₀", columns: 2);
for (int s = 0; s < 3; s++)
{
    ExperimentSeries e = test[s];
    foreach (var (name, model, theta) in new[] { ("latent ODE", latentOde, thetaOde), ("RNN-Δt baseline", baseline, thetaBase) })
    {
        var (mean, std) = Experiment.Band(model, theta, e.Observed, e.GridTimes, samples: 50, seed: seed + s);
        var panel = plot.Add($"{e.Observed.Id}, {name}", Datasets.Duration / 2);
        string[] colors = ["#1f77b4", "#d62728"];
        for (int q = 0; q < 2; q++)
        {
            double[] Column(double[] v) => Enumerable.Range(0, v.Length / 2).Select(i => v[(2 * i) + q]).ToArray();
            double[] m = Column(mean), sd = Column(std);
            panel.Band(e.GridTimes, m.Zip(sd, (a, b) => a - (2 * b)).ToArray(), m.Zip(sd, (a, b) => a + (2 * b)).ToArray(), colors[q])
                .Line(e.GridTimes, Column(e.GridTruth), colors[q], dashed: true)
                .Line(e.GridTimes, m, colors[q])
                .Points(e.Observed.Times.ToArray(), Column(e.Observed.Values.ToArray()), colors[q])
                .Points(e.InterpTimes, Column(e.InterpTruth), colors[q], hollow: true)
                .Points(e.ExtrapTimes, Column(e.ExtrapTruth), colors[q], hollow: true);
        }
    }
}

plot.Save(picture);
Console.WriteLine($"wrote {picture}");
Console.WriteLine(FormattableString.Invariant($"interp RMSE: {interp:F4} | extrap RMSE: {extrap:F4} | baseline interp/extrap: {baseInterp:F4}/{baseExtrap:F4} | time/iteration: {msOde:F1} ms"));
