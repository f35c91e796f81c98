using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// A solver, chosen by name: <c>new SolverOptions { Method = OdeMethod.Dopri5 }</c>.
/// Explicit methods are Butcher tableaux driven by one stepper; stiff methods (<see cref="IsStiff"/>) are Rosenbrock
/// tableaux driven by <see cref="RosenbrockIntegrator{TField}"/> or ESDIRK tableaux driven by <see cref="EsdirkIntegrator{TField}"/>.
/// </summary>
public sealed class OdeMethod
{
    private readonly ButcherTableau? _tableau;

    private OdeMethod(ButcherTableau tableau) => _tableau = tableau;

    private OdeMethod(RosenbrockTableau rosenbrock) => Rosenbrock = rosenbrock;

    private OdeMethod(EsdirkTableau esdirk) => Esdirk = esdirk;

    /// <summary>Dormand–Prince 5(4): adaptive, FSAL, fourth-order dense output. The default.</summary>
    public static OdeMethod Dopri5 { get; } = new(Tableaux.Dopri5);

    /// <summary>Classic fourth-order Runge–Kutta; fixed step (set <see cref="SolverOptions.FixedStep"/>), Hermite dense output.</summary>
    public static OdeMethod RK4 { get; } = new(Tableaux.RK4);

    /// <summary>Forward Euler; fixed step, Hermite dense output.</summary>
    public static OdeMethod Euler { get; } = new(Tableaux.Euler);

    /// <summary>Explicit midpoint rule, order 2; fixed step, Hermite dense output.</summary>
    public static OdeMethod Midpoint { get; } = new(Tableaux.Midpoint);

    /// <summary>Heun's method (explicit trapezoidal rule), order 2; fixed step, Hermite dense output.</summary>
    public static OdeMethod Heun { get; } = new(Tableaux.Heun);

    /// <summary>Heun–Euler 2(1): adaptive, order 2 with a first-order error estimate; Hermite dense output. For rough, cheap problems at loose tolerances.</summary>
    public static OdeMethod HeunEuler { get; } = new(Tableaux.HeunEuler);

    /// <summary>Bogacki–Shampine 3(2): adaptive, FSAL, third-order dense output. Good at loose tolerances (rtol ≳ 1e-4).</summary>
    public static OdeMethod BogackiShampine3 { get; } = new(Tableaux.BogackiShampine3);

    /// <summary>Runge–Kutta–Fehlberg 4(5): adaptive, propagates the fourth-order solution; Hermite dense output.</summary>
    public static OdeMethod Fehlberg45 { get; } = new(Tableaux.Fehlberg45);

    /// <summary>Cash–Karp 5(4): adaptive, propagates the fifth-order solution; Hermite dense output.</summary>
    public static OdeMethod CashKarp { get; } = new(Tableaux.CashKarp);

    /// <summary>Tsitouras 5(4): adaptive, FSAL, fourth-order dense output; usually a little more efficient than Dopri5.</summary>
    public static OdeMethod Tsit5 { get; } = new(Tableaux.Tsit5);

    /// <summary>Dormand–Prince 8(5,3) (DOP853): adaptive, eighth order, seventh-order dense output. For tight tolerances (rtol ≲ 1e-8).</summary>
    public static OdeMethod Dop853 { get; } = new(Tableaux.Dop853);

    /// <summary>
    /// Rodas4 (Hairer &amp; Wanner): a stiff solver. Rosenbrock method of order 4(3), L-stable and stiffly accurate,
    /// third-order dense output; one Jacobian, one LU factorization and six f evaluations per step. For stiff problems
    /// (chemical kinetics, relaxation oscillators) at rtol 1e-2 … 1e-8.
    /// </summary>
    public static OdeMethod Rodas4 { get; } = new(RosenbrockTableaux.Rodas4);

    /// <summary>
    /// Kvaerno5 (Kværnø 2004): a stiff solver. ESDIRK 5(4) with seven stages, L-stable and stiffly accurate; simplified
    /// Newton iterations on six implicit stages with one Jacobian and one LU factorization per step; cubic Hermite dense
    /// output. For stiff problems at tighter tolerances (rtol 1e-6 … 1e-10), where its fifth order pays off.
    /// </summary>
    public static OdeMethod Kvaerno5 { get; } = new(EsdirkTableaux.Kvaerno5);

    /// <summary>Every built-in explicit method, in order of increasing order.</summary>
    public static IReadOnlyList<OdeMethod> BuiltIn { get; } =
        [Euler, Midpoint, Heun, RK4, HeunEuler, BogackiShampine3, Fehlberg45, CashKarp, Dopri5, Tsit5, Dop853];

    /// <summary>Every built-in stiff method.</summary>
    public static IReadOnlyList<OdeMethod> Stiff { get; } = [Rodas4, Kvaerno5];

    /// <summary>Every built-in method, explicit then stiff.</summary>
    public static IReadOnlyList<OdeMethod> All { get; } = [.. BuiltIn, .. Stiff];

    /// <summary>A user-defined explicit method.</summary>
    public static OdeMethod FromTableau(ButcherTableau tableau) => new(tableau ?? throw new ArgumentNullException(nameof(tableau)));

    /// <summary>The coefficients of an explicit method.</summary>
    /// <exception cref="InvalidOperationException">The method is a stiff method; see <see cref="Rosenbrock"/> and <see cref="Esdirk"/>.</exception>
    public ButcherTableau Tableau => _tableau ?? throw new InvalidOperationException(
        $"{Name} is a stiff method and has no explicit Butcher tableau; this operation supports explicit methods only (OdeMethod.BuiltIn).");

    /// <summary>The coefficients of a stiff (Rosenbrock) method; null for explicit methods.</summary>
    public RosenbrockTableau? Rosenbrock { get; }

    /// <summary>The coefficients of a stiff ESDIRK method; null otherwise.</summary>
    public EsdirkTableau? Esdirk { get; }

    /// <summary>True for stiff solvers, which use the Jacobian ∂f/∂y (<see cref="Rosenbrock"/> or <see cref="Esdirk"/> is then set).</summary>
    public bool IsStiff => Rosenbrock is not null || Esdirk is not null;

    /// <summary>The method's name.</summary>
    public string Name => _tableau?.Name ?? Rosenbrock?.Name ?? Esdirk!.Name;

    /// <summary>The order of the propagated solution.</summary>
    public int Order => _tableau?.Order ?? Rosenbrock?.Order ?? Esdirk!.Order;

    /// <summary>True when the method controls its step size from an embedded error estimate.</summary>
    public bool IsAdaptive => _tableau?.IsAdaptive ?? true;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
