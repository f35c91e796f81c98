using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// Sees the accepted steps of a lane block as the block solver takes them — the lane twin of the scalar discrete
/// adjoint's forward loop, which records each step the integrator accepted (<c>while (forward.Step()) tape.Add(…)</c>).
/// The block solver knows nothing of tapes or gradients: a solve without an observer records nothing (and may fuse its
/// fixed steps), a gradient's worker attaches its <see cref="LaneTape{TLane}"/>.
/// </summary>
internal interface ILaneStepObserver<TLane> where TLane : unmanaged, ILane<TLane>
{
    /// <summary>Steps seen since the block started (<see cref="Started"/>).</summary>
    int Count { get; }

    /// <summary>A block starts: forget the previous block's steps.</summary>
    void Started();

    /// <summary>A step from <paramref name="t"/> of signed size <paramref name="h"/> was accepted; <paramref name="yStart"/> is the block's state at its start.</summary>
    void Accepted(double t, double h, ReadOnlySpan<TLane> yStart);
}
