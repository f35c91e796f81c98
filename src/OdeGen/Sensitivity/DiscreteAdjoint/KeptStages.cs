using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// What the discrete adjoint's forward pass keeps of each evaluation of f for its reverse sweep, for a system that can
/// (<see cref="IOdeSystemKept"/>: the ODE-Net's batch keeps its convolutions' outputs): one row of
/// <see cref="IOdeSystemKept.KeptCount"/> doubles per live stage of every accepted step, within a budget of bytes
/// (<see cref="DiscreteAdjointSensitivity.KeptBytes"/>). The reverse step then takes each live stage's f and VJP from its row
/// (<see cref="IOdeSystemKept.EvaluateFromKept"/>, <see cref="IOdeSystemKept.VjpKept"/>) instead of evaluating f twice more
/// (once to form the stages, once inside the VJP). Steps past the budget, and any row whose evaluation cannot be matched to
/// its stage, are recomputed as without it: the same bits either way. The scalar twin of the lanes' <c>LaneTape</c>.
/// </summary>
/// <remarks>
/// <para>Which evaluation is which stage. The forward integrator calls f in a fixed order that the field
/// (<see cref="KeepingField{TSystem}"/>) and the interval loop (<see cref="KeepingIntervals{TSystem}"/>) follow: after a restart,
/// once at the start (stage 0 of the next step; any further evaluation before the first attempt chooses the first step and is
/// not kept); then every attempt of a step evaluates stages 1 … s − 1 in order, and, without FSAL, f at the candidate (fixed
/// steps only: they never retry, so an attempt is always s evaluations). The last stage of an FSAL method (dead in the reverse
/// sweep: Dopri5's, Tsit5's) and a non-FSAL method's end-point evaluation are f at the next step's start: they fill that step's
/// stage-0 row (the last step of a run has no end-point evaluation: no step follows it). A rejected attempt's rows are overwritten by the next attempt's. When a step is accepted, each of its rows
/// counts only if it was evaluated at exactly that stage's time, t + c_i·h (bit for bit), else the reverse sweep recomputes that
/// stage; so a broken assumption costs time, never a wrong gradient. Methods that could retry an attempt with a different
/// number of evaluations (adaptive, neither FSAL nor with a dead last stage) keep nothing.</para>
/// <para>Rows are arrays of their own, allocated when first written and kept for the next call (the workspace's life), so after
/// the longest pass nothing is allocated; each row is KeptCount doubles (for the ODE-Net's batch of 128 at 16 channels, 1.6 MB).</para>
/// </remarks>
internal sealed class KeptStages
{
    private readonly int _length, _rows, _period, _stages, _maxSteps;
    private readonly int[] _row;      // row of stage i among a step's kept rows (live stages in order), or −1
    private readonly double[] _c;
    private readonly bool _fsal;
    private double[]?[] _data = [];  // row k·_rows + r
    private double[] _times = [];    // when that row was evaluated; NaN: not written in this pass
    private bool[] _valid = [];      // whether that row belongs to its accepted step's stage
    private int _count, _position, _cursorStep, _cursorRow;
    private bool _atStart, _inStep;

    private KeptStages(ButcherTableau tableau, int length, int maxSteps)
    {
        _length = length;
        _stages = tableau.Stages;
        _fsal = tableau.IsFsal;
        _period = _fsal ? _stages - 1 : _stages;
        _c = tableau.C;
        bool[] live = tableau.Terms.Live;
        _row = new int[_stages];
        for (int i = 0; i < _stages; i++) _row[i] = live[i] ? _rows++ : -1;
        _maxSteps = maxSteps;
    }

    /// <summary>
    /// The record for a pass of <paramref name="tableau"/> over a system that keeps <paramref name="keptCount"/> doubles an
    /// evaluation, within <paramref name="keptBytes"/>; null when nothing would be kept (no kept values, no budget for one step,
    /// or a method whose evaluations cannot be matched to stages, see the remarks).
    /// </summary>
    public static KeptStages? Create(ButcherTableau tableau, bool fixedStep, int keptCount, long keptBytes)
    {
        if (keptCount <= 0 || keptBytes <= 0 || tableau.Stages < 2) return null;
        bool[] live = tableau.Terms.Live;
        // FSAL with a dead last stage: an attempt is always s − 1 evaluations. Otherwise only fixed steps (s evaluations, no retries).
        if (!(tableau.IsFsal ? !live[tableau.Stages - 1] : fixedStep) || !live[0]) return null;
        int rows = 0;
        foreach (bool l in live) rows += l ? 1 : 0;
        long perStep = (long)rows * keptCount * sizeof(double);
        long steps = keptBytes / perStep;
        return steps < 1 ? null : new KeptStages(tableau, keptCount, (int)Math.Min(steps, int.MaxValue / rows));
    }

    /// <summary>Steps whose rows fit the budget (the first ones of a pass).</summary>
    public int MaxSteps => _maxSteps;

    /// <summary>Doubles one row holds.</summary>
    public int RowLength => _length;

    /// <summary>Bytes held: the rows allocated so far (the longest pass's, within the budget) and their bookkeeping.</summary>
    public long HeldBytes
    {
        get
        {
            long bytes = (sizeof(double) + sizeof(double) + sizeof(bool)) * (long)_times.Length;
            foreach (double[]? row in _data) bytes += row is null ? 0 : sizeof(double) * (long)row.Length;
            return bytes;
        }
    }

    /// <summary>A pass starts: nothing is kept yet.</summary>
    public void Started()
    {
        _count = 0;
        _times.AsSpan().Fill(double.NaN);
        _valid.AsSpan().Clear();
        _atStart = _inStep = false;
    }

    /// <summary>The integrator is about to restart: its next evaluation is f at the start of the next step.</summary>
    public void BeginInterval()
    {
        _atStart = true;
        _inStep = false;
    }

    /// <summary>The integrator is about to take a step (one or more attempts).</summary>
    public void BeginStep()
    {
        _atStart = false;
        _inStep = true;
        _position = 0;
    }

    /// <summary>Where the evaluation of f the integrator makes now, at time <paramref name="t"/>, keeps its values, or an empty span.</summary>
    public Span<double> Next(double t)
    {
        if (_atStart)
        {
            _atStart = false;
            return Row(_count, 0, t);
        }

        if (!_inStep) return default;   // choosing the first step
        int stage = _position + 1;
        _position = stage == _period ? 0 : stage;
        if (stage < _stages && _row[stage] >= 0) return Row(_count, _row[stage], t);
        // The FSAL method's dead last stage, or the end-point evaluation: f at the next step's start.
        return stage == _stages - 1 && _fsal || stage == _stages ? Row(_count + 1, 0, t) : default;
    }

    // Row r of step k, stamped with the time of the evaluation about to fill it; empty past the budget.
    private Span<double> Row(int k, int r, double t)
    {
        if (k >= _maxSteps) return default;
        int index = k * _rows + r;
        if (index >= _times.Length)
        {
            int length = (int)Math.Min(Math.Max(2L * (index + 1), 4L * _rows), (long)_maxSteps * _rows);
            int old = _times.Length;
            Array.Resize(ref _data, length);
            Array.Resize(ref _times, length);
            Array.Resize(ref _valid, length);
            _times.AsSpan(old).Fill(double.NaN);
        }

        _times[index] = t;
        return (_data[index] ??= new double[_length]);
    }

    /// <summary>Step <paramref name="k"/> (from <paramref name="t"/>, size <paramref name="h"/>) was accepted: its rows count where they were evaluated at their stage's time.</summary>
    public void Accepted(int k, double t, double h)
    {
        _count = k + 1;
        if (k >= _maxSteps) return;
        for (int i = 0; i < _stages; i++)
        {
            int r = _row[i];
            if (r < 0) continue;
            int index = k * _rows + r;
            _valid[index] = index < _times.Length && BitConverter.DoubleToInt64Bits(_times[index]) == BitConverter.DoubleToInt64Bits(t + _c[i] * h);
        }
    }

    /// <summary>The reverse sweep is about to reverse step <paramref name="k"/>: its live stages' f (in order) and VJPs (in reverse order) follow.</summary>
    public void Reversing(int k)
    {
        _cursorStep = k;
        _cursorRow = 0;
    }

    /// <summary>The row of the next live stage whose f the reverse step forms (ascending), or empty where it must be evaluated.</summary>
    public ReadOnlySpan<double> NextEvaluation() => Kept(_cursorStep, _cursorRow++);

    /// <summary>The row of the next live stage whose VJP the reverse step takes (descending), or empty where it must be recomputed.</summary>
    public ReadOnlySpan<double> NextVjp() => Kept(_cursorStep, --_cursorRow);

    private ReadOnlySpan<double> Kept(int k, int r)
    {
        if (k >= _maxSteps || (uint)r >= (uint)_rows) return default;
        int index = k * _rows + r;
        return index < _valid.Length && _valid[index] ? _data[index] : default;
    }
}

/// <summary>
/// The discrete adjoint's forward field when it keeps stage values: f as <see cref="SystemField{TSystem}"/> evaluates it,
/// through <see cref="IOdeSystemKept.EvaluateKeeping"/> (the same bits) where <see cref="KeptStages.Next"/> gives a row.
/// </summary>
internal readonly struct KeepingField<TSystem>(TSystem system, double[] parameters, KeptStages keeper) : IVectorField
    where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system = system;

    public int Dimension => _system.StateCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        Span<double> kept = keeper.Next(t);
        if (kept.IsEmpty) _system.Evaluate(t, y, parameters, dydt);
        else KeptCalls<TSystem>.EvaluateKeeping(_system, t, y, parameters, dydt, kept);
    }
}

/// <summary>
/// An interval of the discrete adjoint's forward pass as one restarted run (the steps of <see cref="PlainIntervals{TField}"/>),
/// telling the <see cref="KeptStages"/> when the integrator restarts and when it steps, and the tape (and the events that only
/// observe the solution, if any) every accepted step.
/// </summary>
internal readonly struct KeepingIntervals<TSystem>(IStepObserver<Lanes.Lane1> tape, KeptStages keeper, ObservedEvents? events) : IIntervalRun<KeepingField<TSystem>>
    where TSystem : struct, IOdeSystem
{
    public ReadOnlySpan<double> End(IOdeIntegrator<KeepingField<TSystem>> integrator) => integrator.State;

    public OdeStatus Run(IOdeIntegrator<KeepingField<TSystem>> integrator, in KeepingField<TSystem> field, ReadOnlySpan<double> start, double from, double to,
        ref DenseObservations observations)
    {
        keeper.BeginInterval();
        integrator.Reset(field, start, from, to);
        while (true)
        {
            keeper.BeginStep();
            if (!integrator.Step()) break;
            // As PlainIntervals: the h the stages used.
            tape.Accepted(integrator.PreviousTime, integrator.LastStep, System.Runtime.InteropServices.MemoryMarshal.Cast<double, Lanes.Lane1>(integrator.PreviousState));
            events?.Stepped(integrator);
            observations.Through(integrator, integrator.Time, inclusive: true);
        }

        return integrator.Status;
    }
}
