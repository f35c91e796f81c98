using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// The reverse of one explicit Runge–Kutta step for every lane of a block: the shared <see cref="RungeKuttaReverse{TLane}"/>
/// (the scalar discrete adjoint's pull-back, same order of operations) with <see cref="IOdeLaneSystem.VjpLanes{TLane}"/> at
/// the stage arguments the block's tape kept (<see cref="LaneTape{TLane}"/>: the forward pass's own, so no stage is
/// evaluated again). Only ∂L/∂y and ∂L/∂θ are propagated (the ensemble's times are not differentiated).
/// </summary>
internal sealed class LaneReverseStep<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly RungeKuttaReverse<TLane> _reverse;
    private Stages _stages;

    public LaneReverseStep(in TSystem system, ButcherTableau tableau, int stateCount, int parameterCount, int registers)
    {
        _reverse = new RungeKuttaReverse<TLane>(tableau, stateCount * registers);
        _stages = new Stages(system, stateCount, parameterCount, registers, this, tableau.Terms.Live);
    }

    /// <summary>
    /// Lane values one stage keeps for the reverse sweep when <typeparamref name="TSystem"/> implements
    /// <see cref="IOdeLaneSystemKept"/> (registers × KeptCount), else 0: the size of a <see cref="LaneTape{TLane}"/>'s kept rows.
    /// </summary>
    public static int KeptPerStage(in TSystem system, int registers) => system is IOdeLaneSystemKept kept ? registers * kept.KeptCount : 0;

    /// <summary>Lane evaluations and VJPs done so far.</summary>
    public long Evaluations, Vjps;

    /// <summary>
    /// Reverses step <paramref name="k"/> of <paramref name="tape"/> at the stage arguments it kept (VJPs only, no evaluation
    /// of f): λ = ∂L/∂y_{k+1} in, ∂L/∂y_k out; adds ∂L/∂θ of every lane to <paramref name="pBar"/>.
    /// </summary>
    public void Reverse(LaneTape<TLane> tape, int k, ReadOnlySpan<TLane> p, Span<TLane> lambda, Span<TLane> pBar)
    {
        _stages.Start(tape, k);
        _reverse.ReverseAt(ref _stages, tape.Time(k), tape.Size(k), tape.State(k), tape.Stages(k), tape.Slots, p, lambda, pBar);
    }

    // f and the VJP of every register of the block (one lane evaluation counted per call, whatever the registers). Where the
    // tape kept step k's primal values, a stage's VJP reads them (VjpKeptLanes, VjpLanes's bits). RungeKuttaReverse's pull-back
    // takes the live stages' VJPs from the last down to stage 0, once each, so the n-th VJP of a step is the n-th live stage
    // from the top: Start sets the count, each Vjp steps it down (KeptLanesTests hold the gradient to the recomputing path bit for bit).
    private struct Stages(TSystem system, int n, int m, int registers, LaneReverseStep<TSystem, TLane> owner, bool[] live) : IStageAdjoint<TLane>
    {
        private readonly TSystem _system = system;
        private readonly IOdeLaneSystemKept? _keptSystem = system as IOdeLaneSystemKept;   // boxed once, when the system keeps values
        private LaneTape<TLane>? _tape;
        private int _step, _stage;

        public void Start(LaneTape<TLane> tape, int k)
        {
            _tape = tape;
            _step = k;
            _stage = live.Length;
        }

        public static bool DifferentiatesTime => false;

        public void Evaluate(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        {
            owner.Evaluations++;
            for (int g = 0; g < registers; g++)
                _system.EvaluateLanes(t, y.Slice(g * n, n), p.Slice(g * m, m), dydt.Slice(g * n, n));
        }

        public double Vjp(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        {
            owner.Vjps++;
            do _stage--; while (_stage > 0 && !live[_stage]);
            LaneTape<TLane>? tape = _tape;
            ReadOnlySpan<TLane> values = tape is null ? default
                : _stage == 0 ? tape.KeptStart(_step)
                : tape.Kept(_step) is { IsEmpty: false } rows ? rows.Slice(tape.Slots[_stage] * tape.KeptPerStage, tape.KeptPerStage) : default;
            if (!values.IsEmpty)
            {
                int share = values.Length / registers;
                IOdeLaneSystemKept system = _keptSystem!;
                for (int g = 0; g < registers; g++)
                    system.VjpKeptLanes(t, y.Slice(g * n, n), p.Slice(g * m, m), values.Slice(g * share, share), a.Slice(g * n, n), yBar.Slice(g * n, n), pBar.Slice(g * m, m));
                return 0;
            }
            for (int g = 0; g < registers; g++)
                _system.VjpLanes(t, y.Slice(g * n, n), p.Slice(g * m, m), a.Slice(g * n, n), yBar.Slice(g * n, n), pBar.Slice(g * m, m));
            return 0;
        }
    }
}
