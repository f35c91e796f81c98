namespace OdeGen.Solvers;

/// <summary>
/// The vector field F(t, y) = f(t, y, p) of an <see cref="IOdeSystem"/> with its parameters fixed:
/// what <c>Ode.Solve</c> and the forward pass of every gradient integrate.
/// </summary>
public readonly struct SystemField<TSystem> : IVectorField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _parameters;

    /// <summary>Binds a system to a parameter vector (held by reference, not copied).</summary>
    public SystemField(in TSystem system, double[] parameters)
    {
        _system = system;
        _parameters = parameters;
    }

    /// <summary>The system.</summary>
    public TSystem System => _system;

    /// <summary>The parameter vector.</summary>
    public ReadOnlySpan<double> Parameters => _parameters;

    /// <inheritdoc/>
    public int Dimension => _system.StateCount;

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => _system.Evaluate(t, y, _parameters, dydt);
}
