// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Lorenz '63 with derivatives written by hand (independent of the generator):
/// f = [σ(y1 − y0), y0(ρ − y2) − y1, y0·y1 − β·y2], p = (σ, ρ, β).
/// </summary>
internal readonly struct HandLorenz : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double s = p[0], r = p[1], b = p[2];
        dydt[0] = s * (y[1] - y[0]);
        dydt[1] = y[0] * (r - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - b * y[2];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        double s = p[0], r = p[1], b = p[2];
        Evaluate(t, y, p, dydt);
        dydtDot[0] = s * (yDot[1] - yDot[0]) + pDot[0] * (y[1] - y[0]);
        dydtDot[1] = yDot[0] * (r - y[2]) + y[0] * (pDot[1] - yDot[2]) - yDot[1];
        dydtDot[2] = yDot[0] * y[1] + y[0] * yDot[1] - pDot[2] * y[2] - b * yDot[2];
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        double s = p[0], r = p[1], b = p[2];
        yBar[0] += -s * a[0] + (r - y[2]) * a[1] + y[1] * a[2];
        yBar[1] += s * a[0] - a[1] + y[0] * a[2];
        yBar[2] += -y[0] * a[1] - b * a[2];
        pBar[0] += (y[1] - y[0]) * a[0];
        pBar[1] += y[0] * a[1];
        pBar[2] += -y[2] * a[2];
        return 0.0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        double s = p[0], r = p[1], b = p[2];
        dfdy[0] = -s; dfdy[1] = s; dfdy[2] = 0;
        dfdy[3] = r - y[2]; dfdy[4] = -1; dfdy[5] = -y[0];
        dfdy[6] = y[1]; dfdy[7] = y[0]; dfdy[8] = -b;
        dfdp[0] = y[1] - y[0]; dfdp[1] = 0; dfdp[2] = 0;
        dfdp[3] = 0; dfdp[4] = y[0]; dfdp[5] = 0;
        dfdp[6] = 0; dfdp[7] = 0; dfdp[8] = -y[2];
    }
}

/// <summary>
/// A damped oscillator with a time-dependent force, so ∂f/∂t ≠ 0:
/// f = [y1, −k·y0 − c·y1 + A·sin(ω t)], p = (k, c, A, ω).
/// </summary>
internal readonly struct ForcedOscillator : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 4;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0] * y[0] - p[1] * y[1] + p[2] * Math.Sin(p[3] * t);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        double sin = Math.Sin(p[3] * t), cos = Math.Cos(p[3] * t);
        dydtDot[0] = yDot[1];
        dydtDot[1] = -p[0] * yDot[0] - pDot[0] * y[0] - p[1] * yDot[1] - pDot[1] * y[1]
                     + pDot[2] * sin + p[2] * cos * (pDot[3] * t + p[3] * tDot);
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        double sin = Math.Sin(p[3] * t), cos = Math.Cos(p[3] * t);
        yBar[0] += -p[0] * a[1];
        yBar[1] += a[0] - p[1] * a[1];
        pBar[0] += -y[0] * a[1];
        pBar[1] += -y[1] * a[1];
        pBar[2] += sin * a[1];
        pBar[3] += p[2] * cos * t * a[1];
        return p[2] * cos * p[3] * a[1];
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        double sin = Math.Sin(p[3] * t), cos = Math.Cos(p[3] * t);
        dfdy[0] = 0; dfdy[1] = 1;
        dfdy[2] = -p[0]; dfdy[3] = -p[1];
        dfdp[0] = 0; dfdp[1] = 0; dfdp[2] = 0; dfdp[3] = 0;
        dfdp[4] = -y[0]; dfdp[5] = -y[1]; dfdp[6] = sin; dfdp[7] = p[2] * cos * t;
    }
}

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

/// <summary>
/// A chain of 64 cells with diffusion, decay and a source: f_i = D·(y_{i−1} − 2y_i + y_{i+1}) − k·y_i + s
/// (y_{−1} = y_64 = 0), p = (D, k, s). Many states and few parameters: the memory of a per-step record shows.
/// </summary>
internal readonly struct DiffusionChain : IOdeSystem
{
    public const int N = 64;
    public int StateCount => N;
    public int ParameterCount => 3;

    private static double Laplacian(ReadOnlySpan<double> y, int i) =>
        (i > 0 ? y[i - 1] : 0) - 2 * y[i] + (i < N - 1 ? y[i + 1] : 0);

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < N; i++) dydt[i] = p[0] * Laplacian(y, i) - p[1] * y[i] + p[2];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        for (int i = 0; i < N; i++)
            dydtDot[i] = p[0] * Laplacian(yDot, i) + pDot[0] * Laplacian(y, i) - p[1] * yDot[i] - pDot[1] * y[i] + pDot[2];
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar)
    {
        // The Laplacian is symmetric, so aᵀ∂f/∂y = D·Lap(a) − k·a.
        for (int i = 0; i < N; i++)
        {
            yBar[i] += p[0] * Laplacian(a, i) - p[1] * a[i];
            pBar[0] += a[i] * Laplacian(y, i);
            pBar[1] -= a[i] * y[i];
            pBar[2] += a[i];
        }
        return 0.0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[..(N * N)].Clear();
        for (int i = 0; i < N; i++)
        {
            dfdy[i * N + i] = -2 * p[0] - p[1];
            if (i > 0) dfdy[i * N + i - 1] = p[0];
            if (i < N - 1) dfdy[i * N + i + 1] = p[0];
            dfdp[i * 3] = Laplacian(y, i);
            dfdp[i * 3 + 1] = -y[i];
            dfdp[i * 3 + 2] = 1;
        }
    }
}
