using System.Diagnostics;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// A solver, chosen by name: <c>new SolverOptions { Method = OdeMethod.Dopri5 }</c>.
/// Each method belongs to a family (explicit Runge–Kutta, Rosenbrock, ESDIRK) that creates its integrator
/// (<see cref="CreateIntegrator{TField}"/>) and declares what it supports (<see cref="IsAdaptive"/>, <see cref="IsStiff"/>,
/// <see cref="SupportsDiscreteAdjoint"/>, <see cref="SupportsLanes"/> …); callers ask these instead of testing the family.
/// </summary>
/// <remarks>A new family is one folder under <c>src/OdeGen/Solvers/</c>: its tableau, its integrator, a sealed subclass of this type and its arm in <see cref="CreateIntegrator{TField}"/>.</remarks>
public abstract class OdeMethod
{
    private protected OdeMethod()
    {
    }

    /// <summary>Dormand–Prince 5(4): adaptive, FSAL, fourth-order dense output. The default.</summary>
    public static OdeMethod Dopri5 { get; } = new ExplicitRungeKuttaMethod(Tableaux.Dopri5);

    /// <summary>Classic fourth-order Runge–Kutta; fixed step (set <see cref="SolverOptions.FixedStep"/>), Hermite dense output.</summary>
    public static OdeMethod RK4 { get; } = new ExplicitRungeKuttaMethod(Tableaux.RK4);

    /// <summary>Forward Euler; fixed step, Hermite dense output.</summary>
    public static OdeMethod Euler { get; } = new ExplicitRungeKuttaMethod(Tableaux.Euler);

    /// <summary>Explicit midpoint rule, order 2; fixed step, Hermite dense output.</summary>
    public static OdeMethod Midpoint { get; } = new ExplicitRungeKuttaMethod(Tableaux.Midpoint);

    /// <summary>Heun's method (explicit trapezoidal rule), order 2; fixed step, Hermite dense output.</summary>
    public static OdeMethod Heun { get; } = new ExplicitRungeKuttaMethod(Tableaux.Heun);

    /// <summary>Heun–Euler 2(1): adaptive, order 2 with a first-order error estimate; Hermite dense output. For rough, cheap problems at loose tolerances.</summary>
    public static OdeMethod HeunEuler { get; } = new ExplicitRungeKuttaMethod(Tableaux.HeunEuler);

    /// <summary>Bogacki–Shampine 3(2): adaptive, FSAL, third-order dense output. Good at loose tolerances (rtol ≳ 1e-4).</summary>
    public static OdeMethod BogackiShampine3 { get; } = new ExplicitRungeKuttaMethod(Tableaux.BogackiShampine3);

    /// <summary>Runge–Kutta–Fehlberg 4(5): adaptive, propagates the fourth-order solution; Hermite dense output.</summary>
    public static OdeMethod Fehlberg45 { get; } = new ExplicitRungeKuttaMethod(Tableaux.Fehlberg45);

    /// <summary>Cash–Karp 5(4): adaptive, propagates the fifth-order solution; Hermite dense output.</summary>
    public static OdeMethod CashKarp { get; } = new ExplicitRungeKuttaMethod(Tableaux.CashKarp);

    /// <summary>Tsitouras 5(4): adaptive, FSAL, fourth-order dense output; usually a little more efficient than Dopri5.</summary>
    public static OdeMethod Tsit5 { get; } = new ExplicitRungeKuttaMethod(Tableaux.Tsit5);

    /// <summary>Dormand–Prince 8(5,3) (DOP853): adaptive, eighth order, seventh-order dense output. For tight tolerances (rtol ≲ 1e-8).</summary>
    public static OdeMethod Dop853 { get; } = new ExplicitRungeKuttaMethod(Tableaux.Dop853);

    /// <summary>
    /// Rodas4 (Hairer &amp; Wanner): a stiff solver. Rosenbrock method of order 4(3), L-stable and stiffly accurate,
    /// third-order dense output; one Jacobian, one LU factorization and six f evaluations per step. For stiff problems
    /// (chemical kinetics, relaxation oscillators) at rtol 1e-2 … 1e-8.
    /// </summary>
    public static OdeMethod Rodas4 { get; } = new RosenbrockMethod(RosenbrockTableaux.Rodas4);

    /// <summary>
    /// Kvaerno5 (Kværnø 2004): a stiff solver. ESDIRK 5(4) with seven stages, L-stable and stiffly accurate; simplified
    /// Newton iterations on six implicit stages with one Jacobian and one LU factorization per step; cubic Hermite dense
    /// output. For stiff problems at tighter tolerances (rtol 1e-6 … 1e-10), where its fifth order pays off.
    /// </summary>
    public static OdeMethod Kvaerno5 { get; } = new EsdirkMethod(EsdirkTableaux.Kvaerno5);

    /// <summary>Every built-in explicit method, in order of increasing order.</summary>
    public static IReadOnlyList<OdeMethod> BuiltIn { get; } =
        [Euler, Midpoint, Heun, RK4, HeunEuler, BogackiShampine3, Fehlberg45, CashKarp, Dopri5, Tsit5, Dop853];

    /// <summary>Every built-in stiff method.</summary>
    public static IReadOnlyList<OdeMethod> Stiff { get; } = [Rodas4, Kvaerno5];

    /// <summary>Every built-in method, explicit then stiff.</summary>
    public static IReadOnlyList<OdeMethod> All { get; } = [.. BuiltIn, .. Stiff];

    /// <summary>A user-defined explicit method: stepped by the same Runge–Kutta kernel as the built-in tableaux, in scalar solves, lanes and the discrete adjoint.</summary>
    public static OdeMethod FromTableau(ButcherTableau tableau) => new ExplicitRungeKuttaMethod(tableau ?? throw new ArgumentNullException(nameof(tableau)));

    /// <summary>The coefficients of an explicit method.</summary>
    /// <exception cref="InvalidOperationException">The method is a stiff method; see <see cref="Rosenbrock"/> and <see cref="Esdirk"/>.</exception>
    public virtual ButcherTableau Tableau => throw new InvalidOperationException(
        $"{Name} is a stiff method and has no explicit Butcher tableau; this operation supports explicit methods only (OdeMethod.BuiltIn).");

    /// <summary>The coefficients of a stiff (Rosenbrock) method; null for other methods.</summary>
    public virtual RosenbrockTableau? Rosenbrock => null;

    /// <summary>The coefficients of a stiff ESDIRK method; null otherwise.</summary>
    public virtual EsdirkTableau? Esdirk => null;

    /// <summary>The method's name.</summary>
    public abstract string Name { get; }

    /// <summary>The order of the propagated solution.</summary>
    public abstract int Order { get; }

    // ---- capabilities: what the method supports, asked by every caller instead of testing the family ----

    /// <summary>True for stiff solvers, which use the Jacobian ∂f/∂y (from <see cref="IJacobianField"/>, or by finite differences).</summary>
    public abstract bool IsStiff { get; }

    /// <summary>True when the method controls its step size from an embedded error estimate (otherwise set <see cref="SolverOptions.FixedStep"/>).</summary>
    public abstract bool IsAdaptive { get; }

    /// <summary>True when the last stage of a step is f at the new point (first same as last): a step costs one evaluation less.</summary>
    public virtual bool IsFsal => false;

    /// <summary>Order of the dense output between steps (3 for cubic Hermite).</summary>
    public abstract int DenseOutputOrder { get; }

    /// <summary>Degree in θ of one step's dense-output polynomial (<see cref="IOdeIntegrator.DenseDegree"/>).</summary>
    public abstract int DenseDegree { get; }

    /// <summary>True when the integrator can leave trailing components out of the error norm (<see cref="IOdeIntegrator{TField}.ErrorComponents"/>), as seminorms and uncontrolled sensitivities need.</summary>
    public virtual bool SupportsPartialErrorControl => false;

    /// <summary>True when <see cref="OdeGen.Sensitivity.DiscreteAdjoint"/> can differentiate the method's steps.</summary>
    public virtual bool SupportsDiscreteAdjoint => false;

    /// <summary>True when the back-solve adjoint may integrate the state backwards with the method (not for stiff problems, where that is unstable).</summary>
    public virtual bool SupportsBacksolveAdjoint => false;

    /// <summary>True when ensembles can step the method one trajectory per SIMD lane.</summary>
    public virtual bool SupportsLanes => false;

    /// <summary>True when each step also evaluates ∂F/∂t (a JVP of the system), as Rosenbrock methods do.</summary>
    public virtual bool UsesTimeDerivative => false;

    /// <summary>
    /// Creates an integrator of this method for fields of <paramref name="dimension"/> components, with all its workspace.
    /// Methods that are not <see cref="IsStiff"/> ignore the field's derivatives.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid for the method (for example no FixedStep for a method that is not adaptive).</exception>
    /// <remarks>
    /// A type switch over the three sealed families rather than a generic virtual method: crossgen2 (.NET 10) does not follow
    /// a generic virtual call to its overrides, so an application's ReadyToRun image held no integrator over the user's system
    /// and the first solve was left to the JIT (BENCHMARKS.md, 6 December 2026, 06:50). The constructor is private protected:
    /// no other subclass exists.
    /// </remarks>
    public IOdeIntegrator<TField> CreateIntegrator<TField>(int dimension, SolverOptions options) where TField : struct, IJacobianField =>
        this switch
        {
            ExplicitRungeKuttaMethod explicitMethod => explicitMethod.CreateRungeKutta<TField>(dimension, options),
            RosenbrockMethod rosenbrock => rosenbrock.CreateRosenbrock<TField>(dimension, options),
            EsdirkMethod esdirk => esdirk.CreateEsdirk<TField>(dimension, options),
            _ => throw new UnreachableException($"{GetType().Name} is not one of OdeGen's method families."),
        };

    /// <summary>
    /// Throws a <see cref="NotSupportedException"/> for <paramref name="operation"/> when this method lacks the capability,
    /// naming the built-in methods that have it and <paramref name="otherwise"/> (what else the user can change).
    /// </summary>
    internal void Require(Func<OdeMethod, bool> capability, string operation, string otherwise)
    {
        if (capability(this)) return;
        string methods = string.Join(", ", All.Where(capability).Select(m => m.Name));
        throw new NotSupportedException(
            $"{operation} does not support the method {Name}. Methods that do: {methods}." + (otherwise.Length > 0 ? " " + otherwise : ""));
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
