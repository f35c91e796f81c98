namespace OdeGen.Solvers;

/// <summary>
/// The vector field F(t, y) = f(t, y, p) of an <see cref="IOdeSystem"/> with its parameters fixed:
/// what <c>Ode.Solve</c> and the forward pass of every gradient integrate. Its derivatives come from the
/// system: ∂F/∂y from <see cref="IOdeSystem.Jacobian"/>, ∂F/∂t from <see cref="IOdeSystem.Jvp"/> with
/// tDot = 1 and zero tangents for y and p (exact, one JVP).
/// </summary>
/// <remarks>
/// Copies of one field share the derivative scratch, so one field (and its copies) must not be used by integrators
/// on different threads at the same time; create a field per thread (<c>Ode.Solve</c> creates one per call).
/// </remarks>
public readonly struct SystemField<TSystem> : IJacobianField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _parameters;
    // Scratch for the derivatives, shared by copies of this field. Its arrays are allocated on first use, so
    // fields integrated only by explicit methods never pay for ∂f/∂p (n·m numbers, large for neural ODEs).
    private readonly DerivativeScratch _scratch;

    /// <summary>Binds a system to a parameter vector (held by reference, not copied).</summary>
    public SystemField(in TSystem system, double[] parameters)
    {
        _system = system;
        _parameters = parameters;
        _scratch = new DerivativeScratch();
    }

    private SystemField(in TSystem system, double[] parameters, DerivativeScratch scratch)
    {
        _system = system;
        _parameters = parameters;
        _scratch = scratch;
    }

    /// <summary>
    /// This field for another system value and parameter vector, keeping its derivative scratch (so a workspace that
    /// binds a field for each call allocates nothing); a default-constructed field gets its scratch here.
    /// </summary>
    internal SystemField<TSystem> Rebind(in TSystem system, double[] parameters) =>
        new(system, parameters, _scratch ?? new DerivativeScratch());

    /// <summary>The system.</summary>
    public TSystem System => _system;

    /// <summary>The parameter vector.</summary>
    public ReadOnlySpan<double> Parameters => _parameters;

    /// <inheritdoc/>
    public int Dimension => _system.StateCount;

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => _system.Evaluate(t, y, _parameters, dydt);

    /// <inheritdoc/>
    /// <remarks>IOdeSystem.Jacobian also writes ∂f/∂p; it goes to preallocated scratch and is discarded.</remarks>
    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy)
    {
        var s = Scratch();
        s.Dfdp ??= new double[_system.StateCount * _system.ParameterCount];
        _system.Jacobian(t, y, _parameters, dfdy, s.Dfdp);
    }

    /// <inheritdoc/>
    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt)
    {
        var s = Scratch();
        int n = _system.StateCount;
        s.ZeroY ??= new double[n];
        s.ZeroP ??= new double[_system.ParameterCount];
        s.Value ??= new double[n];
        _system.Jvp(t, y, _parameters, 1.0, s.ZeroY, s.ZeroP, s.Value, dfdt);
    }

    private DerivativeScratch Scratch() =>
        _scratch ?? throw new InvalidOperationException("This SystemField was default-constructed; create it with new SystemField(system, parameters).");

    private sealed class DerivativeScratch
    {
        public double[]? Dfdp, ZeroY, ZeroP, Value;
    }
}
