using System.ComponentModel;

namespace OdeGen.Lanes;

/// <summary>What the runtime does with a system's one-trajectory register type (<see cref="IOdeFusedLaneSystem.WithScalarRegisters"/>).</summary>
// Public because generated code in the user's assembly calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IScalarRegistersAction<TResult>
{
    /// <summary>Runs with <typeparamref name="TState"/>, the system's <c>ScalarRegisters</c>.</summary>
    TResult Invoke<TState>() where TState : unmanaged, IScalarRegisters<TState>;
}
