namespace OdeGen.Solvers;

/// <summary>The coefficients of the built-in Runge–Kutta methods (published values, as data).</summary>
internal static class Tableaux
{
    /// <summary>Classic fourth-order Runge–Kutta (fixed step).</summary>
    public static readonly ButcherTableau RK4 = new(
        "RK4", order: 4,
        a: [[], [0.5], [0, 0.5], [0, 0, 1]],
        b: [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6],
        c: [0, 0.5, 0.5, 1]);

    /// <summary>Forward Euler (fixed step).</summary>
    public static readonly ButcherTableau Euler = new(
        "Euler", order: 1, a: [[]], b: [1.0], c: [0.0]);

    /// <summary>Dormand–Prince 5(4) (Dormand &amp; Prince 1980) with Hairer's fourth-order continuous extension.</summary>
    public static readonly ButcherTableau Dopri5 = CreateDopri5();

    private static ButcherTableau CreateDopri5()
    {
        double[] b = [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0];
        double[] bHat = [5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40];
        // Hairer's dense-output coefficients (DOPRI5, contd5), rewritten below as polynomials b_i(θ).
        double[] d = [-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072,
                      701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423];
        var dense = new double[7][];
        for (int i = 0; i < 7; i++)
        {
            // y(θ) = y0 + θΔ + θ(1−θ)(hk1 − Δ) + θ²(1−θ)(2Δ − hk1 − hk7) + θ²(1−θ)²·hΣd_i k_i, Δ = hΣb_i k_i, expanded:
            // b_i(θ) = b_i(3θ² − 2θ³) + d_i(θ² − 2θ³ + θ⁴) + [i=1](θ − 2θ² + θ³) + [i=7](θ³ − θ²).
            double first = i == 0 ? 1 : 0, last = i == 6 ? 1 : 0;
            dense[i] = [first, 3 * b[i] + d[i] - 2 * first - last, -2 * b[i] - 2 * d[i] + first + last, d[i]];
        }
        var e = new double[7];
        for (int i = 0; i < 7; i++) e[i] = b[i] - bHat[i];
        return new ButcherTableau(
            "Dopri5", order: 5,
            a: [[],
                [1.0 / 5],
                [3.0 / 40, 9.0 / 40],
                [44.0 / 45, -56.0 / 15, 32.0 / 9],
                [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
                [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
                [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]],
            b: b,
            c: [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1],
            errorWeights: e, errorOrder: 4, dense: dense);
    }
}
