using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// The accepted steps of one block for its discrete adjoint: start time, size and start state (all lanes) of each.
/// Owned by one worker and reused across its blocks, so it grows to the longest block and then stops allocating.
/// The block solver fills it as the observer of its accepted steps.
/// </summary>
internal sealed class LaneTape<TLane> : IStepObserver<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly int _n;
    private double[] _t = new double[64], _h = new double[64];
    private TLane[] _y;

    public LaneTape(int stateCount)   // states per block: registers × n
    {
        _n = stateCount;
        _y = new TLane[64 * Math.Max(stateCount, 1)];
    }

    public int Count { get; private set; }

    public void Started() => Count = 0;

    public void Accepted(double t, double h, ReadOnlySpan<TLane> y)
    {
        if (Count == _t.Length)
        {
            Array.Resize(ref _t, 2 * Count);
            Array.Resize(ref _h, 2 * Count);
            Array.Resize(ref _y, 2 * Count * Math.Max(_n, 1));
        }
        _t[Count] = t;
        _h[Count] = h;
        y.CopyTo(_y.AsSpan(Count * _n, _n));
        Count++;
    }

    public double Time(int k) => _t[k];
    public double Size(int k) => _h[k];
    public ReadOnlySpan<TLane> State(int k) => _y.AsSpan(k * _n, _n);
}
