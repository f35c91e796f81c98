using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// Sees the accepted steps of a forward pass as they are taken. Two passes take one: the scalar discrete adjoint's
/// (<see cref="ObservationShell.SolveToObservations{TSystem}(IOdeIntegrator{SystemField{TSystem}}, in SystemField{TSystem}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, double[], int, IStepObserver{Lane1}?, int[], ObservedEvents?)"/>,
/// with <see cref="Lane1"/>) and a lane block's (<c>LaneBlockSolver</c>, one lane type per SIMD width). Neither knows of
/// tapes or gradients: a pass without an observer records nothing (and a lane block may fuse its fixed steps), a
/// discrete adjoint attaches its tape.
/// </summary>
internal interface IStepObserver<TLane> where TLane : unmanaged, ILane<TLane>
{
    /// <summary>Steps seen since the pass started (<see cref="Started"/>).</summary>
    int Count { get; }

    /// <summary>A pass starts: forget the previous pass's steps.</summary>
    void Started();

    /// <summary>A step from <paramref name="t"/> of signed size <paramref name="h"/> was accepted; <paramref name="yStart"/> is the state at its start.</summary>
    void Accepted(double t, double h, ReadOnlySpan<TLane> yStart);
}
