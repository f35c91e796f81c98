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
string? csv = null;
double split = double.NaN;
int series = 1000, observed = 30, iterations = 1500, batch = 64, seed = 0;
double noise = 0.1, learningRate = 0.01;
bool plain = Console.IsOutputRedirected;
LaneWidth lanes = LaneWidth.Auto;
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
        case "--csv": csv = Next(); data = Path.GetFileNameWithoutExtension(csv); break;
        case "--split": split = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--plain": plain = true; break;
        case "--lanes": lanes = Next() == "1" ? LaneWidth.Lane1 : LaneWidth.Auto; break;
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
                  --csv FILE --split T       your series instead (id, time, values…, masks…: docs/latent-ode.md);
                                             times ≤ T are the fit window (20 % of its points held out), later ones are extrapolated
                  --lanes 1|auto             one series at a time, or one per SIMD lane (default auto)
                  --plain                    log lines instead of a progress bar
                """);
            return;
        default: throw new ArgumentException($"Unknown option {args[i]} (see --help).");
    }
}

ExperimentSeries[] all;
int features = 2;
double t0 = 0, maxStep = 0.2, split0 = Datasets.Duration / 2;
if (csv is not null)
{
    IReadOnlyList<IrregularSeries> loaded = IrregularSeriesCsv.Load(csv);   // throws with the line and the reason
    if (double.IsNaN(split)) throw new ArgumentException("--csv needs --split T: the time up to which series are fitted.");
    all = Datasets.FromCsv(loaded, split, holdOut: 0.2, seed);
    features = loaded[0].FeatureCount;
    t0 = loaded.Min(s => s.Times[0]);
    maxStep = (split - t0) / 10;
    split0 = split;
    new Random(seed).Shuffle(all);
}
else
{
    all = data switch
    {
        "spiral" => Datasets.Spirals(series, observed, noise, seed),
        "oscillator" => Datasets.Oscillators(series, observed, noise, seed),
        _ => throw new ArgumentException($"--data is spiral or oscillator, not {data}."),
    };
}

series = all.Length;
int testCount = Math.Max(1, series / 10);
ExperimentSeries[] train = all[testCount..], test = all[..testCount];
var settings = new TrainingSettings(iterations, batch, learningRate, seed);
var latentOde = new LatentOdeModel(new LatentOdeOptions { Features = features, T0 = t0, LatentSize = 4, EncoderHidden = 25, EncoderOdeHidden = 25, DynamicsHidden = 20, NoiseStd = noise, MaxStep = maxStep, EncoderMaxStep = 2 * maxStep, Lanes = lanes });
var baseline = new LatentOdeModel(new LatentOdeOptions { Features = features, T0 = t0, LatentSize = 25, EncoderHidden = 25, Encoder = LatentEncoder.RnnDeltaT, Decoder = LatentDecoder.RnnDeltaT, NoiseStd = noise, Lanes = lanes });
Console.WriteLine(csv is null
    ? $"{data}: {train.Length} training and {test.Length} scored series, {observed} of 50 fit-window points observed each, noise {noise}; {latentOde.Width}, {Environment.ProcessorCount} cores"
    : $"{csv}: {train.Length} training and {test.Length} scored series, {features} features, fit window up to t = {split}; {latentOde.Width}, {Environment.ProcessorCount} cores");
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
for (int s = 0; s < Math.Min(3, test.Length); s++)
{
    ExperimentSeries e = test[s];
    foreach (var (name, model, theta) in new[] { ("latent ODE", latentOde, thetaOde), ("RNN-Δt baseline", baseline, thetaBase) })
    {
        var (mean, std) = Experiment.Band(model, theta, e.Observed, e.GridTimes, samples: 50, seed: seed + s);
        var panel = plot.Add($"{e.Observed.Id}, {name}", split0);
        string[] colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
        for (int q = 0; q < Math.Min(features, colors.Length); q++)
        {
            (double[] T, double[] V) Column(double[] times, double[] v, double[]? mask)
            {
                int[] rows = Enumerable.Range(0, times.Length).Where(i => mask is null || mask[(features * i) + q] == 1).ToArray();
                return (rows.Select(i => times[i]).ToArray(), rows.Select(i => v[(features * i) + q]).ToArray());
            }

            double[] m = Column(e.GridTimes, mean, null).V, sd = Column(e.GridTimes, std, null).V;
            panel.Band(e.GridTimes, m.Zip(sd, (a, b) => a - (2 * b)).ToArray(), m.Zip(sd, (a, b) => a + (2 * b)).ToArray(), colors[q])
                .Line(e.GridTimes, m, colors[q]);
            if (e.GridTruth is not null) panel.Line(e.GridTimes, Column(e.GridTimes, e.GridTruth, null).V, colors[q], dashed: true);
            var seen = Column(e.Observed.Times.ToArray(), e.Observed.Values.ToArray(), e.Observed.Mask.ToArray());
            var interpolated = Column(e.InterpTimes, e.InterpTruth, e.InterpMask);
            var extrapolated = Column(e.ExtrapTimes, e.ExtrapTruth, e.ExtrapMask);
            panel.Points(seen.T, seen.V, colors[q]).Points(interpolated.T, interpolated.V, colors[q], hollow: true).Points(extrapolated.T, extrapolated.V, colors[q], hollow: true);
        }
    }
}

plot.Save(picture);
Console.WriteLine($"wrote {picture}");
Console.WriteLine(FormattableString.Invariant($"interp RMSE: {interp:F4} | extrap RMSE: {extrap:F4} | baseline interp/extrap: {baseInterp:F4}/{baseExtrap:F4} | time/iteration: {msOde:F1} ms"));
