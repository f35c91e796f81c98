namespace OdeGen.Neural;

/// <summary>
/// Cuts training batches out of one observed trajectory: random segments of consecutive points, each a
/// <see cref="TrajectorySample"/> that starts at its first point (the Neural-ODE spiral demo's batches).
/// Seeded, so a seed fixes every batch.
/// </summary>
public sealed class SegmentSampler
{
    private readonly double[] _times, _states;
    private readonly int _n;
    private readonly Random _random;

    /// <summary>Creates a sampler over the trajectory (<paramref name="times"/>[i], row i of <paramref name="states"/>).</summary>
    /// <param name="times">Observation times, strictly increasing.</param>
    /// <param name="states">States row by row (times.Length × stateCount).</param>
    /// <param name="stateCount">Number of states per row.</param>
    /// <param name="segmentLength">Points per segment (at least 2).</param>
    /// <param name="batchSize">Segments per batch, drawn without replacement.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <exception cref="ArgumentException">The sizes do not fit together, a time or state is not finite, or the times do not increase strictly.</exception>
    public SegmentSampler(double[] times, double[] states, int stateCount, int segmentLength, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentLength, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (states.Length != (long)times.Length * stateCount)   // long: the int product wrapped around to a small length
            throw new ArgumentException($"states has {states.Length} entries; expected times.Length × stateCount = {(long)times.Length * stateCount}.", nameof(states));
        if (times.Length - segmentLength < batchSize)
            throw new ArgumentException($"{times.Length} points leave {times.Length - segmentLength} segment starts, fewer than the batch size {batchSize}.", nameof(batchSize));
        // Checked here, where the message can name the point: a NaN state became a segment's y0 or target, and a time out of
        // order a segment the solver could not take, found only when a batch that drew it was trained.
        for (int i = 0; i < times.Length; i++)
        {
            if (!double.IsFinite(times[i])) throw new ArgumentException($"times[{i}] is {times[i]}; times must be finite.", nameof(times));
            if (i > 0 && !(times[i] > times[i - 1]))
                throw new ArgumentException($"times[{i}] = {times[i]} is not after times[{i - 1}] = {times[i - 1]}; times must increase strictly.", nameof(times));
        }

        for (int k = 0; k < states.Length; k++)
        {
            if (!double.IsFinite(states[k]))
                throw new ArgumentException($"states[{k}] (point {k / stateCount}, state {k % stateCount}) is {states[k]}; every state must be finite.", nameof(states));
        }

        (_times, _states, _n) = (times, states, stateCount);
        SegmentLength = segmentLength;
        BatchSize = batchSize;
        _random = new Random(seed);
    }

    /// <summary>Points per segment.</summary>
    public int SegmentLength { get; }

    /// <summary>Segments per batch.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// False (default): each segment keeps its own times (it starts at its first point's time). True: every segment
    /// gets the trajectory's first <see cref="SegmentLength"/> times, as torchdiffeq's demo integrates every segment
    /// over <c>t[:batch_time]</c> — the same thing for autonomous dynamics only (f independent of t). Segments that
    /// share their times can go through lane blocks together (<see cref="NeuralOdeTrainer{TSystem}.LaneBlocks"/>).
    /// </summary>
    public bool SharedTimes { get; init; }

    /// <summary>The next batch: <see cref="BatchSize"/> distinct start indices in [0, count − SegmentLength).</summary>
    public IReadOnlyList<TrajectorySample> Next()
    {
        int starts = _times.Length - SegmentLength;
        // A partial Fisher–Yates shuffle: the first BatchSize entries are a uniform draw without replacement.
        var pool = new int[starts];
        for (int i = 0; i < starts; i++) pool[i] = i;
        var batch = new TrajectorySample[BatchSize];
        for (int b = 0; b < BatchSize; b++)
        {
            int j = b + _random.Next(starts - b);
            (pool[b], pool[j]) = (pool[j], pool[b]);
            batch[b] = Segment(pool[b]);
        }
        return batch;
    }

    /// <summary>The segment that starts at point <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The segment would run past the trajectory.</exception>
    public TrajectorySample Segment(int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, _times.Length - SegmentLength);
        double[] times = _times.AsSpan(SharedTimes ? 0 : start, SegmentLength).ToArray();
        double[] target = _states.AsSpan(start * _n, SegmentLength * _n).ToArray();
        double[] y0 = _states.AsSpan(start * _n, _n).ToArray();
        return new TrajectorySample(y0, times[0], times, target);
    }
}
