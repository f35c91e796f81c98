using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>f and its vector-Jacobian product at a stage, for every lane of a state: what the reverse of a step needs.</summary>
internal interface IStageAdjoint<TLane> where TLane : unmanaged, ILane<TLane>
{
    /// <summary>dydt = f(t, y, p) (overwrites dydt).</summary>
    void Evaluate(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt);

    /// <summary>True when <see cref="Vjp"/> returns aᵀ∂f/∂t and the step's time and size are differentiated (the scalar discrete adjoint).</summary>
    static abstract bool DifferentiatesTime { get; }

    /// <summary>yBar += aᵀ∂f/∂y, pBar += aᵀ∂f/∂θ at (t, y); returns aᵀ∂f/∂t (0 when <see cref="DifferentiatesTime"/> is false).</summary>
    double Vjp(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar);
}

/// <summary>
/// One explicit Runge–Kutta step in reverse, generic over the lane type: recomputes the step's stages from its start as
/// the forward step formed them (<see cref="RungeKuttaKernel{TLane}.Combine"/>), then pulls λ = ∂L/∂y_{k+1} back through
/// y_{k+1} = y_k + h Σ b_i K_i and the stages with one VJP per live stage. The scalar discrete adjoint uses it through
/// <see cref="Lane1"/>, the ensembles' lane discrete adjoint with their lane type. Workspace is allocated once.
/// </summary>
/// <remarks>
/// K̄_i = h b_i λ; for i from the last stage down, a VJP at (t + c_i h, Y_i) with K̄_i gives Ȳ_i, which adds to ȳ_k and,
/// through Y_i = y_k + h Σ_j a_ij K_j, to K̄_j += h a_ij Ȳ_i. Stages that feed neither y_{k+1} nor a later live stage (the
/// FSAL stage of Dopri5 and Tsit5) are skipped. With time derivatives, ∂L/∂t_k and ∂L/∂h_k come out too.
/// </remarks>
internal sealed class RungeKuttaReverse<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly ButcherTableau _tableau;
    private readonly RungeKuttaKernel<TLane> _kernel;
    private readonly RungeKuttaTerms _terms;
    private readonly TLane[] _k, _y, _kBar, _yBar;

    /// <param name="tableau">The method.</param>
    /// <param name="length">Lane values of one state (states × registers).</param>
    public RungeKuttaReverse(ButcherTableau tableau, int length)
    {
        _tableau = tableau;
        _kernel = new RungeKuttaKernel<TLane>(tableau);
        _terms = tableau.Terms;
        int s = tableau.Stages;
        _k = new TLane[s * length];
        _y = new TLane[s * length];
        _kBar = new TLane[s * length];
        _yBar = new TLane[length];
    }

    /// <summary>
    /// One forward step from (t, y0) with size h into <paramref name="y1"/>: y_{k+1} = y_k + h Σ b_i K_i, summed as the
    /// integrator sums it (for FSAL methods the integrator takes the last stage's argument, which is the same sum), so
    /// replaying the recorded sizes reproduces the forward pass's states.
    /// </summary>
    public void Advance<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> p, Span<TLane> y1)
        where TFunction : struct, IStageAdjoint<TLane>
    {
        ComputeStages(ref f, t, h, y0, p);
        _kernel.Combine(y1, y0, _k, _terms.BIndex, _terms.BCoefficient, h);
    }

    // The live stages, formed exactly as the integrator forms them: Y_i = y0 + Σ_j (h a_ij) K_j, K_i = f(t + c_i h, Y_i).
    private void ComputeStages<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> p)
        where TFunction : struct, IStageAdjoint<TLane>
    {
        int n = y0.Length, s = _tableau.Stages;
        double[] c = _tableau.C;
        for (int i = 0; i < s; i++)
        {
            if (!_terms.Live[i]) continue;
            Span<TLane> yi = _y.AsSpan(i * n, n);
            _kernel.Combine(yi, y0, _k.AsSpan(0, s * n), _terms.AIndex[i], _terms.ACoefficient[i], h);
            f.Evaluate(t + c[i] * h, yi, p, _k.AsSpan(i * n, n));
        }
    }

    /// <summary>
    /// Given λ = ∂L/∂y_{k+1} in <paramref name="lambda"/>, overwrites it with ∂L/∂y_k and adds ∂L/∂θ to
    /// <paramref name="pBar"/>; with <see cref="IStageAdjoint{TLane}.DifferentiatesTime"/>, also returns ∂L/∂t_k (step
    /// size held) and ∂L/∂h_k (start time held), else 0.
    /// </summary>
    public void Reverse<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> p, Span<TLane> lambda, Span<TLane> pBar,
        out double tBar, out double hBar) where TFunction : struct, IStageAdjoint<TLane>
    {
        ComputeStages(ref f, t, h, y0, p);
        Pull(ref f, t, h, p, lambda, pBar, out tBar, out hBar);
    }

    /// <summary>
    /// <see cref="Reverse"/> at stage arguments the forward pass kept: stage 0's is <paramref name="y0"/>, live stage i's
    /// (i ≥ 1) is row <paramref name="slots"/>[i] of <paramref name="stages"/> (rows of y0.Length). No evaluation of f:
    /// the VJPs are taken at the forward pass's own stage arguments, so with the integrator's stages this gives
    /// <see cref="Reverse"/>'s bits. Only for functions that do not differentiate time (the stage values K_i, which
    /// ∂L/∂h needs, are not kept).
    /// </summary>
    public void ReverseAt<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> stages, ReadOnlySpan<int> slots,
        ReadOnlySpan<TLane> p, Span<TLane> lambda, Span<TLane> pBar) where TFunction : struct, IStageAdjoint<TLane>
    {
        if (TFunction.DifferentiatesTime) throw new InvalidOperationException("ReverseAt keeps no stage values, which the time derivatives need.");
        int n = y0.Length, s = _tableau.Stages;
        for (int i = 0; i < s; i++)
        {
            if (!_terms.Live[i]) continue;
            ReadOnlySpan<TLane> source = i == 0 ? y0 : stages.Slice(slots[i] * n, n);
            source.CopyTo(_y.AsSpan(i * n, n));
        }
        Pull(ref f, t, h, p, lambda, pBar, out _, out _);
    }

    // The pull-back through the step, with the stage arguments in _y (and, for time derivatives, the stages in _k).
    private void Pull<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> p, Span<TLane> lambda, Span<TLane> pBar,
        out double tBar, out double hBar) where TFunction : struct, IStageAdjoint<TLane>
    {
        int n = lambda.Length, s = _tableau.Stages;
        double[] a = _tableau.A, b = _tableau.B, c = _tableau.C;

        // y_{k+1} = y_k + h Σ b_i K_i: ȳ_k = λ, K̄_i = h b_i λ, h̄ = Σ b_i λ·K_i.
        tBar = 0;
        hBar = 0;
        for (int i = 0; i < s; i++)
        {
            Span<TLane> kBar = _kBar.AsSpan(i * n, n);
            TLane w = TLane.Create(h * b[i]);
            for (int q = 0; q < n; q++) kBar[q] = w * lambda[q];
            if (TFunction.DifferentiatesTime && b[i] != 0) hBar += b[i] * Dot(lambda, _k.AsSpan(i * n, n));
        }
        // λ now accumulates ȳ_k (it starts as the direct term y_{k+1} ∋ y_k).
        for (int i = s - 1; i >= 0; i--)
        {
            if (!_terms.Live[i]) continue;
            // K_i = f(t + c_i h, Y_i): one VJP with K̄_i (complete: every later stage has added its share).
            _yBar.AsSpan().Clear();
            double ti = f.Vjp(t + c[i] * h, _y.AsSpan(i * n, n), p, _kBar.AsSpan(i * n, n), _yBar, pBar);
            if (TFunction.DifferentiatesTime)
            {
                tBar += ti;
                hBar += c[i] * ti;
            }
            // Y_i = y_k + h Σ_{j<i} a_ij K_j.
            for (int q = 0; q < n; q++) lambda[q] = lambda[q] + _yBar[q];
            for (int j = 0; j < i; j++)
            {
                double aij = a[i * s + j];
                if (aij == 0) continue;
                Span<TLane> kBarJ = _kBar.AsSpan(j * n, n);
                TLane w = TLane.Create(h * aij);
                for (int q = 0; q < n; q++) kBarJ[q] = kBarJ[q] + w * _yBar[q];
                if (TFunction.DifferentiatesTime) hBar += aij * Dot(_yBar, _k.AsSpan(j * n, n));
            }
        }
    }

    // λ·K over the doubles of a scalar state (time derivatives are taken only where a lane is one double, Lane1).
    private static double Dot(ReadOnlySpan<TLane> a, ReadOnlySpan<TLane> b) =>
        ForwardSensitivitySolver.Dot(MemoryMarshal.Cast<TLane, double>(a), MemoryMarshal.Cast<TLane, double>(b));
}
