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

    /// <summary>Explicit midpoint rule, order 2 (fixed step).</summary>
    public static readonly ButcherTableau Midpoint = new(
        "Midpoint", order: 2, a: [[], [0.5]], b: [0, 1], c: [0, 0.5]);

    /// <summary>Heun's method (explicit trapezoidal rule), order 2 (fixed step).</summary>
    public static readonly ButcherTableau Heun = new(
        "Heun", order: 2, a: [[], [1]], b: [0.5, 0.5], c: [0, 1]);

    /// <summary>Heun–Euler 2(1): Heun's method with forward Euler embedded for the error estimate.</summary>
    public static readonly ButcherTableau HeunEuler = new(
        "HeunEuler", order: 2, a: [[], [1]], b: [0.5, 0.5], c: [0, 1],
        errorWeights: [0.5 - 1, 0.5 - 0], errorOrder: 1);

    /// <summary>
    /// Bogacki–Shampine 3(2) (Bogacki &amp; Shampine 1989), FSAL. Its free third-order continuous extension is the
    /// cubic Hermite interpolant through both ends of the step (the last stage is f at the new point),
    /// written below as polynomials b_i(θ).
    /// </summary>
    public static readonly ButcherTableau BogackiShampine3 = CreateBogackiShampine3();

    /// <summary>Runge–Kutta–Fehlberg 4(5) (Fehlberg 1969): propagates the fourth-order solution.</summary>
    public static readonly ButcherTableau Fehlberg45 = CreateFehlberg45();

    /// <summary>Cash–Karp 5(4) (Cash &amp; Karp 1990): propagates the fifth-order solution.</summary>
    public static readonly ButcherTableau CashKarp = CreateCashKarp();

    /// <summary>Tsitouras 5(4) (Tsitouras 2011), FSAL, with the paper's fourth-order continuous extension.</summary>
    public static readonly ButcherTableau Tsit5 = CreateTsit5();

    // b_i(θ) of the cubic Hermite interpolant y0 + θΔ + θ(1−θ)(hk_1 − Δ) + θ²(1−θ)(2Δ − hk_1 − hk_s), Δ = hΣb_i k_i,
    // for an FSAL method (k_s = f at the new point): b_i(3θ² − 2θ³) + [i=1](θ − 2θ² + θ³) + [i=s](θ³ − θ²).
    private static double[][] HermiteDense(double[] b)
    {
        int s = b.Length;
        var dense = new double[s][];
        for (int i = 0; i < s; i++)
        {
            double first = i == 0 ? 1 : 0, last = i == s - 1 ? 1 : 0;
            dense[i] = [first, 3 * b[i] - 2 * first - last, -2 * b[i] + first + last];
        }
        return dense;
    }

    private static double[] Difference(double[] b, double[] bHat)
    {
        var e = new double[b.Length];
        for (int i = 0; i < b.Length; i++) e[i] = b[i] - bHat[i];
        return e;
    }

    private static ButcherTableau CreateBogackiShampine3()
    {
        double[] b = [2.0 / 9, 1.0 / 3, 4.0 / 9, 0];
        double[] bHat = [7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8];
        return new ButcherTableau(
            "BogackiShampine3", order: 3,
            a: [[], [0.5], [0, 0.75], [2.0 / 9, 1.0 / 3, 4.0 / 9]],
            b: b, c: [0, 0.5, 0.75, 1],
            errorWeights: Difference(b, bHat), errorOrder: 2, dense: HermiteDense(b), denseOrder: 3);
    }

    private static ButcherTableau CreateFehlberg45()
    {
        double[] b = [25.0 / 216, 0, 1408.0 / 2565, 2197.0 / 4104, -1.0 / 5, 0];
        double[] bHat = [16.0 / 135, 0, 6656.0 / 12825, 28561.0 / 56430, -9.0 / 50, 2.0 / 55];
        return new ButcherTableau(
            "Fehlberg45", order: 4,
            a: [[],
                [1.0 / 4],
                [3.0 / 32, 9.0 / 32],
                [1932.0 / 2197, -7200.0 / 2197, 7296.0 / 2197],
                [439.0 / 216, -8, 3680.0 / 513, -845.0 / 4104],
                [-8.0 / 27, 2, -3544.0 / 2565, 1859.0 / 4104, -11.0 / 40]],
            b: b, c: [0, 1.0 / 4, 3.0 / 8, 12.0 / 13, 1, 1.0 / 2],
            errorWeights: Difference(b, bHat), errorOrder: 5);
    }

    private static ButcherTableau CreateCashKarp()
    {
        double[] b = [37.0 / 378, 0, 250.0 / 621, 125.0 / 594, 0, 512.0 / 1771];
        double[] bHat = [2825.0 / 27648, 0, 18575.0 / 48384, 13525.0 / 55296, 277.0 / 14336, 1.0 / 4];
        return new ButcherTableau(
            "CashKarp", order: 5,
            a: [[],
                [1.0 / 5],
                [3.0 / 40, 9.0 / 40],
                [3.0 / 10, -9.0 / 10, 6.0 / 5],
                [-11.0 / 54, 5.0 / 2, -70.0 / 27, 35.0 / 27],
                [1631.0 / 55296, 175.0 / 512, 575.0 / 13824, 44275.0 / 110592, 253.0 / 4096]],
            b: b, c: [0, 1.0 / 5, 3.0 / 10, 3.0 / 5, 1, 7.0 / 8],
            errorWeights: Difference(b, bHat), errorOrder: 4);
    }

    private static ButcherTableau CreateTsit5()
    {
        // Tsitouras (2011), Table 1; the error weights are b − b̂ of the embedded fourth-order solution.
        double[] b = [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0];
        double[] e = [-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995, -0.1447110071732629,
                      0.5823571654525552, -0.45808210592918697, 1.0 / 66];
        // The paper's continuous extension, published in factored form, expanded here to coefficients of θ^1..θ^4.
        double[][] dense =
        [
            Expand(-1.0530884977290216, [0, 1], [-1.3299890189751412, 1], [0.7139816917074209, -1.4364028541716351, 1]),
            Expand(0.1017, [0, 0, 1], [1.2949852507374631, -2.1966568338249754, 1]),
            Expand(2.490627285651252793, [0, 0, 1], [1.57803468208092486, -2.38535645472061657, 1]),
            Expand(-16.54810288924490272, [0, 0, 1], [-1.21712927295533244, 1], [-0.61620406037800089, 1]),
            Expand(47.37952196281928122, [0, 0, 1], [-1.203071208372362603, 1], [-0.658047292653547382, 1]),
            Expand(-34.87065786149660974, [0, 0, 1], [-1.2, 1], [-0.666666666666666667, 1]),
            Expand(2.5, [0, 0, 1], [-1, 1], [-0.6, 1]),
        ];
        // The factored constants carry ~16 digits, so b_i(1) misses b_i by up to ~1e-14 (b_5 has factors near 47).
        // Moving that residue into the θ⁴ coefficient makes the interpolant end exactly on the step's solution,
        // so the dense output is continuous across steps; the change to b_i(θ) is below 2e-14 everywhere.
        for (int i = 0; i < dense.Length; i++) dense[i][^1] += b[i] - dense[i].Sum();
        return new ButcherTableau(
            "Tsit5", order: 5,
            a: [[],
                [0.161],
                [-0.008480655492356989, 0.335480655492357],
                [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
                [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
                [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
                b[..6]],
            b: b, c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
            errorWeights: e, errorOrder: 4, dense: dense, denseOrder: 4);
    }

    // scale · Π factors, each factor given by its coefficients in ascending powers of θ; returns the
    // coefficients of θ^1..θ^degree (the product has no constant term: every b_i(0) = 0).
    private static double[] Expand(double scale, params double[][] factors)
    {
        double[] product = [scale];
        foreach (double[] f in factors)
        {
            var next = new double[product.Length + f.Length - 1];
            for (int i = 0; i < product.Length; i++)
                for (int j = 0; j < f.Length; j++)
                    next[i + j] += product[i] * f[j];
            product = next;
        }
        if (product[0] != 0) throw new InvalidOperationException("A continuous-extension weight must vanish at θ = 0.");
        return product[1..];
    }

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
            errorWeights: e, errorOrder: 4, dense: dense, denseOrder: 4);
    }
}
