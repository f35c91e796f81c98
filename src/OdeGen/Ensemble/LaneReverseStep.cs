using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// The reverse of one explicit Runge–Kutta step for every lane of a block: the lane twin of the scalar discrete
/// adjoint's step (same stage recomputation, same order of operations), with <see cref="IOdeLaneSystem.VjpLanes{TLane}"/>
/// in place of the scalar VJP. Only ∂L/∂y and ∂L/∂θ are propagated (the ensemble's times are not differentiated).
/// </summary>
internal sealed class LaneReverseStep<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly TSystem _system;
    private readonly ButcherTableau _tableau;
    private readonly int _n, _m, _g;   // states and parameters per register, registers per block
    private readonly bool[] _live;     // stage i feeds y_{k+1}, directly or through a later live stage
    private readonly TLane[] _k, _y, _kBar, _yBar;

    public LaneReverseStep(in TSystem system, ButcherTableau tableau, int stateCount, int parameterCount, int registers)
    {
        _system = system;
        _tableau = tableau;
        _n = stateCount;
        _m = parameterCount;
        _g = registers;
        int n = stateCount * registers, s = tableau.Stages;
        _k = new TLane[s * n];
        _y = new TLane[s * n];
        _kBar = new TLane[s * n];
        _yBar = new TLane[n];
        _live = new bool[s];
        for (int i = s - 1; i >= 0; i--)
        {
            bool live = tableau.B[i] != 0;
            for (int j = i + 1; j < s && !live; j++) live = _live[j] && tableau.A[j * s + i] != 0;
            _live[i] = live;
        }
    }

    /// <summary>Lane evaluations and VJPs done so far.</summary>
    public long Evaluations, Vjps;

    private void ComputeStages(double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> p)
    {
        int n = _g * _n, s = _tableau.Stages;
        double[] a = _tableau.A, c = _tableau.C;
        for (int i = 0; i < s; i++)
        {
            if (!_live[i]) continue;
            Span<TLane> yi = _y.AsSpan(i * n, n);
            y0.CopyTo(yi);
            for (int j = 0; j < i; j++)
            {
                double w = h * a[i * s + j];
                if (w == 0) continue;
                TLane wl = TLane.Create(w);
                ReadOnlySpan<TLane> kj = _k.AsSpan(j * n, n);
                for (int q = 0; q < n; q++) yi[q] = yi[q] + wl * kj[q];
            }
            Evaluations++;
            Span<TLane> ki = _k.AsSpan(i * n, n);
            for (int g = 0; g < _g; g++)
                _system.EvaluateLanes(t + c[i] * h, yi.Slice(g * _n, _n), p.Slice(g * _m, _m), ki.Slice(g * _n, _n));
        }
    }

    /// <summary>λ = ∂L/∂y_{k+1} in, ∂L/∂y_k out; adds ∂L/∂θ of every lane to <paramref name="pBar"/>.</summary>
    public void Reverse(double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> p, Span<TLane> lambda, Span<TLane> pBar)
    {
        int n = _g * _n, s = _tableau.Stages;
        double[] a = _tableau.A, b = _tableau.B, c = _tableau.C;
        ComputeStages(t, h, y0, p);
        for (int i = 0; i < s; i++)
        {
            Span<TLane> kBar = _kBar.AsSpan(i * n, n);
            TLane w = TLane.Create(h * b[i]);
            for (int q = 0; q < n; q++) kBar[q] = w * lambda[q];
        }
        for (int i = s - 1; i >= 0; i--)
        {
            if (!_live[i]) continue;
            _yBar.AsSpan().Clear();
            Vjps++;
            ReadOnlySpan<TLane> yi = _y.AsSpan(i * n, n), kBarI = _kBar.AsSpan(i * n, n);
            for (int g = 0; g < _g; g++)
                _system.VjpLanes(t + c[i] * h, yi.Slice(g * _n, _n), p.Slice(g * _m, _m), kBarI.Slice(g * _n, _n),
                    _yBar.AsSpan(g * _n, _n), pBar.Slice(g * _m, _m));
            for (int q = 0; q < n; q++) lambda[q] = lambda[q] + _yBar[q];
            for (int j = 0; j < i; j++)
            {
                double aij = a[i * s + j];
                if (aij == 0) continue;
                Span<TLane> kBarJ = _kBar.AsSpan(j * n, n);
                TLane w = TLane.Create(h * aij);
                for (int q = 0; q < n; q++) kBarJ[q] = kBarJ[q] + w * _yBar[q];
            }
        }
    }
}
