using OdeGen.Samples.Data;

namespace OdeGen.Samples.Deq;

/// <summary>
/// Minibatch gradients and test error for one network, samples spread over cores in fixed chunks: chunk c always takes
/// the same samples and the chunk sums are added in chunk order, so results do not depend on the number of threads.
/// </summary>
internal sealed class Trainer
{
    private const int ChunkSize = 16;
    private readonly Network _network;
    private readonly Worker[] _workers;
    private readonly double[][] _gradients, _images;
    private readonly double[] _losses;
    private readonly ParallelOptions _parallel;

    public Trainer(Network network, int batch, int threads)
    {
        _network = network;
        int chunks = (batch + ChunkSize - 1) / ChunkSize;
        _workers = new Worker[chunks];
        _gradients = new double[chunks][];
        _images = new double[chunks][];
        _losses = new double[chunks];
        for (int c = 0; c < chunks; c++)
        {
            _workers[c] = network.CreateWorker();
            _gradients[c] = new double[network.ParameterCount];
            _images[c] = new double[Network.Pixels];
        }

        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
    }

    public Network Network => _network;

    /// <summary>Mean loss of samples order[start..start+count) and its gradient (overwritten).</summary>
    public double Gradient(ImageDataset data, int[] order, int start, int count, double[] p, double[] gradient, ulong step)
    {
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, _parallel, c =>
        {
            Worker worker = _workers[c];
            double[] g = _gradients[c], image = _images[c];
            Array.Clear(g);
            double loss = 0;
            for (int s = c * ChunkSize; s < Math.Min(count, (c + 1) * ChunkSize); s++)
            {
                int index = order[start + s];
                data.Image(index, image);
                loss += worker.Train(image, data.Labels[index], p, g, (step * 1_000_003UL) + (ulong)s);
            }

            _losses[c] = loss;
        });

        Array.Clear(gradient);
        double total = 0;
        for (int c = 0; c < chunks; c++)
        {
            double[] g = _gradients[c];
            for (int i = 0; i < gradient.Length; i++) gradient[i] += g[i];
            total += _losses[c];
        }

        for (int i = 0; i < gradient.Length; i++) gradient[i] /= count;
        return total / count;
    }

    /// <summary>Misclassified fraction of the first <paramref name="count"/> samples of <paramref name="data"/>.</summary>
    public double Error(ImageDataset data, int count, double[] p)
    {
        int chunks = _workers.Length;
        var wrong = new int[chunks];
        Parallel.For(0, chunks, _parallel, c =>
        {
            double[] image = _images[c];
            for (int index = c; index < count; index += chunks)
            {
                data.Image(index, image);
                if (_workers[c].Predict(image, p) != data.Labels[index]) wrong[c]++;
            }
        });

        return (double)wrong.Sum() / count;
    }

    /// <summary>Forward and backward iterations so far, summed over workers, and the samples that did not converge.</summary>
    public (long Forward, long Backward, long Unconverged) Counters() =>
        (_workers.Sum(w => w.ForwardIterations), _workers.Sum(w => w.BackwardIterations), _workers.Sum(w => w.Unconverged));

    public void ResetCounters()
    {
        foreach (Worker w in _workers)
        {
            w.ForwardIterations = 0;
            w.BackwardIterations = 0;
            w.Unconverged = 0;
        }
    }
}
