using System.Runtime.CompilerServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// The accepted steps of one block for its discrete adjoint: start time, the size the stages used, start state (all lanes)
/// and the arguments of the step's live stages after the first (the states f was evaluated at, <see cref="RungeKuttaTerms.Live"/>),
/// so that the reverse sweep takes its VJPs at the forward pass's own stage arguments instead of forming them again with
/// fresh evaluations of f. Owned by one worker and reused across its blocks, so it grows to the longest block and then
/// stops allocating. The block solver fills it as the observer of its accepted steps, writing each attempt's stage
/// arguments into the next entry (<see cref="PendingStage"/>), which an accepted step keeps and a rejected one overwrites.
/// </summary>
/// <remarks>
/// For a system that implements <see cref="IOdeLaneSystemKept"/> the tape also keeps, beside each kept stage argument, the
/// primal values the stage's evaluation computed for the reverse sweep (<see cref="PendingKept"/>; an MLP's activations),
/// so that the reverse sweep's VJPs read them instead of computing them again, and stage 0's from the evaluation of f at the
/// step's start (<see cref="StartKept"/>, <see cref="CandidateKept"/>). That memory grows with steps × (kept stages + 1) ×
/// <see cref="IOdeLaneSystemKept.KeptCount"/> × registers lane values; it is bounded by the problem's
/// <see cref="EnsembleOptions.KeptBytes"/>: the first <see cref="KeptSteps"/> steps of a block keep them, later ones are
/// reversed by computing them again (the same bits either way).
/// </remarks>
internal sealed class LaneTape<TLane> : IStepObserver<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly int _n, _rows;       // lane values of one state (registers × n); stage arguments kept per step
    private readonly int[] _slot;         // stage i's row among a step's kept arguments, or −1 (stage 0: the start state; dead stages)
    private const int InitialSteps = 16;   // a worker is created per call: start small, double as the longest block needs
    private double[] _t = new double[InitialSteps], _h = new double[InitialSteps];
    private TLane[] _y, _stages;
    private readonly int _keptPerStage, _keptSteps;   // lane values kept per stage (registers × KeptCount); steps that keep them
    private readonly int _keptRows;       // kept rows per step: the live stages after the first, then stage 0's
    private readonly double _c0;          // stage 0's node: its VJP is taken at t + c0·h
    private TLane[] _kept = [];
    private bool[] _startKept = new bool[InitialSteps];   // whether step k's stage-0 row holds values from f at (t_k, y_k)
    // The values of the evaluation of f at the current point (a restart's, or the last accepted step's last stage or end
    // point) and of the attempt's end point, each with the time f was evaluated at; they become a step's stage-0 row.
    private TLane[] _current = [], _candidate = [];
    private double _currentTime, _candidateTime;
    private bool _currentValid, _candidateValid;

    /// <param name="stateCount">Lane values of one state (registers × n).</param>
    /// <param name="tableau">The method.</param>
    /// <param name="keptPerStage">Lane values an evaluation keeps for the reverse sweep (registers × KeptCount), 0 for none.</param>
    /// <param name="keptBytes">Most bytes those may take (<see cref="EnsembleOptions.KeptBytes"/>).</param>
    public LaneTape(int stateCount, ButcherTableau tableau, int keptPerStage = 0, long keptBytes = 0)
    {
        _n = stateCount;
        bool[] live = tableau.Terms.Live;
        _slot = new int[tableau.Stages];
        _slot[0] = -1;
        for (int i = 1; i < _slot.Length; i++) _slot[i] = live[i] ? _rows++ : -1;
        _y = new TLane[InitialSteps * Math.Max(stateCount, 1)];
        _stages = new TLane[InitialSteps * Math.Max(_rows * stateCount, 1)];
        _c0 = tableau.C[0];
        _keptRows = _rows + 1;
        long perStep = (long)_keptRows * keptPerStage * Unsafe.SizeOf<TLane>();
        if (perStep > 0 && keptBytes > 0)
        {
            _keptPerStage = keptPerStage;
            _keptSteps = (int)Math.Min(keptBytes / perStep, int.MaxValue / Math.Max(_keptRows * keptPerStage, 1));
            if (_keptSteps > 0)
            {
                _current = new TLane[keptPerStage];
                _candidate = new TLane[keptPerStage];
            }
        }
    }

    /// <summary>How many steps of a block keep their primal values (the first ones; 0 when the system keeps none).</summary>
    public int KeptSteps => _keptSteps;

    /// <summary>Lane values one stage keeps (registers × KeptCount), or 0.</summary>
    public int KeptPerStage => _keptPerStage;

    /// <summary>
    /// Where the primal values of stage <paramref name="stage"/> of the step being attempted go, or an empty span when that
    /// stage keeps none (stage 0, dead stages, a system without <see cref="IOdeLaneSystemKept"/>, a step past the budget).
    /// </summary>
    public Span<TLane> PendingKept(int stage)
    {
        int row = _slot[stage];
        if (row < 0 || Count >= _keptSteps) return default;
        EnsureKeptRoom();
        return _kept.AsSpan((Count * _keptRows + row) * _keptPerStage, _keptPerStage);
    }

    private void EnsureKeptRoom()
    {
        int need = (Count + 1) * _keptRows * _keptPerStage;
        if (_kept.Length < need)
            Array.Resize(ref _kept, (int)Math.Min(Math.Max(2L * need, InitialSteps * (long)_keptRows * _keptPerStage), (long)_keptSteps * _keptRows * _keptPerStage));
    }

    /// <summary>
    /// Where f's evaluation at the current point (time <paramref name="t"/>: a start or restart) writes its kept values, or an
    /// empty span when nothing is kept; they become the stage-0 row of the step taken from there.
    /// </summary>
    public Span<TLane> StartKept(double t)
    {
        if (_current.Length == 0) return default;
        _currentTime = t;
        _currentValid = true;
        return _current;
    }

    /// <summary>
    /// Where f's evaluation at the end point of the step being attempted (time <paramref name="t"/>: an FSAL method's last
    /// stage, or a non-FSAL method's endpoint derivative) writes its kept values, or an empty span; they become the stage-0
    /// row of the next step if this attempt is accepted.
    /// </summary>
    public Span<TLane> CandidateKept(double t)
    {
        if (_candidate.Length == 0) return default;
        _candidateTime = t;
        _candidateValid = true;
        return _candidate;
    }

    /// <summary>A new attempt starts: the last attempt's end-point values no longer count.</summary>
    public void BeginAttempt() => _candidateValid = false;

    public int Count { get; private set; }

    public void Started()
    {
        Count = 0;
        _currentValid = _candidateValid = false;
    }

    /// <summary>
    /// Where stage <paramref name="stage"/>'s argument of the step being attempted goes (the entry after the last kept one),
    /// or an empty span for a stage the reverse sweep does not evaluate at.
    /// </summary>
    public Span<TLane> PendingStage(int stage)
    {
        int row = _slot[stage];
        if (row < 0) return default;
        EnsureRoom();
        return _stages.AsSpan((Count * _rows + row) * _n, _n);
    }

    public void Accepted(double t, double h, ReadOnlySpan<TLane> y)
    {
        EnsureRoom();
        _t[Count] = t;
        _h[Count] = h;
        y.CopyTo(_y.AsSpan(Count * _n, _n));
        if (Count < _keptSteps)
        {
            // Stage 0's VJP is taken at (t + c0·h, y_k): the values of f at the current point serve if f was evaluated at
            // that time (bit for bit; y_k is the point they were computed at: a restart's state or the last candidate).
            _startKept[Count] = _currentValid && BitConverter.DoubleToInt64Bits(_currentTime) == BitConverter.DoubleToInt64Bits(t + _c0 * h);
            if (_startKept[Count])
            {
                EnsureKeptRoom();
                _current.CopyTo(_kept.AsSpan((Count * _keptRows + _rows) * _keptPerStage, _keptPerStage));
            }
        }
        (_current, _candidate) = (_candidate, _current);
        _currentTime = _candidateTime;
        _currentValid = _candidateValid;
        _candidateValid = false;
        Count++;
    }

    private void EnsureRoom()
    {
        if (Count < _t.Length) return;
        Array.Resize(ref _t, 2 * Count);
        Array.Resize(ref _h, 2 * Count);
        Array.Resize(ref _startKept, 2 * Count);
        Array.Resize(ref _y, 2 * Count * Math.Max(_n, 1));
        Array.Resize(ref _stages, 2 * Count * Math.Max(_rows * _n, 1));
    }

    public double Time(int k) => _t[k];
    public double Size(int k) => _h[k];
    public ReadOnlySpan<TLane> State(int k) => _y.AsSpan(k * _n, _n);

    /// <summary>Step k's kept stage arguments, row <see cref="Slots"/>[i] for stage i.</summary>
    public ReadOnlySpan<TLane> Stages(int k) => _stages.AsSpan(k * _rows * _n, _rows * _n);

    /// <summary>Step k's kept primal values, row <see cref="Slots"/>[i] (of <see cref="KeptPerStage"/>) for stage i; empty for a step that keeps none.</summary>
    public ReadOnlySpan<TLane> Kept(int k) => k < _keptSteps ? _kept.AsSpan(k * _keptRows * _keptPerStage, _rows * _keptPerStage) : default;

    /// <summary>Step k's stage-0 kept values (f at its start), or an empty span where they were not kept.</summary>
    public ReadOnlySpan<TLane> KeptStart(int k) =>
        k < _keptSteps && _startKept[k] ? _kept.AsSpan((k * _keptRows + _rows) * _keptPerStage, _keptPerStage) : default;

    /// <summary>The row of stage i among a step's kept arguments, or −1.</summary>
    public ReadOnlySpan<int> Slots => _slot;
}
