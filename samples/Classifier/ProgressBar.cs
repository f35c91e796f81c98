namespace OdeGen.Samples.Classifier;

/// <summary>
/// One line redrawn in place on a terminal (loss, accuracy, NFE forward/backward, images/s); on a redirected stream, a
/// plain line every tenth of an epoch so a log stays readable.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, int totalSteps)
{
    private const int Width = 24;
    private readonly bool _inPlace = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    private readonly int _totalSteps = Math.Max(1, totalSteps);
    private int _stepInEpoch, _epoch = -1;

    public void Update(int epoch, int epochs, double loss, double accuracy, double nfeForward, double nfeBackward, double imagesPerSecond)
    {
        if (epoch != _epoch)
        {
            _epoch = epoch;
            _stepInEpoch = 0;
        }

        _stepInEpoch++;
        int perEpoch = Math.Max(1, _totalSteps / Math.Max(1, epochs));
        double done = Math.Min(1.0, (double)_stepInEpoch / perEpoch);
        string line = FormattableString.Invariant(
            $"epoch {epoch + 1}/{epochs} [{new string('#', (int)(done * Width)).PadRight(Width, '.')}] {100 * done,3:F0} % | loss {loss:F4} | acc {100 * accuracy:F1} % | NFE {nfeForward:F1}/{nfeBackward:F1} | {imagesPerSecond:F0} img/s");
        if (_inPlace) writer.Write("\r" + line.PadRight(130));
        else if (_stepInEpoch % Math.Max(1, perEpoch / 10) == 0 || _stepInEpoch == perEpoch) writer.WriteLine(line);
    }

    public void Finish()
    {
        if (_inPlace) writer.WriteLine();
    }
}
