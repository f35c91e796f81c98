using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Tests.TestSystems;

/// <summary>
/// What the fused-step tests run: the explicit tableaux by name (the built-ins by their names, and two user tableaux
/// beside them, so that every fused kernel shape is covered: 1, 2, 3 and 4 stages, the chain shape RK4 and a full
/// four-stage), and blocks of Lorenz registers to step.
/// </summary>
internal static class FusedStepCases
{
    /// <summary>Kutta's third-order method: three stages, every a_ij used.</summary>
    public static readonly ButcherTableau Kutta3 = new("Kutta3", 3, [[], [0.5], [-1, 2]], [1.0 / 6, 2.0 / 3, 1.0 / 6], [0, 0.5, 1]);

    /// <summary>The 3/8 rule: four stages that are not the chain shape (RK4 is the chain).</summary>
    public static readonly ButcherTableau ThreeEighths = new("3/8", 4, [[], [1.0 / 3], [-1.0 / 3, 1], [1, -1, 1]], [0.125, 0.375, 0.375, 0.125], [0, 1.0 / 3, 2.0 / 3, 1]);

    /// <summary>The tableau named <paramref name="name"/>: "Kutta3", "3/8", or a built-in method's name.</summary>
    public static ButcherTableau Tableau(string name) => name switch
    {
        "Kutta3" => Kutta3,
        "3/8" => ThreeEighths,
        _ => OdeMethod.BuiltIn.Single(m => m.Name == name).Tableau,
    };

    /// <summary>The method of <see cref="Tableau"/>: a built-in itself, a user tableau through <see cref="OdeMethod.FromTableau"/>.</summary>
    public static OdeMethod Method(string name) => name is "Kutta3" or "3/8"
        ? OdeMethod.FromTableau(Tableau(name))
        : OdeMethod.BuiltIn.Single(m => m.Name == name);

    /// <summary>
    /// <paramref name="registers"/> registers of Lorenz states near its attractor (3 states, then 3 parameters σ, ρ, β a
    /// register), different in every lane and register.
    /// </summary>
    public static (TLane[] Y, TLane[] P) LorenzBlock<TLane>(int registers) where TLane : unmanaged, ILane<TLane>
    {
        const int n = 3, m = 3;
        int w = TLane.Count;
        var y = new TLane[registers * n];
        var p = new TLane[registers * m];
        var lane = new double[w];
        for (int g = 0; g < registers; g++)
        {
            for (int q = 0; q < n; q++)
            {
                for (int l = 0; l < w; l++) lane[l] = 1.0 + 0.1 * q + 0.01 * l + 0.3 * g;
                y[g * n + q] = TLane.Load(lane);
            }
            for (int j = 0; j < m; j++)
            {
                for (int l = 0; l < w; l++) lane[l] = new[] { 10.0, 28.0, 8.0 / 3 }[j] * (1 + 0.01 * l + 0.02 * g);
                p[g * m + j] = TLane.Load(lane);
            }
        }

        return (y, p);
    }
}
