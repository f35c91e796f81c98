using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// The stages and the candidate of an explicit Runge–Kutta step computed in a system's one-lane register type
/// (<see cref="IScalarRegisters{TSelf}"/>, doubles): each stage's argument and f's result stay in
/// registers from one stage to the next, where <see cref="RungeKuttaKernel{TLane}"/> stores the argument to an array for f
/// to read back and stores f's result for the next sum to read back. <c>Ode.Solve</c> hands it to the scalar integrator
/// for small generated systems whose f is straight-line code (<see cref="IOdeFusedLaneSystem"/>).
/// </summary>
/// <remarks>
/// A deliberate copy of the kernel's <c>Stages</c> and <c>Candidate</c>, for speed: on Lorenz the kernel's six stages took
/// 59 ns of a 136 ns step, f itself 8.5 ns, the rest the memory round trips on the step's chain of dependent operations
/// (BENCHMARKS.md, 4 December 2026, afternoon and night). The arithmetic is the kernel's term for term: the same terms
/// (a_ij ≠ 0, increasing j), each weight h·a_ij rounded, each product rounded before it is added
/// (<see cref="IScalarRegisters{TSelf}.AddProduct"/>, no fused multiply-add), and f the generated Evaluate operation for
/// operation. <c>tests/OdeGen.Tests/Solvers/RegisterStagesTests.cs</c> holds it bit for bit to the kernel; change both together.
/// Every stage is still stored to its row of k (the error norm, the finiteness check and dense output read them there),
/// but off the chain: no stage reads back the row just written.
/// </remarks>
internal abstract class RegisterStages
{
    /// <summary>
    /// Systems with more states than this keep the kernel: their stages would not fit the registers anyway (the generator's
    /// register form goes up to 32 states; the gain was measured on 3).
    /// </summary>
    public const int MaxStates = 8;

    /// <summary>
    /// Methods with more stages than this keep the kernel: DOP853's twelve ran 7 % slower in registers on Lorenz (BENCHMARKS.md,
    /// 4 December 2026, night), where Dopri5's and Tsit5's seven ran 10–12 % faster.
    /// </summary>
    public const int MaxStages = 7;

    private protected RegisterStages(ButcherTableau tableau)
    {
        Tableau = tableau;
        HasStepErrorNorm = tableau.ErrorWeights is not null && tableau.SecondErrorWeights is null;
    }

    /// <summary>The method whose stages these are.</summary>
    public ButcherTableau Tableau { get; }

    /// <summary>The system's number of states.</summary>
    public abstract int StateCount { get; }

    /// <summary>
    /// Stages 1 … s − 1 of a step of size <paramref name="h"/> from (t, y) into rows 1 … s − 1 of <paramref name="k"/> (row 0
    /// holds f(t, y) already), and the candidate y + h Σ b_i k_i into <paramref name="yNew"/>, bit for bit what
    /// <see cref="RungeKuttaKernel{TLane}.Stages"/> and <see cref="RungeKuttaKernel{TLane}.Candidate"/> compute. Returns false,
    /// computing nothing, when some weight h·a_ij or h·b_i underflows to 0 (the kernel then leaves that term out; the caller
    /// takes the kernel's path for such a step). <paramref name="finite"/>: every stage and the candidate are finite (what
    /// <see cref="StepControl.AllFinite"/> of them would say, checked in registers on the way).
    /// </summary>
    public abstract bool TryStep(double t, double h, double[] y, double[] k, double[] yNew, out bool finite);

    /// <summary>
    /// True when <see cref="Solve"/> serves a solve with <paramref name="options"/>: adaptive steps of a method of at least two
    /// stages with one error estimate and no dense-only stages, wanting the end, save times, every step or the dense output
    /// (no events).
    /// </summary>
    public bool SolvesWhole(SolverOptions options) =>
        HasStepErrorNorm && Tableau.Stages >= 2 && Tableau.IsAdaptive && Tableau.DenseStageC.Length == 0 && options.FixedStep is null
        && options.Events is not { Count: > 0 };

    /// <summary>
    /// The whole solve from (t0, y0) to t1 in registers (<see cref="RegisterSteps{TState}"/>), when <see cref="SolvesWhole"/>:
    /// the state where it stopped into <paramref name="yEnd"/>, each of <see cref="SolverOptions.SaveAt"/>'s times into
    /// <paramref name="solution"/> (t0's included) as <c>Ode.Solve</c>'s loop saves them, and the status, time and work the
    /// integrator would report, bit for bit. Options and tolerances are checked as the integrator checks them.
    /// </summary>
    public abstract OdeStatus Solve(ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options, Span<double> yEnd,
        OdeSolution solution, out double time, out SolverStats stats);

    /// <summary>
    /// True when <see cref="StepErrorNorm"/> serves the method: it has one error estimate (DOP853's combination of two is left to
    /// the kernel).
    /// </summary>
    public bool HasStepErrorNorm { get; }

    /// <summary>
    /// After a <see cref="TryStep"/> that returned true, with the same h, y and yNew: the scaled error norm of that step, bit for bit
    /// <see cref="RungeKuttaKernel{TLane}.SingleErrorNorm"/>. Its error h Σ (b_i − b̂_i) k_i was summed during the step, stage by
    /// stage in registers, rather than read back from every row afterwards. Only when <see cref="HasStepErrorNorm"/>.
    /// </summary>
    public abstract double StepErrorNorm(double h, double[] y, double[] yNew, int components, double[] atol, double relTol, ErrorNorm norm);

    /// <summary>
    /// The register stages of <paramref name="system"/> for the explicit method of <paramref name="options"/> with
    /// <paramref name="parameters"/> (held by reference), or null when the system has no register form, has more than
    /// <see cref="MaxStates"/> states, or the method is not an explicit Runge–Kutta method of at most <see cref="MaxStages"/> stages.
    /// </summary>
    public static RegisterStages? For<TSystem>(in TSystem system, SolverOptions options, double[] parameters)
        where TSystem : struct, IOdeSystem
    {
        if (options.Method is not ExplicitRungeKuttaMethod || options.Method.Tableau.Stages > MaxStages || system.StateCount > MaxStates
            || system is not IOdeFusedLaneSystem)
            return null;
        var create = new Create(options.Method.Tableau, parameters);
        // Boxes the system once per solve (the call needs the interface); nothing per step.
        return ((IOdeFusedLaneSystem)system).WithScalarRegisters<Create, RegisterStages>(ref create);
    }

    private readonly struct Create(ButcherTableau tableau, double[] parameters) : IScalarRegistersAction<RegisterStages>
    {
        public RegisterStages Invoke<TState>() where TState : unmanaged, IScalarRegisters<TState> =>
            new RegisterStages<TState>(tableau, parameters);
    }
}

/// <summary><see cref="RegisterStages"/> for one system's register type.</summary>
internal sealed class RegisterStages<TState> : RegisterStages where TState : unmanaged, IScalarRegisters<TState>
{
    private readonly ButcherTableau _tableau;
    private readonly RungeKuttaTerms _terms;
    private readonly double[] _parameters;
    private readonly double[] _errorWeight;   // b_i − b̂_i (zeros unless HasStepErrorNorm: the sum is then formed and not used)
    private readonly double[] _error;        // Σ (b_i − b̂_i) k_i of the last step, one entry per state
    // The terms of every sum of a step in one list (RungeKuttaTerms.StepIndex …, the tableau's, shared by every solve).
    private readonly int[] _offset;          // where each term's stage starts among the rows: index·n (bounds checked here, once)
    private readonly double[] _coefficient;
    private readonly int[] _start;
    private readonly bool[] _latestLast;
    private readonly double[] _weight;        // h·coefficient of every term, formed at the start of each step

    public RegisterStages(ButcherTableau tableau, double[] parameters) : base(tableau)
    {
        _tableau = tableau;
        _terms = tableau.Terms;
        _parameters = parameters;
        _errorWeight = HasStepErrorNorm ? (double[])tableau.ErrorWeights!.Clone() : new double[tableau.Stages];
        _error = new double[TState.StateCount];
        _offset = _terms.StepIndex.Select(j => j * TState.StateCount).ToArray();
        // What the unchecked reads of Sum rely on.
        if (_terms.StepIndex.Any(j => (uint)j >= (uint)tableau.Stages) || _terms.StepStart[^1] > _terms.StepCoefficient.Length)
            throw new ArgumentException($"{tableau.Name}: a term of the step names a stage outside the tableau.", nameof(tableau));
        _coefficient = _terms.StepCoefficient;
        _start = _terms.StepStart;
        _latestLast = _terms.StepLatestLast;
        _weight = new double[_coefficient.Length];
        if (Unsafe.SizeOf<TState>() != TState.StateCount * sizeof(double))
            throw new ArgumentException($"{typeof(TState).Name} is not {TState.StateCount} doubles.", nameof(TState));
        int s = tableau.Stages;
        for (int i = 0; i < s; i++)
        {
            for (int j = 0; j < i; j++) A7[i * MaxStages + j] = tableau.A[i * s + j];
            B7[i] = tableau.B[i];
            C7[i] = tableau.C[i];
            E7[i] = _errorWeight[i];
        }
        Shape = ShapeOf(tableau);
    }

    // The shape whose stage count and zeros are the tableau's exactly (a weight that underflows is tested at run time).
    private static StageShape ShapeOf(ButcherTableau tableau)
    {
        if (Fits<Dopri5Shape>(tableau)) return StageShape.Dopri5;
        if (Fits<Tsit5Shape>(tableau)) return StageShape.Tsit5;
        if (Fits<Bs3Shape>(tableau)) return StageShape.BogackiShampine3;
        return StageShape.Any;
    }

    private static bool Fits<TShape>(ButcherTableau tableau) where TShape : struct, IStageShape
    {
        int s = tableau.Stages;
        if (TShape.IsFsal(false) != tableau.IsFsal) return false;
        for (int i = 1; i < MaxStages; i++)
        {
            if (TShape.HasStage(i, int.MaxValue) != i < s) return false;
            for (int j = 0; j < i && i < s; j++)
                if (TShape.LeavesOut(i, j, 1.0) != (tableau.A[i * s + j] == 0)) return false;
        }
        return true;
    }

    public override int StateCount => TState.StateCount;

    /// <summary>The kernel whose continuous extension <see cref="RegisterSteps{TState}"/> saves with (one place for it).</summary>
    public RungeKuttaKernel<Lane1> Kernel => _kernel ??= new RungeKuttaKernel<Lane1>(_tableau);
    private RungeKuttaKernel<Lane1>? _kernel;

    /// <summary>The parameters f reads (held by reference).</summary>
    public double[] Parameters => _parameters;

    /// <summary>
    /// The tableau for <see cref="RegisterSteps{TState}"/>, padded with zeros to <see cref="RegisterStages.MaxStages"/> stages:
    /// a_ij (row-major, MaxStages × MaxStages), b_i, c_i and the error weights e_i (read without bounds checks there).
    /// </summary>
    public readonly double[] A7 = new double[MaxStages * MaxStages], B7 = new double[MaxStages], C7 = new double[MaxStages], E7 = new double[MaxStages];

    /// <summary>Which of <see cref="RegisterSteps{TState}"/>'s compile-time shapes the tableau has (its stages and zero a_ij).</summary>
    public StageShape Shape { get; }

    public override OdeStatus Solve(ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options, Span<double> yEnd,
        OdeSolution solution, out double time, out SolverStats stats)
    {
        if (!SolvesWhole(options)) throw new ArgumentException("These options need the integrator (events or fixed steps).", nameof(options));
        if (y0.Length != TState.StateCount || yEnd.Length != TState.StateCount)
            throw new ArgumentException($"Expected states of length {TState.StateCount}.", nameof(y0));
        StepControl.ValidateOptions(options);
        double[] atol = StepControl.AbsoluteTolerances(options, TState.StateCount);
        return RegisterSteps<TState>.Run(this, options, atol, y0, t0, t1, yEnd, solution, out time, out stats);
    }

    public override bool TryStep(double t, double h, double[] y, double[] k, double[] yNew, out bool finite)
    {
        // The kernel's test for a product that underflows (rounding is monotonic: when the smallest weight survives, all do).
        finite = false;
        if (Math.Abs(h) * _terms.SmallestCoefficient == 0) return false;
        int s = _tableau.Stages, n = TState.StateCount;
        Span<double> rows = k.AsSpan(0, s * n);
        ReadOnlySpan<double> p = _parameters;
        double[] c = _tableau.C;
        // Every weight h·a_ij (h·b_i) of the step first, the same products the kernel forms term by term: off the chain of
        // stages, and h need not stay in a register through the sums (the JIT spilled it, and reloaded it for every term).
        double[] w = FormWeights(h);
        TState y0 = TState.Load(y.AsSpan(0, n));
        TState last = TState.Load(rows.Slice(0, n));   // f(t, y): stage 0
        TState arg = y0;
        // The error Σ e_i k_i in stage order, every stage (zero weights too: 0·∞ is NaN), from 0 as the kernel's norm starts.
        double[] e = _errorWeight;
        // Formed unconditionally (zero weights when unused): under a condition, the JIT stored and reloaded it at every stage.
        TState err = TState.AddProduct(default, e[0], last);
        double bad = TState.NonFinite(last);   // Σ (v − v) over the stages and the candidate: 0 when all are finite, NaN otherwise
        for (int i = 1; i < s; i++)
        {
            arg = Sum(y0, rows, last, _start[i], _start[i + 1], _latestLast[i], w, _offset);
            last = TState.Derivative(t + c[i] * h, arg, p);
            TState.Store(last, rows.Slice(i * n, n));
            err = TState.AddProduct(err, e[i], last);
            bad += TState.NonFinite(last);
        }
        // FSAL methods: the last stage's argument is the candidate.
        if (!_tableau.IsFsal) arg = Sum(y0, rows, last, _start[s], _start[s + 1], _latestLast[s], w, _offset);
        TState.Store(arg, yNew.AsSpan(0, n));
        if (HasStepErrorNorm) TState.Store(err, _error);
        finite = bad + TState.NonFinite(arg) == 0;
        return true;
    }

    public override double StepErrorNorm(double h, double[] y, double[] yNew, int components, double[] atol, double relTol, ErrorNorm norm)
    {
        if (!HasStepErrorNorm) throw new InvalidOperationException($"{_tableau.Name}: the kernel computes this error norm.");
        if ((uint)components > (uint)TState.StateCount || y.Length < components || yNew.Length < components || atol.Length < components)
            throw new ArgumentException("The states or tolerances do not cover the components of the error norm.", nameof(components));
        return Norm(h, y, yNew, _error, components, atol, relTol, norm);
    }

    /// <summary>
    /// The accumulator of <see cref="StepErrorNorm"/> (<see cref="StepControl.Accumulate"/> over every component; its
    /// <see cref="StepControl.Finish"/> is the norm) of a step whose state, candidate and error sum Σ e_i k_i are registers
    /// (<see cref="RegisterSteps{TState}"/>, which hands it to <see cref="StepSizeController.DecideAccumulated"/>): the norm's
    /// division and root are then taken only where the controller needs the error itself, not on the way to the next step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double RegisterErrorAccumulator(double h, in TState y, in TState yNew, in TState error, double[] atol, double relTol, ErrorNorm norm)
    {
        // Copies, so that only they go to memory to be read as spans (the originals stay in registers). Written out on the
        // registers instead (generated element-wise operations), the norm measured 1–2 % slower.
        TState yc = y, yNewc = yNew, errorc = error;
        int n = TState.StateCount;
        return Accumulator(h, Doubles(ref yc, n), Doubles(ref yNewc, n), Doubles(ref errorc, n), n, atol, relTol, norm);
    }

    // The fields of a register value as doubles (the constructor checked that it is StateCount doubles).
    private static ReadOnlySpan<double> Doubles(ref TState value, int n) => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TState, double>(ref value), n);

    // The kernel's RegisterSums and Finish for one lane and one estimate, operation for operation (Lane1's operations are these).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Norm(double h, ReadOnlySpan<double> y, ReadOnlySpan<double> yNew, ReadOnlySpan<double> error, int components,
        double[] atol, double relTol, ErrorNorm norm) =>
        StepControl.Finish(Accumulator(h, y, yNew, error, components, atol, relTol, norm), components, norm);

    // The kernel's RegisterSums for one lane and one estimate: the norm before its Finish.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Accumulator(double h, ReadOnlySpan<double> y, ReadOnlySpan<double> yNew, ReadOnlySpan<double> error, int components,
        double[] atol, double relTol, ErrorNorm norm)
    {
        bool max = norm == ErrorNorm.Max;
        double sum = 0;
        for (int q = 0; q < components; q++)
        {
            double scale = atol[q] + relTol * Math.Max(Math.Abs(y[q]), Math.Abs(yNew[q]));
            double se = h * error[q] / scale;
            sum = max ? Math.Max(sum, Math.Abs(se)) : sum + se * se;
        }
        return sum;
    }

    // A call of its own: inlined, its loop counter was spilled to the stack and reloaded at every term.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private double[] FormWeights(double h)
    {
        double[] w = _weight;
        ReadOnlySpan<double> coefficient = _coefficient.AsSpan(0, w.Length);
        for (int q = 0; q < w.Length; q++) w[q] = h * coefficient[q];
        return w;
    }

    // y + Σ_t weight_t·k_{index_t} over terms from … to − 1, in increasing index order (the kernel's Sum): the earlier stages
    // from their rows (stored at least one stage ago), the stage just computed, when it has a term (the last), from the
    // register it was computed in. Unchecked reads: rows holds all s stages (TryStep sliced it), every offset + n is within
    // s·n and every term within the weights (the constructor checked the tableau's terms); with the checks, the term loop ran
    // about twice the instructions of its arithmetic, on a step that is as much throughput- as latency-bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TState Sum(TState y, Span<double> rows, TState last, int from, int to, bool latestLast, double[] weight, int[] offset)
    {
        int n = TState.StateCount;
        ref double row0 = ref MemoryMarshal.GetReference(rows);
        ref double w = ref MemoryMarshal.GetArrayDataReference(weight);
        ref int o = ref MemoryMarshal.GetArrayDataReference(offset);
        TState acc = y;
        int end = latestLast ? to - 1 : to;
        for (int t = from; t < end; t++)
            acc = TState.AddProduct(acc, Unsafe.Add(ref w, t), TState.Load(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref row0, Unsafe.Add(ref o, t)), n)));
        if (latestLast) acc = TState.AddProduct(acc, Unsafe.Add(ref w, end), last);
        return acc;
    }
}
