using OdeGen.Solvers;

namespace OdeGen.Tests.TestSystems;

// Hand-written systems with exact derivatives, so the solver and sensitivity tests do not depend on the generator.

/// <summary>y' = −k·y (one state, p = [k]); y(t) = y0·exp(−k(t − t0)).</summary>
internal readonly struct DecaySystem : IOdeSystem
{
    public int StateCount => 1;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = -p[0] * y[0];
        dydtDot[0] = -p[0] * yDot[0] - pDot[0] * y[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * a[0];
        pBar[0] += -y[0] * a[0];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0];
        dfdp[0] = -y[0];
    }
}

/// <summary>Harmonic oscillator x'' = −ω²x as y = (x, v), p = [ω]; x = cos ωt, v = −ω sin ωt from (1, 0).</summary>
internal readonly struct OscillatorSystem : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0] * p[0] * y[0];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = yDot[1];
        dydtDot[1] = -p[0] * p[0] * yDot[0] - 2 * p[0] * pDot[0] * y[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * p[0] * a[1];
        yBar[1] += a[0];
        pBar[0] += -2 * p[0] * y[0] * a[1];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = 0; dfdy[1] = 1;
        dfdy[2] = -p[0] * p[0]; dfdy[3] = 0;
        dfdp[0] = 0;
        dfdp[1] = -2 * p[0] * y[0];
    }

    public static void Exact(double omega, double t, Span<double> y)
    {
        y[0] = Math.Cos(omega * t);
        y[1] = -omega * Math.Sin(omega * t);
    }
}

/// <summary>Lorenz '63, p = [σ, ρ, β], with derivatives written by hand (independent of the generator).</summary>
internal readonly struct HandLorenz : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[0] * (y[1] - y[0]);
        dydt[1] = y[0] * (p[1] - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - p[2] * y[2];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = pDot[0] * (y[1] - y[0]) + p[0] * (yDot[1] - yDot[0]);
        dydtDot[1] = yDot[0] * (p[1] - y[2]) + y[0] * (pDot[1] - yDot[2]) - yDot[1];
        dydtDot[2] = yDot[0] * y[1] + y[0] * yDot[1] - pDot[2] * y[2] - p[2] * yDot[2];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * a[0] + (p[1] - y[2]) * a[1] + y[1] * a[2];
        yBar[1] += p[0] * a[0] - a[1] + y[0] * a[2];
        yBar[2] += -y[0] * a[1] - p[2] * a[2];
        pBar[0] += (y[1] - y[0]) * a[0];
        pBar[1] += y[0] * a[1];
        pBar[2] += -y[2] * a[2];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0]; dfdy[1] = p[0]; dfdy[2] = 0;
        dfdy[3] = p[1] - y[2]; dfdy[4] = -1; dfdy[5] = -y[0];
        dfdy[6] = y[1]; dfdy[7] = y[0]; dfdy[8] = -p[2];
        dfdp[0] = y[1] - y[0]; dfdp[1] = 0; dfdp[2] = 0;
        dfdp[3] = 0; dfdp[4] = y[0]; dfdp[5] = 0;
        dfdp[6] = 0; dfdp[7] = 0; dfdp[8] = -y[2];
    }
}

/// <summary>y' = y² (no parameters): from y0 = 1 at t = 0, y = 1/(1 − t) blows up at t = 1.</summary>
internal readonly struct BlowUpSystem : IOdeSystem
{
    public int StateCount => 1;
    public int ParameterCount => 0;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0] * y[0];
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = y[0] * y[0];
        dydtDot[0] = 2 * y[0] * yDot[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += 2 * y[0] * a[0];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) => dfdy[0] = 2 * y[0];
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
