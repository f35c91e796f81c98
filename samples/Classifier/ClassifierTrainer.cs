using System.Diagnostics;
using OdeGen.Models;
using OdeGen.Neural;
using OdeGen.Samples.Data;

namespace OdeGen.Samples.Classifier;

/// <summary>How every model is trained (the same for all): torchdiffeq's SGD with momentum 0.9 at lr 0.1 for batches of 128, cosine-annealed to 0 over the run.</summary>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="Seed">Seeds the weights and the shuffling.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">The starting rate.</param>
/// <param name="Momentum">SGD's momentum.</param>
/// <param name="Threads">Cores a batch uses (results do not depend on it).</param>
public sealed record TrainingSettings(int Epochs = 1, int Seed = 0, int BatchSize = 128, double LearningRate = 0.1, double Momentum = 0.9, int Threads = 0);

/// <summary>One training step's numbers (for the curves).</summary>
public readonly record struct StepRecord(double Epoch, double Loss, double Accuracy, double ForwardEvaluations, double BackwardEvaluations);

/// <summary>One epoch's numbers.</summary>
public readonly record struct EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double TestError, double ForwardEvaluations,
    double BackwardEvaluations, double Seconds);

/// <summary>The outcome of <see cref="ClassifierTrainer.Train"/>.</summary>
public sealed record TrainingResult(double[] Parameters, IReadOnlyList<StepRecord> Steps, IReadOnlyList<EpochRecord> Epochs, long BackwardBytesPerSample)
{
    /// <summary>Mean training seconds per epoch (test evaluation not included).</summary>
    public double SecondsPerEpoch => Epochs.Count == 0 ? 0 : Epochs.Average(e => e.Seconds);
}

/// <summary>Trains a <see cref="ClassifierNetwork"/> on images and measures it: loss, accuracy, NFE, time and backward memory.</summary>
public sealed class ClassifierTrainer(ClassifierNetwork network, TrainingSettings settings, TextWriter? progress = null)
{
    private readonly CountingLoss _loss = new();

    /// <summary>The network trained.</summary>
    public ClassifierNetwork Network { get; } = network;

    /// <summary>
    /// Trains from <paramref name="parameters"/> (null: the model's initialization from the seed) on the first
    /// <paramref name="trainCount"/> images, evaluating the first <paramref name="testCount"/> test images after each epoch.
    /// </summary>
    public TrainingResult Train(ImageDataset train, int trainCount, ImageDataset test, int testCount, double[]? parameters = null)
    {
        Model model = Network.Model;
        model.MaxDegreeOfParallelism = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount;
        double[] theta = parameters ?? model.CreateParameters(settings.Seed);
        var gradient = new double[theta.Length];
        int batch = settings.BatchSize, batchesPerEpoch = (trainCount + batch - 1) / batch, total = settings.Epochs * batchesPerEpoch;
        var sgd = new Sgd(settings.LearningRate, settings.Momentum);
        LearningRateSchedule schedule = LearningRateSchedule.Cosine(Math.Max(1, total));
        var order = Enumerable.Range(0, trainCount).ToArray();
        var shuffle = new Random(settings.Seed + 1);
        var inputs = new double[batch * train.Size];
        var targets = new double[batch];
        var steps = new List<StepRecord>();
        var epochs = new List<EpochRecord>();
        long memory = 0;
        int iteration = 0;
        var bar = progress is null ? null : new ProgressBar(progress, total);
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            shuffle.Shuffle(order);
            double lossSum = 0, forwardSum = 0, backwardSum = 0;
            long correct = 0;
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < trainCount; start += batch)
            {
                int count = Math.Min(batch, trainCount - start);
                Fill(train, order.AsSpan(start, count), inputs, targets);
                Network.Counter?.Reset();
                _loss.Correct = 0;
                sgd.LearningRate = schedule.RateAt(++iteration, settings.LearningRate);
                double loss = model.Gradient(theta, inputs.AsSpan(0, count * train.Size), targets.AsSpan(0, count), _loss, gradient);
                sgd.Step(theta, gradient);
                if (!double.IsFinite(loss)) throw new InvalidOperationException($"The training loss became {loss} at step {iteration}; try a smaller --lr.");
                // The first batch also sizes reusable buffers; from the second on, what a backward pass holds.
                if (iteration > 1 || total == 1) memory = Math.Max(memory, Network.ActivationBytesPerSample + model.Memory.OdeBlockBytes);
                double accuracy = (double)_loss.Correct / count, nfeForward = Network.ForwardEvaluations, nfeBackward = Network.BackwardEvaluations;
                lossSum += loss * count;
                correct += _loss.Correct;
                forwardSum += nfeForward * count;
                backwardSum += nfeBackward * count;
                steps.Add(new StepRecord(epoch + ((double)(start + count) / trainCount), loss, accuracy, nfeForward, nfeBackward));
                bar?.Update(epoch, settings.Epochs, loss, accuracy, nfeForward, nfeBackward, (start + count) / clock.Elapsed.TotalSeconds);
            }

            double seconds = clock.Elapsed.TotalSeconds;
            bar?.Finish();
            double testError = testCount > 0 ? Error(theta, test, testCount).Error : double.NaN;
            epochs.Add(new EpochRecord(epoch + 1, lossSum / trainCount, (double)correct / trainCount, testError, forwardSum / trainCount, backwardSum / trainCount, seconds));
            progress?.WriteLine(FormattableString.Invariant(
                $"epoch {epoch + 1}/{settings.Epochs}: train loss {lossSum / trainCount:F4}, train accuracy {100.0 * correct / trainCount:F2} %, test error {100 * testError:F2} %, {seconds:F1} s"));
        }

        return new TrainingResult(theta, steps, epochs, memory);
    }

    /// <summary>The misclassified fraction of the first <paramref name="count"/> images and the forward NFE per image it took.</summary>
    public (double Error, double ForwardEvaluations) Error(ReadOnlySpan<double> parameters, ImageDataset data, int count)
    {
        Model model = Network.Model;
        const int chunk = 256;
        var inputs = new double[chunk * data.Size];
        var outputs = new double[chunk * ClassifierNetwork.Classes];
        var indices = new int[chunk];
        int wrong = 0;
        Network.Counter?.Reset();
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            for (int i = 0; i < n; i++) indices[i] = start + i;
            Fill(data, indices.AsSpan(0, n), inputs, null);
            model.Predict(parameters, inputs.AsSpan(0, n * data.Size), outputs.AsSpan(0, n * ClassifierNetwork.Classes));
            for (int i = 0; i < n; i++)
            {
                if (ArgMax(outputs.AsSpan(i * ClassifierNetwork.Classes, ClassifierNetwork.Classes)) != data.Labels[start + i]) wrong++;
            }
        }

        double nfe = Network.ForwardEvaluations;
        Network.Counter?.Reset();
        return ((double)wrong / count, nfe);
    }

    /// <summary>Images <paramref name="indices"/> scaled to [0, 1] as rows of <paramref name="inputs"/>, their labels into <paramref name="targets"/>.</summary>
    public static void Fill(ImageDataset data, ReadOnlySpan<int> indices, double[] inputs, double[]? targets)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            data.Image(indices[i], inputs.AsSpan(i * data.Size, data.Size));
            if (targets is not null) targets[i] = data.Labels[indices[i]];
        }
    }

    internal static int ArgMax(ReadOnlySpan<double> scores)
    {
        int best = 0;
        for (int k = 1; k < scores.Length; k++)
        {
            if (scores[k] > scores[best]) best = k;
        }

        return best;
    }

    // Softmax cross-entropy that also counts the samples it sees classified right (the model hands it every sample's scores).
    private sealed class CountingLoss : Loss
    {
        public long Correct;

        public override string Name => Loss.SoftmaxCrossEntropy.Name;

        public override int TargetSize(int outputSize) => Loss.SoftmaxCrossEntropy.TargetSize(outputSize);

        public override double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
        {
            if (ArgMax(output) == (int)target[0]) Interlocked.Increment(ref Correct);
            return Loss.SoftmaxCrossEntropy.Evaluate(output, target, gradient);
        }
    }
}
