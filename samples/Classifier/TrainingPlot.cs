using System.Globalization;
using System.Text;

namespace OdeGen.Samples.Classifier;

/// <summary>training.svg (loss and accuracy per step, test error per epoch, NFE per step) and training.csv beside it.</summary>
internal static class TrainingPlot
{
    public static void Write(string directory, string name, TrainingResult result)
    {
        Directory.CreateDirectory(directory);
        IReadOnlyList<StepRecord> steps = result.Steps;
        double[] x = steps.Select(s => s.Epoch).ToArray();
        var plot = new SvgPlot($"{name}: training on Fashion-MNIST", columns: 3);
        plot.AddPanel("training loss (per batch)", "epoch", "softmax cross-entropy")
            .Line("batch", x, steps.Select(s => s.Loss).ToArray())
            .Line("running mean of 20", x, RunningMean(steps.Select(s => s.Loss).ToArray(), 20), dashed: true);
        SvgPlot.Panel accuracy = plot.AddPanel("accuracy", "epoch", "%")
            .Line("train (running mean of 20 batches)", x, RunningMean(steps.Select(s => 100 * s.Accuracy).ToArray(), 20));
        double[] epochs = result.Epochs.Select(e => (double)e.Epoch).ToArray();
        if (result.Epochs.All(e => double.IsFinite(e.TestError)))
            accuracy.Line("test (after each epoch)", [0.0, .. epochs], [10.0, .. result.Epochs.Select(e => 100 * (1 - e.TestError))], dashed: true);
        plot.AddPanel("function evaluations per image", "epoch", "NFE")
            .Line("forward (f)", x, steps.Select(s => s.ForwardEvaluations).ToArray())
            .Line("backward (VJP of f)", x, steps.Select(s => s.BackwardEvaluations).ToArray());
        plot.Save(Path.Combine(directory, "training.svg"));

        var csv = new StringBuilder("epoch,loss,accuracy,nfe_forward,nfe_backward\n");
        foreach (StepRecord s in steps) csv.Append(CultureInfo.InvariantCulture, $"{s.Epoch:R},{s.Loss:R},{s.Accuracy:R},{s.ForwardEvaluations:R},{s.BackwardEvaluations:R}\n");
        File.WriteAllText(Path.Combine(directory, "training.csv"), csv.ToString());
    }

    private static double[] RunningMean(double[] values, int window)
    {
        var mean = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            mean[i] = sum / Math.Min(i + 1, window);
        }

        return mean;
    }
}
