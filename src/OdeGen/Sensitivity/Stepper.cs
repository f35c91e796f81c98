using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// One of the three integrators (explicit Runge–Kutta, Rosenbrock, ESDIRK), chosen by the method in the options,
/// behind the operations the sensitivity passes need: Reset with a field, Step, Run and the last step's dense output.
/// The integrators have no common generic interface for Reset (it is generic in the field type), so this holds the
/// one that applies; the explicit methods ignore the field's derivatives.
/// </summary>
internal sealed class Stepper<TField> where TField : struct, IJacobianField
{
    private readonly RungeKuttaIntegrator<TField>? _explicit;
    private readonly RosenbrockIntegrator<TField>? _rosenbrock;
    private readonly EsdirkIntegrator<TField>? _esdirk;
    private readonly IOdeIntegrator _integrator;
    private readonly int _dimension;

    public Stepper(int dimension, SolverOptions options)
    {
        _dimension = dimension;
        if (options.Method.Rosenbrock is not null) _integrator = _rosenbrock = new RosenbrockIntegrator<TField>(dimension, options);
        else if (options.Method.Esdirk is not null) _integrator = _esdirk = new EsdirkIntegrator<TField>(dimension, options);
        else _integrator = _explicit = new RungeKuttaIntegrator<TField>(dimension, options);
    }

    public IOdeIntegrator Integrator => _integrator;
    public double Time => _integrator.Time;
    public double PreviousTime => _integrator.PreviousTime;
    public ReadOnlySpan<double> State => _integrator.State;
    public OdeStatus Status => _integrator.Status;
    public SolverStats Stats => _integrator.Stats;
    public int DenseDegree => _integrator.DenseDegree;

    /// <summary>The state at the start of the last accepted step.</summary>
    public ReadOnlySpan<double> PreviousState =>
        _explicit is not null ? _explicit.PreviousState : _rosenbrock is not null ? _rosenbrock.PreviousState : _esdirk!.PreviousState;

    /// <summary>
    /// Leading components in the step-size control (see <see cref="RungeKuttaIntegrator{TField}.ErrorComponents"/>).
    /// Only the explicit integrator can leave components out; the callers reject those settings for stiff methods first.
    /// </summary>
    public int ErrorComponents
    {
        set
        {
            if (_explicit is not null) _explicit.ErrorComponents = value;
            else if (value != _dimension)
                throw new InvalidOperationException("The stiff integrators control the error of every component; internal callers must reject partial error control first.");
        }
    }

    public void Reset(in TField field, ReadOnlySpan<double> x0, double t0, double t1)
    {
        if (_explicit is not null) _explicit.Reset(field, x0, t0, t1);
        else if (_rosenbrock is not null) _rosenbrock.Reset(field, x0, t0, t1);
        else _esdirk!.Reset(field, x0, t0, t1);
    }

    /// <summary>Continues from (t, x) towards the same end with the same field (after an event's reset).</summary>
    public void Restart(double t, ReadOnlySpan<double> x) => ((IRestartable)_integrator).Restart(t, x);

    public bool Step() => _integrator.Step();

    public OdeStatus Run()
    {
        while (_integrator.Step()) { }
        return _integrator.Status;
    }

    public void Interpolate(double t, Span<double> y) => _integrator.Interpolate(t, y);
}
