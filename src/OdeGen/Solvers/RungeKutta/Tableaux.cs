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

    /// <summary>
    /// Dormand–Prince 8(5,3) (Hairer's DOP853): 12 stages, error from a fifth- and a third-order estimate
    /// combined, seventh-order continuous extension from three extra stages evaluated after acceptance.
    /// </summary>
    public static readonly ButcherTableau Dop853 = CreateDop853();

    private static ButcherTableau CreateDop853()
    {
        // Coefficients as published with DOP853 (Hairer, Nørsett & Wanner, Solving ODEs I, II.10), by stage 1–16.
        double[] b = [5.42937341165687622380535766363e-02, 0, 0, 0, 0, 4.45031289275240888144113950566, 1.89151789931450038304281599044, -5.8012039600105847814672114227, 3.1116436695781989440891606237e-01, -1.52160949662516078556178806805e-01, 2.01365400804030348374776537501e-01, 4.47106157277725905176885569043e-02];
        double[] bhh = [0.244094488188976377952755905512, 0, 0, 0, 0, 0, 0, 0, 0.733846688281611857341361741547, 0, 0, 0.220588235294117647058823529412e-01];
        double[] er = [0.1312004499419488073250102996e-01, 0, 0, 0, 0, -0.1225156446376204440720569753e+01, -0.4957589496572501915214079952, 0.1664377182454986536961530415e+01, -0.3503288487499736816886487290, 0.3341791187130174790297318841, 0.8192320648511571246570742613e-01, -0.2235530786388629525884427845e-01];
        var e3 = new double[12];
        for (int i = 0; i < 12; i++) e3[i] = b[i] - bhh[i];
        // The continuous extension (Hairer's contd8), stage by stage:
        // y(θ) = y0 + θΔ + θθ'(hk1 − Δ) + θ²θ'(2Δ − hk1 − hk13) + θ²θ'²·hΣd4·k + θ³θ'²·hΣd5·k + θ³θ'³·hΣd6·k + θ⁴θ'³·hΣd7·k,
        // θ' = 1 − θ, Δ = hΣb·k; stage 13 is f at the new point, stages 14–16 are the extra ones.
        double[] d4 = [-0.84289382761090128651353491142e+01, 0, 0, 0, 0, 0.56671495351937776962531783590, -0.30689499459498916912797304727e+01, 0.23846676565120698287728149680e+01, 0.21170345824450282767155149946e+01, -0.87139158377797299206789907490, 0.22404374302607882758541771650e+01, 0.63157877876946881815570249290, -0.88990336451333310820698117400e-01, 0.18148505520854727256656404962e+02, -0.91946323924783554000451984436e+01, -0.44360363875948939664310572000e+01];
        double[] d5 = [0.10427508642579134603413151009e+02, 0, 0, 0, 0, 0.24228349177525818288430175319e+03, 0.16520045171727028198505394887e+03, -0.37454675472269020279518312152e+03, -0.22113666853125306036270938578e+02, 0.77334326684722638389603898808e+01, -0.30674084731089398182061213626e+02, -0.93321305264302278729567221706e+01, 0.15697238121770843886131091075e+02, -0.31139403219565177677282850411e+02, -0.93529243588444783865713862664e+01, 0.35816841486394083752465898540e+02];
        double[] d6 = [0.19985053242002433820987653617e+02, 0, 0, 0, 0, -0.38703730874935176555105901742e+03, -0.18917813819516756882830838328e+03, 0.52780815920542364900561016686e+03, -0.11573902539959630126141871134e+02, 0.68812326946963000169666922661e+01, -0.10006050966910838403183860980e+01, 0.77771377980534432092869265740, -0.27782057523535084065932004339e+01, -0.60196695231264120758267380846e+02, 0.84320405506677161018159903784e+02, 0.11992291136182789328035130030e+02];
        double[] d7 = [-0.25693933462703749003312586129e+02, 0, 0, 0, 0, -0.15418974869023643374053993627e+03, -0.23152937917604549567536039109e+03, 0.35763911791061412378285349910e+03, 0.93405324183624310003907691704e+02, -0.37458323136451633156875139351e+02, 0.10409964950896230045147246184e+03, 0.29840293426660503123344363579e+02, -0.43533456590011143754432175058e+02, 0.96324553959188282948394950600e+02, -0.39177261675615439165231486172e+02, -0.14972683625798562581422125276e+03];
        var dense = new double[16][];
        for (int i = 0; i < 16; i++)
        {
            double bi = i < 12 ? b[i] : 0, first = i == 0 ? 1 : 0, k13 = i == 12 ? 1 : 0;
            var p = new double[8];
            AddMonomial(p, bi, 1, 0);
            AddMonomial(p, first - bi, 1, 1);
            AddMonomial(p, 2 * bi - first - k13, 2, 1);
            AddMonomial(p, d4[i], 2, 2);
            AddMonomial(p, d5[i], 3, 2);
            AddMonomial(p, d6[i], 3, 3);
            AddMonomial(p, d7[i], 4, 3);
            dense[i] = p[1..];
        }
        return new ButcherTableau(
            "Dop853", order: 8,
            a: [[],
                [5.26001519587677318785587544488e-02],
                [1.97250569845378994544595329183e-02, 5.91751709536136983633785987549e-02],
                [2.95875854768068491816892993775e-02, 0, 8.87627564304205475450678981324e-02],
                [2.41365134159266685502369798665e-01, 0, -8.84549479328286085344864962717e-01, 9.24834003261792003115737966543e-01],
                [3.7037037037037037037037037037e-02, 0, 0, 1.70828608729473871279604482173e-01, 1.25467687566822425016691814123e-01],
                [3.7109375e-02, 0, 0, 1.70252211019544039314978060272e-01, 6.02165389804559606850219397283e-02, -1.7578125e-02],
                [3.70920001185047927108779319836e-02, 0, 0, 1.70383925712239993810214054705e-01, 1.07262030446373284651809199168e-01, -1.53194377486244017527936158236e-02, 8.27378916381402288758473766002e-03],
                [6.24110958716075717114429577812e-01, 0, 0, -3.36089262944694129406857109825, -8.68219346841726006818189891453e-01, 2.75920996994467083049415600797e+01, 2.01540675504778934086186788979e+01, -4.34898841810699588477366255144e+01],
                [4.77662536438264365890433908527e-01, 0, 0, -2.48811461997166764192642586468, -5.90290826836842996371446475743e-01, 2.12300514481811942347288949897e+01, 1.52792336328824235832596922938e+01, -3.32882109689848629194453265587e+01, -2.03312017085086261358222928593e-02],
                [-9.3714243008598732571704021658e-01, 0, 0, 5.18637242884406370830023853209, 1.09143734899672957818500254654, -8.14978701074692612513997267357, -1.85200656599969598641566180701e+01, 2.27394870993505042818970056734e+01, 2.49360555267965238987089396762, -3.0467644718982195003823669022],
                [2.27331014751653820792359768449, 0, 0, -1.05344954667372501984066689879e+01, -2.00087205822486249909675718444, -1.79589318631187989172765950534e+01, 2.79488845294199600508499808837e+01, -2.85899827713502369474065508674, -8.87285693353062954433549289258, 1.23605671757943030647266201528e+01, 6.43392746015763530355970484046e-01]],
            b: b,
            c: [0, 0.526001519587677318785587544488e-01, 0.789002279381515978178381316732e-01, 0.118350341907227396726757197510, 0.281649658092772603273242802490, 0.333333333333333333333333333333, 0.25, 0.307692307692307692307692307692, 0.651282051282051282051282051282, 0.6, 0.857142857142857142857142857142, 1],
            errorWeights: er, errorOrder: 5, dense: dense, denseOrder: 7,
            denseStagesA: [
                b,
                [5.61675022830479523392909219681e-02, 0, 0, 0, 0, 0, 2.53500210216624811088794765333e-01, -2.46239037470802489917441475441e-01, -1.24191423263816360469010140626e-01, 1.5329179827876569731206322685e-01, 8.20105229563468988491666602057e-03, 7.56789766054569976138603589584e-03, -8.298e-03],
                [3.18346481635021405060768473261e-02, 0, 0, 0, 0, 2.83009096723667755288322961402e-02, 5.35419883074385676223797384372e-02, -5.49237485713909884646569340306e-02, 0, 0, -1.08347328697249322858509316994e-04, 3.82571090835658412954920192323e-04, -3.40465008687404560802977114492e-04, 1.41312443674632500278074618366e-01],
                [-4.28896301583791923408573538692e-01, 0, 0, 0, 0, -4.69762141536116384314449447206, 7.68342119606259904184240953878, 4.06898981839711007970213554331, 3.56727187455281109270669543021e-01, 0, 0, 0, -1.39902416515901462129418009734e-03, 2.9475147891527723389556272149, -9.15095847217987001081870187138],
            ],
            denseStagesC: [1, 0.1, 0.2, 0.777777777777777777777777777778],
            secondErrorWeights: e3);
    }

    // p += w·θ^i·(1 − θ)^j, p holding coefficients by ascending power of θ.
    private static void AddMonomial(double[] p, double w, int i, int j)
    {
        if (w == 0) return;
        double binomial = 1;
        for (int m = 0; m <= j; m++)
        {
            p[i + m] += w * binomial * (m % 2 == 0 ? 1 : -1);
            binomial = binomial * (j - m) / (m + 1);
        }
    }
}
