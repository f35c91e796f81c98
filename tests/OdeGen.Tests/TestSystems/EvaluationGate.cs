namespace OdeGen.Tests.TestSystems;

/// <summary>
/// Holds the first evaluation that passes it, on any thread, until <see cref="Open"/> is set; later ones pass at once. The
/// concurrency tests put it inside a system's f to keep one call running while a second call on the same object is made.
/// </summary>
internal sealed class EvaluationGate : IDisposable
{
    private int _held;

    /// <summary>Set when the first evaluation is held.</summary>
    public ManualResetEventSlim Entered { get; } = new();

    /// <summary>Set by the test to let the held evaluation go (it gives up after 60 s, so a failing test cannot hang).</summary>
    public ManualResetEventSlim Open { get; } = new();

    public void Pass()
    {
        if (Interlocked.Exchange(ref _held, 1) != 0) return;
        Entered.Set();
        Open.Wait(TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        Entered.Dispose();
        Open.Dispose();
    }
}
