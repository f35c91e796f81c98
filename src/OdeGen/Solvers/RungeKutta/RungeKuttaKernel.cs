using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>f of a Runge–Kutta stage, for every lane of a state: the scalar integrator's field (through <see cref="Lane1"/>) or a lane block's system.</summary>
internal interface IStageFunction<TLane> where TLane : unmanaged, ILane<TLane>
{
    /// <summary>dydt = f(t, y) (overwrites dydt).</summary>
    void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt);
}

/// <summary>
/// The explicit Runge–Kutta arithmetic, written once and generic over the lane type: the stage arguments and the
/// candidate y + h Σ a_ij k_j, the embedded error norm, the continuous extension and its extra stages. The scalar
/// integrator (<see cref="RungeKuttaIntegrator{TField}"/>, through <see cref="Lane1"/>), the ensembles' lane-block solver
/// and, for the stage arguments, the discrete adjoint (<see cref="RungeKuttaReverse{TLane}"/>) all call it, so a scalar
/// solve and one lane of an ensemble compute the same bits. One instance per integrator: its scratch is allocated here.
/// </summary>
/// <remarks>
/// A state of several registers lies register after register (register g's component q at g·n + q); sums run over
/// the whole span at once. No fused multiply-adds (<see cref="CombineFused"/> aside): every product is rounded before
/// it is added, in increasing stage order, zero weights skipped, exactly as the published formulas read.
/// </remarks>
internal sealed class RungeKuttaKernel<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly ButcherTableau _tableau;
    private readonly RungeKuttaTerms _terms;
    private readonly int[] _termIndex;         // Combine's scratch for a sum with a weight that underflowed to 0: the other terms
    private readonly double[] _termCoefficient;
    private readonly double[] _dense;          // b_i(θ)·h of the continuous extension at one θ
    private readonly TLane[] _errorWeight;     // b_i − b̂_i, broadcast (0 for a method without an error estimate)

    public RungeKuttaKernel(ButcherTableau tableau)
    {
        _tableau = tableau;
        _terms = tableau.Terms;
        _termIndex = new int[tableau.DenseStages];
        _termCoefficient = new double[tableau.DenseStages];
        _dense = new double[tableau.DenseStages];
        _errorWeight = new TLane[tableau.Stages];
        if (tableau.ErrorWeights is { } e)
            for (int i = 0; i < e.Length; i++) _errorWeight[i] = TLane.Create(e[i]);
    }

    /// <summary>The method.</summary>
    public ButcherTableau Tableau => _tableau;

    /// <summary>Stages with b_i = 0: a non-finite value there does not reach y_new, so finiteness checks look at them too.</summary>
    public int[] ZeroWeightStages => _terms.ZeroWeightStages;

    /// <summary>
    /// Stages 1 … s − 1 of a step of size <paramref name="h"/> from (t, y); row 0 of <paramref name="k"/> (rows of y.Length)
    /// holds f(t, y) already. <paramref name="arg"/> ends as the last stage's argument, which for FSAL methods is the candidate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Stages<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y, Span<TLane> k, Span<TLane> arg)
        where TFunction : struct, IStageFunction<TLane>
    {
        int s = _tableau.Stages, n = y.Length;
        double[] c = _tableau.C;
        for (int i = 1; i < s; i++)
        {
            Combine(arg, y, k, _terms.AIndex[i], _terms.ACoefficient[i], h);
            f.Evaluate(t + c[i] * h, arg, k.Slice(i * n, n));
        }
    }

    /// <summary>
    /// <see cref="Stages"/> and the candidate with fused multiply-adds, term for term as <see cref="FusedFixedSteps"/> sums them
    /// (see <see cref="CombineFused"/>): the general step of a solve that hands runs of fixed steps to the fused stepper, so
    /// that its results do not depend on where it switched. <paramref name="arg"/> ends as the candidate.
    /// </summary>
    public void FusedStep<TFunction>(ref TFunction f, double t, double h, ReadOnlySpan<TLane> y, Span<TLane> k, Span<TLane> arg)
        where TFunction : struct, IStageFunction<TLane>
    {
        int s = _tableau.Stages, n = y.Length;
        double[] c = _tableau.C;
        for (int i = 1; i < s; i++)
        {
            CombineFused(arg, y, k, _terms.FusedAIndex[i], _terms.FusedACoefficient[i], h);
            f.Evaluate(t + c[i] * h, arg, k.Slice(i * n, n));
        }
        CombineFused(arg, y, k, _terms.FusedBIndex, _tableau.B, h);
    }

    /// <summary>The candidate y + h Σ b_i k_i into <paramref name="yNew"/>; for FSAL methods the last stage's argument is it already.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Candidate(Span<TLane> yNew, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> k, double h)
    {
        if (!_tableau.IsFsal) Combine(yNew, y, k, _terms.BIndex, _terms.BCoefficient, h);
    }

    /// <summary>
    /// destination = y + Σ_t (h·coefficient_t)·k_{index_t}, the terms added one after another in increasing index order
    /// (a product that underflows to 0 skipped, as the sum has no such term). destination may be y.
    /// </summary>
    public void Combine(Span<TLane> destination, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> k, int[] index, double[] coefficient, double h)
    {
        // One test for the common case: rounding is monotonic, so when |h| times the smallest nonzero |coefficient| of the
        // tableau is not 0, no term's product is.
        if (Math.Abs(h) * _terms.SmallestCoefficient != 0)
        {
            Sum(destination, y, k, index, coefficient, index.Length, h);
            return;
        }
        for (int t = 0; t < index.Length; t++)
        {
            if (h * coefficient[t] != 0) continue;
            // The rare case (h so small that h·a_ij is 0): the terms without it, in the scratch lists.
            int count = 0;
            for (int u = 0; u < index.Length; u++)
            {
                if (h * coefficient[u] == 0) continue;
                _termIndex[count] = index[u];
                _termCoefficient[count++] = coefficient[u];
            }
            Sum(destination, y, k, _termIndex, _termCoefficient, count, h);
            return;
        }
        Sum(destination, y, k, index, coefficient, index.Length, h);
    }

    // The sum of the first count terms, none of whose weights is 0. Up to four terms per pass over the components, so
    // y and destination are not reloaded for every term; no copy of y first, no bounds checks in the loops.
    // (Issue #20 measured the other loop order, every term per component, for small states: 10 % slower on Lorenz's stages
    // and 9 % on DOP853's, as the weights are then formed or loaded once per component.)
    private static void Sum(Span<TLane> destination, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> k, int[] index, double[] coefficient, int count, double h)
    {
        int n = destination.Length;
        ref TLane d = ref MemoryMarshal.GetReference(destination);
        ref TLane kk = ref MemoryMarshal.GetReference(k);
        ref TLane src = ref MemoryMarshal.GetReference(y);
        if (count == 0) y.CopyTo(destination);
        for (int t = 0; t < count; t += 4)
        {
            int terms = Math.Min(4, count - t);
            TLane w0 = TLane.Create(h * coefficient[t]);
            ref TLane k0 = ref Unsafe.Add(ref kk, index[t] * n);
            switch (terms)
            {
                case 1:
                    for (int q = 0; q < n; q++)
                        Unsafe.Add(ref d, q) = Unsafe.Add(ref src, q) + w0 * Unsafe.Add(ref k0, q);
                    break;
                case 2:
                {
                    TLane w1 = TLane.Create(h * coefficient[t + 1]);
                    ref TLane k1 = ref Unsafe.Add(ref kk, index[t + 1] * n);
                    for (int q = 0; q < n; q++)
                        Unsafe.Add(ref d, q) = Unsafe.Add(ref src, q) + w0 * Unsafe.Add(ref k0, q) + w1 * Unsafe.Add(ref k1, q);
                    break;
                }
                case 3:
                {
                    TLane w1 = TLane.Create(h * coefficient[t + 1]), w2 = TLane.Create(h * coefficient[t + 2]);
                    ref TLane k1 = ref Unsafe.Add(ref kk, index[t + 1] * n);
                    ref TLane k2 = ref Unsafe.Add(ref kk, index[t + 2] * n);
                    for (int q = 0; q < n; q++)
                        Unsafe.Add(ref d, q) = Unsafe.Add(ref src, q) + w0 * Unsafe.Add(ref k0, q) + w1 * Unsafe.Add(ref k1, q) + w2 * Unsafe.Add(ref k2, q);
                    break;
                }
                default:
                {
                    TLane w1 = TLane.Create(h * coefficient[t + 1]), w2 = TLane.Create(h * coefficient[t + 2]), w3 = TLane.Create(h * coefficient[t + 3]);
                    ref TLane k1 = ref Unsafe.Add(ref kk, index[t + 1] * n);
                    ref TLane k2 = ref Unsafe.Add(ref kk, index[t + 2] * n);
                    ref TLane k3 = ref Unsafe.Add(ref kk, index[t + 3] * n);
                    for (int q = 0; q < n; q++)
                        Unsafe.Add(ref d, q) = Unsafe.Add(ref src, q) + w0 * Unsafe.Add(ref k0, q) + w1 * Unsafe.Add(ref k1, q)
                            + w2 * Unsafe.Add(ref k2, q) + w3 * Unsafe.Add(ref k3, q);
                    break;
                }
            }
            src = ref d;
        }
    }

    /// <summary>
    /// destination = y + Σ_t (h·coefficient_t)·k_{index_t}, one fused multiply-add per term in increasing index order, zero
    /// weights included: the sums of <see cref="FusedFixedSteps"/>, term for term, for solves that switch between it and
    /// the general step (the index lists are its terms).
    /// </summary>
    private static void CombineFused(Span<TLane> destination, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> k, int[] index, double[] coefficient, double h)
    {
        int n = destination.Length;
        y.CopyTo(destination);
        for (int t = 0; t < index.Length; t++)
        {
            TLane w = TLane.Create(h * coefficient[t]);
            ReadOnlySpan<TLane> kt = k.Slice(index[t] * n, n);
            for (int q = 0; q < n; q++) destination[q] = TLane.FusedMultiplyAdd(w, kt[q], destination[q]);
        }
    }

    /// <summary>
    /// The scaled error norm of each lane (RMS or max over its first <paramref name="components"/> components of
    /// h Σ (b_i − b̂_i) k_i / (atol + rtol·max(|y|, |y_new|)); with a second estimate, Hairer's DOP853 combination)
    /// into <paramref name="destination"/> (lane L of register g at g·Count + L). <paramref name="scratch"/> holds as many doubles.
    /// </summary>
    public void ErrorNorms(double h, ReadOnlySpan<TLane> k, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> yNew, int n, int components,
        ReadOnlySpan<double> atol, double relTol, ErrorNorm norm, Span<double> destination, Span<double> scratch)
    {
        int gn = y.Length, registers = n == 0 ? 0 : gn / n, w = TLane.Count;
        CheckErrorInputs(k, y, yNew, n, components, atol);
        bool second = _tableau.SecondErrorWeights is not null;
        for (int g = 0; g < registers; g++)
        {
            TLane sum = RegisterSums(g, h, k, y, yNew, n, components, atol, relTol, norm, out TLane sum2);
            TLane.Store(sum, destination, g * w);
            if (second) TLane.Store(sum2, scratch, g * w);
        }
        for (int l = 0; l < registers * w; l++)
            destination[l] = Finish(destination[l], second ? scratch[l] : 0, second, components, norm);
    }

    /// <summary>
    /// <see cref="ErrorNorms"/> of a state of one register with one lane (the scalar integrator's), returned rather than stored:
    /// the error is on the chain of dependent operations from one step size to the next, and a store and a load on it cost more
    /// than the rest of the norm's bookkeeping.
    /// </summary>
    public double SingleErrorNorm(double h, ReadOnlySpan<TLane> k, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> yNew, int components,
        ReadOnlySpan<double> atol, double relTol, ErrorNorm norm)
    {
        if (TLane.Count != 1) throw new InvalidOperationException("SingleErrorNorm is the one-lane form; use ErrorNorms for lane blocks.");
        int n = y.Length;
        CheckErrorInputs(k, y, yNew, n, components, atol);
        TLane sum = RegisterSums(0, h, k, y, yNew, n, components, atol, relTol, norm, out TLane sum2);
        bool second = _tableau.SecondErrorWeights is not null;
        return Finish(TLane.GetLane(sum, 0), second ? TLane.GetLane(sum2, 0) : 0, second, components, norm);
    }

    // The sums below read k, y, yNew and atol without bounds checks: make sure every entry they touch is there.
    private void CheckErrorInputs(ReadOnlySpan<TLane> k, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> yNew, int n, int components, ReadOnlySpan<double> atol)
    {
        if ((uint)components > (uint)n || k.Length < _tableau.Stages * y.Length || yNew.Length < y.Length || atol.Length < components || (n > 0 && y.Length % n != 0))
            throw new ArgumentException("The stages, states or tolerances do not cover the components of the error norm.", nameof(k));
    }

    // Register g's accumulated squares (RMS) or maximum of the scaled error, and of the second estimate where the method has one.
    // Every stage's term is added in stage order with the weights broadcast once per kernel (_errorWeight), zero weights
    // included (0·∞ is NaN: a non-finite stage reaches the norm even where its weight is 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TLane RegisterSums(int g, double h, ReadOnlySpan<TLane> k, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> yNew, int n, int components,
        ReadOnlySpan<double> atol, double relTol, ErrorNorm norm, out TLane sum2)
    {
        int s = _tableau.Stages, gn = y.Length;
        double[]? e2 = _tableau.SecondErrorWeights;
        bool max = norm == ErrorNorm.Max;
        TLane rtol = TLane.Create(relTol), hl = TLane.Create(h);
        ref TLane k0 = ref MemoryMarshal.GetReference(k);
        ref TLane y0 = ref MemoryMarshal.GetReference(y);
        ref TLane yNew0 = ref MemoryMarshal.GetReference(yNew);
        ref double atol0 = ref MemoryMarshal.GetReference(atol);
        ref TLane e0 = ref MemoryMarshal.GetArrayDataReference(_errorWeight);
        TLane sum = TLane.Zero;
        sum2 = TLane.Zero;
        for (int q = 0; q < components; q++)
        {
            int c = g * n + q;
            ref TLane kc = ref Unsafe.Add(ref k0, c);
            TLane err = TLane.Zero;
            for (int i = 0; i < s; i++) err += Unsafe.Add(ref e0, i) * Unsafe.Add(ref kc, i * gn);
            TLane scale = TLane.Create(Unsafe.Add(ref atol0, q)) + rtol * TLane.Max(TLane.Abs(Unsafe.Add(ref y0, c)), TLane.Abs(Unsafe.Add(ref yNew0, c)));
            TLane se = hl * err / scale;
            sum = max ? TLane.Max(sum, TLane.Abs(se)) : sum + se * se;
            if (e2 is not null)
            {
                TLane err2 = TLane.Zero;
                for (int i = 0; i < s; i++) err2 += TLane.Create(e2[i]) * Unsafe.Add(ref kc, i * gn);
                TLane se2 = hl * err2 / scale;
                sum2 = max ? TLane.Max(sum2, TLane.Abs(se2)) : sum2 + se2 * se2;
            }
        }
        return sum;
    }

    // One lane's norm from its accumulated sums.
    private static double Finish(double sum, double sum2, bool second, int components, ErrorNorm norm)
    {
        double e1 = StepControl.Finish(sum, components, norm);
        if (!second) return e1;
        // Hairer's DOP853 combines its two estimates: ‖e₁‖² / √(‖e₁‖² + 0.01‖e₂‖²) (0 when both vanish).
        double e2Norm = StepControl.Finish(sum2, components, norm);
        double denominator = Math.Sqrt(e1 * e1 + 0.01 * e2Norm * e2Norm);
        return denominator > 0 ? e1 * e1 / denominator : 0;
    }

    /// <summary>
    /// Dense output at θ inside an accepted step of size h (not 0): the method's continuous extension where it has one
    /// (its extra stages evaluated, <see cref="ExtraStages"/>), cubic Hermite through both ends otherwise.
    /// </summary>
    public void Interpolate(double theta, double h, ReadOnlySpan<TLane> yPrev, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> fPrev,
        ReadOnlySpan<TLane> fNext, ReadOnlySpan<TLane> k, Span<TLane> result)
    {
        int n = y.Length;
        if (_tableau.Dense is { } dense)
        {
            int s = _tableau.DenseStages;
            for (int i = 0; i < s; i++)
            {
                // Horner in θ for b_i(θ) = Σ_j dense[i][j] θ^(j+1).
                double[] row = dense[i];
                double acc = 0;
                for (int j = row.Length - 1; j >= 0; j--) acc = acc * theta + row[j];
                _dense[i] = h * acc * theta;
            }
            yPrev.CopyTo(result);
            for (int i = 0; i < s; i++)
            {
                double w = _dense[i];
                if (w == 0) continue;
                TLane wl = TLane.Create(w);
                ReadOnlySpan<TLane> ki = k.Slice(i * n, n);
                for (int q = 0; q < n; q++) result[q] = result[q] + wl * ki[q];
            }
            return;
        }
        HermiteDense.Interpolate(theta, h, yPrev, fPrev, y, fNext, result);
    }

    /// <summary>
    /// The stages only the continuous extension uses (DOP853's), after a step of size h from (tPrev, yPrev) is accepted:
    /// rows Stages … DenseStages − 1 of <paramref name="k"/>. <paramref name="arg"/> is scratch.
    /// </summary>
    public void ExtraStages<TFunction>(ref TFunction f, double tPrev, double h, ReadOnlySpan<TLane> yPrev, ReadOnlySpan<TLane> fNext,
        Span<TLane> k, Span<TLane> arg) where TFunction : struct, IStageFunction<TLane>
    {
        int s = _tableau.Stages, total = _tableau.DenseStages, n = yPrev.Length;
        double[] a = _tableau.DenseStageA, c = _tableau.DenseStageC;
        for (int e = 0; e < c.Length; e++)
        {
            Span<TLane> ke = k.Slice((s + e) * n, n);
            if (e == _terms.EndpointStage)
            {
                fNext.CopyTo(ke);   // f(t + h, y_new) is known already
                continue;
            }
            yPrev.CopyTo(arg);
            for (int j = 0; j < s + e; j++)
            {
                double w = h * a[e * total + j];
                if (w == 0) continue;
                TLane wl = TLane.Create(w);
                ReadOnlySpan<TLane> kj = k.Slice(j * n, n);
                for (int q = 0; q < n; q++) arg[q] = arg[q] + wl * kj[q];
            }
            f.Evaluate(tPrev + c[e] * h, arg, ke);
        }
    }
}

/// <summary>
/// The index lists of a tableau's sums, built once per tableau (<see cref="ButcherTableau.Terms"/>) so that creating an
/// integrator allocates only its workspace: which a_ij and b_i are not zero, the terms of the fused sums, the stages
/// with b_i = 0, the dense-output stage that is f at the new point, and the stages the reverse step needs.
/// </summary>
internal sealed class RungeKuttaTerms
{
    public RungeKuttaTerms(ButcherTableau tableau)
    {
        int s = tableau.Stages;
        AIndex = new int[s][];
        ACoefficient = new double[s][];
        FusedAIndex = new int[s][];
        FusedACoefficient = new double[s][];
        // FusedFixedSteps multiplies zero weights rather than skipping them, except the classic chain shape's (four stages,
        // stage i reading stage i − 1 only), whose kernel leaves the other a_ij out: the same terms here, even a zero's sign.
        bool chain = s == FusedStepPlan.MaxStages;
        for (int i = 0; i < s; i++)
            for (int j = 0; j < i - 1; j++)
                chain &= tableau.A[i * s + j] == 0;
        for (int i = 0; i < s; i++)
        {
            AIndex[i] = Where(i, j => tableau.A[i * s + j] != 0);
            ACoefficient[i] = Coefficients(AIndex[i], j => tableau.A[i * s + j]);
            FusedAIndex[i] = chain ? Where(i, j => j == i - 1) : Where(i, _ => true);
            FusedACoefficient[i] = Coefficients(FusedAIndex[i], j => tableau.A[i * s + j]);
        }
        BIndex = Where(s, i => tableau.B[i] != 0);
        BCoefficient = Coefficients(BIndex, i => tableau.B[i]);
        FusedBIndex = Where(s, _ => true);
        ZeroWeightStages = Where(s, i => tableau.B[i] == 0);
        SmallestCoefficient = AIndex.SelectMany((row, i) => ACoefficient[i]).Concat(BCoefficient)
            .Select(Math.Abs).DefaultIfEmpty(1.0).Min();
        EndpointStage = FindEndpointStage(tableau);
        Live = new bool[s];
        for (int i = s - 1; i >= 0; i--)
        {
            bool live = tableau.B[i] != 0;
            for (int j = i + 1; j < s && !live; j++) live = Live[j] && tableau.A[j * s + i] != 0;
            Live[i] = live;
        }
        // The step's sums in one list: rows 1 … s − 1 of A, then b unless the last row of A is b (FSAL).
        int count = 0;
        for (int i = 1; i < s; i++) count += AIndex[i].Length;
        if (!tableau.IsFsal) count += BIndex.Length;
        StepIndex = new int[count];
        StepCoefficient = new double[count];
        StepStart = new int[s + 2];
        StepLatestLast = new bool[s + 1];
        int at = 0;
        for (int i = 1; i <= s; i++)
        {
            StepStart[i] = at;
            if (i == s && tableau.IsFsal) break;
            int[] index = i < s ? AIndex[i] : BIndex;
            index.CopyTo(StepIndex, at);
            (i < s ? ACoefficient[i] : BCoefficient).CopyTo(StepCoefficient, at);
            at += index.Length;
            StepLatestLast[i] = index.Length > 0 && index[^1] == i - 1;
        }
        StepStart[s + 1] = at;
    }

    /// <summary>Per stage i, the j with a_ij ≠ 0 in increasing order, and those a_ij.</summary>
    public int[][] AIndex { get; }
    public double[][] ACoefficient { get; }
    /// <summary>The i with b_i ≠ 0, and those b_i.</summary>
    public int[] BIndex { get; }
    public double[] BCoefficient { get; }
    /// <summary>The terms of FusedFixedSteps' sums: every j &lt; i (only j = i − 1 for its four-stage chain), every i.</summary>
    public int[][] FusedAIndex { get; }
    public double[][] FusedACoefficient { get; }
    public int[] FusedBIndex { get; }
    /// <summary>The smallest |a_ij| or |b_i| that is not 0 (1 when there is none): Combine's test for a product that underflows.</summary>
    public double SmallestCoefficient { get; }
    /// <summary>Stages with b_i = 0.</summary>
    public int[] ZeroWeightStages { get; }
    /// <summary>The extra dense-output stage that is f at the new point, or −1.</summary>
    public int EndpointStage { get; }
    /// <summary>Stage i feeds y_{k+1}, directly or through a later live stage (the reverse step skips the others).</summary>
    public bool[] Live { get; }
    /// <summary>
    /// The terms of every sum of a step, stage after stage (AIndex[1 …], then BIndex unless the method is FSAL), in one list for
    /// <see cref="RegisterStages"/>: sum i (stage i; i = s is the candidate) is terms StepStart[i] … StepStart[i + 1] − 1.
    /// </summary>
    public int[] StepIndex { get; }
    public double[] StepCoefficient { get; }
    public int[] StepStart { get; }
    /// <summary>Sum i's last term is stage i − 1, the one just computed (indices increase, so when it has a term, it is the last).</summary>
    public bool[] StepLatestLast { get; }

    private static int[] Where(int count, Func<int, bool> keep) => Enumerable.Range(0, count).Where(keep).ToArray();

    private static double[] Coefficients(int[] index, Func<int, double> value) => index.Select(value).ToArray();

    // The extra stage whose argument is y0 + hΣb_i k_i at c = 1 is f at the new point, which the stepper has.
    private static int FindEndpointStage(ButcherTableau t)
    {
        for (int e = 0; e < t.DenseStageC.Length; e++)
        {
            if (t.DenseStageC[e] != 1) continue;
            bool isB = true;
            for (int j = 0; j < t.DenseStages && isB; j++)
                isB = t.DenseStageA[e * t.DenseStages + j] == (j < t.Stages ? t.B[j] : 0);
            if (isB) return e;
        }
        return -1;
    }
}
