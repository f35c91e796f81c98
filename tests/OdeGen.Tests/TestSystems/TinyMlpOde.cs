namespace OdeGen.Tests.TestSystems;

/// <summary>
/// A small neural ODE, f(y) = W2·tanh(W1·y + b1) + b2 with n states and H hidden units, derivatives by hand.
/// Many parameters (2nH + H + n) and few states: the case where the adjoint's parameter quadratures dominate the
/// backward state and seminorm error control pays. p = [W1 (H×n, row-major), b1 (H), W2 (n×H, row-major), b2 (n)].
/// </summary>
internal readonly struct TinyMlpOde : IOdeSystem
{
    public const int N = 4, H = 8;
    public int StateCount => N;
    public int ParameterCount => 2 * N * H + H + N;

    private static int B1 => H * N;
    private static int W2 => H * N + H;
    private static int B2 => 2 * H * N + H;

    private static void Hidden(ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> h)
    {
        for (int j = 0; j < H; j++)
        {
            double z = p[B1 + j];
            for (int k = 0; k < N; k++) z += p[j * N + k] * y[k];
            h[j] = Math.Tanh(z);
        }
    }

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[H];
        Hidden(y, p, h);
        for (int i = 0; i < N; i++)
        {
            double s = p[B2 + i];
            for (int j = 0; j < H; j++) s += p[W2 + i * H + j] * h[j];
            dydt[i] = s;
        }
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Span<double> h = stackalloc double[H];
        Span<double> hDot = stackalloc double[H];
        Hidden(y, p, h);
        Evaluate(t, y, p, dydt);
        for (int j = 0; j < H; j++)
        {
            double zDot = pDot[B1 + j];
            for (int k = 0; k < N; k++) zDot += p[j * N + k] * yDot[k] + pDot[j * N + k] * y[k];
            hDot[j] = (1 - h[j] * h[j]) * zDot;
        }
        for (int i = 0; i < N; i++)
        {
            double s = pDot[B2 + i];
            for (int j = 0; j < H; j++) s += p[W2 + i * H + j] * hDot[j] + pDot[W2 + i * H + j] * h[j];
            dydtDot[i] = s;
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        Span<double> h = stackalloc double[H];
        Hidden(y, p, h);
        for (int i = 0; i < N; i++) pBar[B2 + i] += a[i];
        for (int j = 0; j < H; j++)
        {
            double hBar = 0;
            for (int i = 0; i < N; i++)
            {
                pBar[W2 + i * H + j] += a[i] * h[j];
                hBar += a[i] * p[W2 + i * H + j];
            }
            double zBar = hBar * (1 - h[j] * h[j]);
            pBar[B1 + j] += zBar;
            for (int k = 0; k < N; k++)
            {
                pBar[j * N + k] += zBar * y[k];
                yBar[k] += zBar * p[j * N + k];
            }
        }
        return 0.0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        Span<double> h = stackalloc double[H];
        Hidden(y, p, h);
        int m = ParameterCount;
        dfdy[..(N * N)].Clear();
        dfdp[..(N * m)].Clear();
        for (int i = 0; i < N; i++)
        {
            dfdp[i * m + B2 + i] = 1;
            for (int j = 0; j < H; j++)
            {
                double g = p[W2 + i * H + j] * (1 - h[j] * h[j]);
                dfdp[i * m + W2 + i * H + j] = h[j];
                dfdp[i * m + B1 + j] = g;
                for (int k = 0; k < N; k++)
                {
                    dfdy[i * N + k] += g * p[j * N + k];
                    dfdp[i * m + j * N + k] = g * y[k];
                }
            }
        }
    }

    /// <summary>Deterministic weights of moderate size (a fixed linear congruential sequence).</summary>
    public static double[] Parameters(uint seed)
    {
        var p = new double[2 * N * H + H + N];
        for (int i = 0; i < p.Length; i++)
        {
            seed = seed * 1664525u + 1013904223u;
            p[i] = (seed / (double)uint.MaxValue * 2 - 1) * 0.8;
        }
        return p;
    }
}
