using System.ComponentModel;
using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// Lane dynamics that can also run fixed Runge–Kutta steps fused: every stage of a step computed in registers
/// (<see cref="ILaneRegisters{TSelf, TLane}"/>), f inlined into the stepper. The generator implements it for
/// straight-line dynamics (no loops left after unrolling) with constant state indices; <see cref="Ode.Solve{TSystem}(in TSystem, EnsembleBatch, double, double, SolverOptions?, EnsembleOptions?)"/>
/// uses it for fixed-step explicit methods of up to four stages (Euler, Midpoint, Heun, RK4) unless
/// <see cref="EnsembleOptions.FusedSteps"/> is off.
/// </summary>
// Public because generated code in the user's assembly implements or calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IOdeFusedLaneSystem : IOdeLaneSystem
{
    /// <summary>
    /// Advances every register of <paramref name="y"/> (register g's states at <c>y[g·n .. g·n + n)</c>, its
    /// parameters at <c>p[g·m .. g·m + m)</c>) by <paramref name="steps"/> steps of <paramref name="plan"/>, the
    /// first of them fixed step number <paramref name="firstStep"/> (step k starts at t0 + k·h). Returns Σ (v − v) over
    /// the final states: NaN in a lane that met a non-finite value anywhere in the run (it stays in the state), 0 elsewhere.
    /// </summary>
    TLane FusedFixedSteps<TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>
    /// Calls <paramref name="action"/> with this system's one-trajectory register type (<c>ScalarRegisters</c>, doubles): how the
    /// runtime, generic over the system only, reaches the type in which <c>Ode.Solve</c> computes the stages of an explicit
    /// Runge–Kutta step without storing them between f and the sums.
    /// </summary>
    TResult WithScalarRegisters<TAction, TResult>(ref TAction action)
        where TAction : struct, IScalarRegistersAction<TResult>;
}
