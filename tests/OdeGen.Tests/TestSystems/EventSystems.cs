namespace OdeGen.Tests.TestSystems;

/// <summary>
/// A bouncing ball y = [h, v], f = [v, −g], θ = [g, e]: the event h = 0 (falling) resets v⁺ = −e·v⁻.
/// From height H at rest the closed form is: first impact t1 = √(2H/g) at speed u = √(2gH); the k-th rebound
/// leaves at speed eᵏu, peaks at H·e²ᵏ and lands after 2eᵏu/g.
/// </summary>
internal readonly struct BouncingBall : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 2;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = yDot[1];
        dydtDot[1] = -pDot[0];
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[1] += a[0];
        pBar[0] -= a[1];
        return 0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy.Clear();
        dfdp.Clear();
        dfdy[1] = 1;
        dfdp[2] = -1;
    }

    /// <summary>The ground: h = 0 while falling, with the bounce v⁺ = −e·v⁻ and its Jacobians.</summary>
    public static OdeEvent Ground() => OdeEvent.StateCrossing(0, 0.0, EventDirection.Falling, Bounce);

    /// <summary>The bounce reset v⁺ = −e·v⁻.</summary>
    public static readonly OdeReset Bounce = new(
        (y, p, yPlus) => { yPlus[0] = y[0]; yPlus[1] = -p[1] * y[1]; },
        (y, p, dhdy, dhdp) => { dhdy[0] = 1; dhdy[3] = -p[1]; dhdp[3] = -y[1]; });

    /// <summary>Closed form: the k-th impact time (k ≥ 1) for height H, gravity g and restitution e.</summary>
    public static double ImpactTime(int k, double h, double g, double e)
    {
        double u = Math.Sqrt(2 * g * h), t = Math.Sqrt(2 * h / g);
        for (int j = 1; j < k; j++) t += 2 * Math.Pow(e, j) * u / g;
        return t;
    }
}

/// <summary>
/// A damped nonlinear pendulum y = [x, v], f = [v, −k·sin x − c·v + a·t], θ = [k, c, a] (∂f/∂t ≠ 0), stopped by a terminal event.
/// </summary>
internal readonly struct DrivenPendulum : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 3;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0] * Math.Sin(y[0]) - p[1] * y[1] + p[2] * t;
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = yDot[1];
        dydtDot[1] = -pDot[0] * Math.Sin(y[0]) - p[0] * Math.Cos(y[0]) * yDot[0] - pDot[1] * y[1] - p[1] * yDot[1]
            + pDot[2] * t + p[2] * tDot;
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * Math.Cos(y[0]) * a[1];
        yBar[1] += a[0] - p[1] * a[1];
        pBar[0] += -Math.Sin(y[0]) * a[1];
        pBar[1] += -y[1] * a[1];
        pBar[2] += t * a[1];
        return p[2] * a[1];
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = 0; dfdy[1] = 1;
        dfdy[2] = -p[0] * Math.Cos(y[0]); dfdy[3] = -p[1];
        dfdp[0] = 0; dfdp[1] = 0; dfdp[2] = 0;
        dfdp[3] = -Math.Sin(y[0]); dfdp[4] = -y[1]; dfdp[5] = t;
    }
}
