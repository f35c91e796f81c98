using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The system with its tangent: state [y; z] of length 2n, dynamics [f(t, y, p); ∂f/∂y·z + ∂f/∂p·ṗ],
/// one generated <see cref="IOdeSystem.Jvp"/> per evaluation. Holds references only; allocates nothing.
/// </summary>
internal readonly struct TangentField<TSystem> : IVectorField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _p, _pDot;
    private readonly EvaluationCounter _counter;
    private readonly int _n;

    public TangentField(in TSystem system, double[] p, double[] pDot, EvaluationCounter counter)
    {
        _system = system;
        _p = p;
        _pDot = pDot;
        _counter = counter;
        _n = system.StateCount;
    }

    public int Dimension => 2 * _n;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        _counter.Jvp++;
        // The nudge of the times enters through the initial and final tangents, not the dynamics: tDot = 0.
        _system.Jvp(t, y[.._n], _p, 0.0, y.Slice(_n, _n), _pDot, dydt[.._n], dydt.Slice(_n, _n));
    }
}
