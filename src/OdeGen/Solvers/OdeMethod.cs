using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// A solver, chosen by name: <c>new SolverOptions { Method = OdeMethod.Dopri5 }</c>.
/// Explicit methods are Butcher tableaux driven by one stepper.
/// </summary>
public sealed class OdeMethod
{
    private OdeMethod(ButcherTableau tableau) => Tableau = tableau;

    /// <summary>Dormand–Prince 5(4): adaptive, FSAL, fourth-order dense output. The default.</summary>
    public static OdeMethod Dopri5 { get; } = new(Tableaux.Dopri5);

    /// <summary>Classic fourth-order Runge–Kutta; fixed step (set <see cref="SolverOptions.FixedStep"/>), Hermite dense output.</summary>
    public static OdeMethod RK4 { get; } = new(Tableaux.RK4);

    /// <summary>Forward Euler; fixed step, Hermite dense output.</summary>
    public static OdeMethod Euler { get; } = new(Tableaux.Euler);

    /// <summary>A user-defined explicit method.</summary>
    public static OdeMethod FromTableau(ButcherTableau tableau) => new(tableau ?? throw new ArgumentNullException(nameof(tableau)));

    /// <summary>The method's coefficients.</summary>
    public ButcherTableau Tableau { get; }

    /// <summary>The method's name.</summary>
    public string Name => Tableau.Name;

    /// <summary>True when the method controls its step size from an embedded error estimate.</summary>
    public bool IsAdaptive => Tableau.IsAdaptive;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
