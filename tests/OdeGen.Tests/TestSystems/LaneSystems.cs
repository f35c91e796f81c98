using OdeGen.Lanes;

namespace OdeGen.Tests.TestSystems;

// Hand-written lane systems: independent of the generator, so they also check its lane output later.
// Each writes its scalar methods and its lane methods separately (the lane ones generic over TLane).

/// <summary>Lorenz: y' = (σ(y1 − y0), y0(ρ − y2) − y1, y0·y1 − β·y2), p = (σ, ρ, β).</summary>
public readonly struct LorenzLanes : IOdeLaneSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[0] * (y[1] - y[0]);
        dydt[1] = y[0] * (p[1] - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - p[2] * y[2];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
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
        dfdy.Clear();
        dfdp.Clear();
        dfdy[0] = -p[0]; dfdy[1] = p[0];
        dfdy[3] = p[1] - y[2]; dfdy[4] = -1; dfdy[5] = -y[0];
        dfdy[6] = y[1]; dfdy[7] = y[0]; dfdy[8] = -p[2];
        dfdp[0] = y[1] - y[0];
        dfdp[4] = y[0];
        dfdp[8] = -y[2];
    }

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        dydt[0] = p[0] * (y[1] - y[0]);
        dydt[1] = y[0] * (p[1] - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - p[2] * y[2];
    }

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane>
    {
        EvaluateLanes(t, y, p, dydt);
        dydtDot[0] = pDot[0] * (y[1] - y[0]) + p[0] * (yDot[1] - yDot[0]);
        dydtDot[1] = yDot[0] * (p[1] - y[2]) + y[0] * (pDot[1] - yDot[2]) - yDot[1];
        dydtDot[2] = yDot[0] * y[1] + y[0] * yDot[1] - pDot[2] * y[2] - p[2] * yDot[2];
    }

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane>
    {
        yBar[0] += -p[0] * a[0] + (p[1] - y[2]) * a[1] + y[1] * a[2];
        yBar[1] += p[0] * a[0] - a[1] + y[0] * a[2];
        yBar[2] += -y[0] * a[1] - p[2] * a[2];
        pBar[0] += (y[1] - y[0]) * a[0];
        pBar[1] += y[0] * a[1];
        pBar[2] += -y[2] * a[2];
        return TLane.Zero;
    }
}

/// <summary>
/// A tanh MLP 2 → H → 2 with time as a third input: f = W2·tanh(W1·y + w·t + b1) + b2.
/// p = [W1 (H×2, row-major), w (H), b1 (H), W2 (2×H), b2 (2)].
/// </summary>
public readonly struct TanhMlpLanes : IOdeLaneSystem
{
    public const int H = 8;
    private const int W1 = 0, Wt = 2 * H, B1 = 3 * H, W2 = 4 * H, B2 = 6 * H;
    public int StateCount => 2;
    public int ParameterCount => 6 * H + 2;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[B2];
        dydt[1] = p[B2 + 1];
        for (int j = 0; j < H; j++)
        {
            double h = Math.Tanh(p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * t + p[B1 + j]);
            dydt[0] += p[W2 + j] * h;
            dydt[1] += p[W2 + H + j] * h;
        }
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = p[B2]; dydt[1] = p[B2 + 1];
        dydtDot[0] = pDot[B2]; dydtDot[1] = pDot[B2 + 1];
        for (int j = 0; j < H; j++)
        {
            double z = p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * t + p[B1 + j];
            double zDot = pDot[W1 + 2 * j] * y[0] + p[W1 + 2 * j] * yDot[0] + pDot[W1 + 2 * j + 1] * y[1] + p[W1 + 2 * j + 1] * yDot[1]
                + pDot[Wt + j] * t + p[Wt + j] * tDot + pDot[B1 + j];
            double h = Math.Tanh(z), hDot = (1 - h * h) * zDot;
            dydt[0] += p[W2 + j] * h;
            dydt[1] += p[W2 + H + j] * h;
            dydtDot[0] += pDot[W2 + j] * h + p[W2 + j] * hDot;
            dydtDot[1] += pDot[W2 + H + j] * h + p[W2 + H + j] * hDot;
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        double tBar = 0;
        pBar[B2] += a[0];
        pBar[B2 + 1] += a[1];
        for (int j = 0; j < H; j++)
        {
            double h = Math.Tanh(p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * t + p[B1 + j]);
            pBar[W2 + j] += a[0] * h;
            pBar[W2 + H + j] += a[1] * h;
            double zBar = (a[0] * p[W2 + j] + a[1] * p[W2 + H + j]) * (1 - h * h);
            pBar[W1 + 2 * j] += zBar * y[0];
            pBar[W1 + 2 * j + 1] += zBar * y[1];
            pBar[Wt + j] += zBar * t;
            pBar[B1 + j] += zBar;
            yBar[0] += zBar * p[W1 + 2 * j];
            yBar[1] += zBar * p[W1 + 2 * j + 1];
            tBar += zBar * p[Wt + j];
        }
        return tBar;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        int m = ParameterCount;
        Span<double> a = stackalloc double[2], yBar = stackalloc double[2];
        for (int i = 0; i < 2; i++)
        {
            a.Clear(); a[i] = 1;
            yBar.Clear();
            Span<double> row = dfdp.Slice(i * m, m);
            row.Clear();
            Vjp(t, y, p, a, yBar, row);
            dfdy[2 * i] = yBar[0];
            dfdy[2 * i + 1] = yBar[1];
        }
    }

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        TLane tl = TLane.Create(t);
        TLane f0 = p[B2], f1 = p[B2 + 1];
        for (int j = 0; j < H; j++)
        {
            TLane h = TLane.Tanh(p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * tl + p[B1 + j]);
            f0 += p[W2 + j] * h;
            f1 += p[W2 + H + j] * h;
        }
        dydt[0] = f0;
        dydt[1] = f1;
    }

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane>
    {
        TLane tl = TLane.Create(t), tDotL = TLane.Create(tDot), one = TLane.Create(1);
        TLane f0 = p[B2], f1 = p[B2 + 1], g0 = pDot[B2], g1 = pDot[B2 + 1];
        for (int j = 0; j < H; j++)
        {
            TLane z = p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * tl + p[B1 + j];
            TLane zDot = pDot[W1 + 2 * j] * y[0] + p[W1 + 2 * j] * yDot[0] + pDot[W1 + 2 * j + 1] * y[1] + p[W1 + 2 * j + 1] * yDot[1]
                + pDot[Wt + j] * tl + p[Wt + j] * tDotL + pDot[B1 + j];
            TLane h = TLane.Tanh(z), hDot = (one - h * h) * zDot;
            f0 += p[W2 + j] * h;
            f1 += p[W2 + H + j] * h;
            g0 += pDot[W2 + j] * h + p[W2 + j] * hDot;
            g1 += pDot[W2 + H + j] * h + p[W2 + H + j] * hDot;
        }
        dydt[0] = f0; dydt[1] = f1;
        dydtDot[0] = g0; dydtDot[1] = g1;
    }

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane>
    {
        TLane tl = TLane.Create(t), one = TLane.Create(1), tBar = TLane.Zero;
        pBar[B2] += a[0];
        pBar[B2 + 1] += a[1];
        for (int j = 0; j < H; j++)
        {
            TLane h = TLane.Tanh(p[W1 + 2 * j] * y[0] + p[W1 + 2 * j + 1] * y[1] + p[Wt + j] * tl + p[B1 + j]);
            pBar[W2 + j] += a[0] * h;
            pBar[W2 + H + j] += a[1] * h;
            TLane zBar = (a[0] * p[W2 + j] + a[1] * p[W2 + H + j]) * (one - h * h);
            pBar[W1 + 2 * j] += zBar * y[0];
            pBar[W1 + 2 * j + 1] += zBar * y[1];
            pBar[Wt + j] += zBar * tl;
            pBar[B1 + j] += zBar;
            yBar[0] += zBar * p[W1 + 2 * j];
            yBar[1] += zBar * p[W1 + 2 * j + 1];
            tBar += zBar * p[Wt + j];
        }
        return tBar;
    }

    /// <summary>Seeded weights of moderate size (the trajectories stay O(1) over [0, 1]).</summary>
    public static double[] Weights(int seed, double scale = 0.8)
    {
        var rng = new Random(seed);
        var w = new double[6 * H + 2];
        for (int i = 0; i < w.Length; i++) w[i] = scale * (2 * rng.NextDouble() - 1);
        return w;
    }
}

/// <summary>y' = p0·y² (blows up at t = 1/(p0·y0)): a trajectory that fails while its neighbours do not.</summary>
public readonly struct BlowUpLanes : IOdeLaneSystem
{
    public int StateCount => 1;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = p[0] * y[0] * y[0];
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = p[0] * y[0] * y[0];
        dydtDot[0] = pDot[0] * y[0] * y[0] + 2 * p[0] * y[0] * yDot[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += 2 * p[0] * y[0] * a[0];
        pBar[0] += y[0] * y[0] * a[0];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = 2 * p[0] * y[0];
        dfdp[0] = y[0] * y[0];
    }
    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane> => dydt[0] = p[0] * y[0] * y[0];
    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane>
    {
        dydt[0] = p[0] * y[0] * y[0];
        dydtDot[0] = pDot[0] * y[0] * y[0] + TLane.Create(2) * p[0] * y[0] * yDot[0];
    }
    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane>
    {
        yBar[0] += TLane.Create(2) * p[0] * y[0] * a[0];
        pBar[0] += y[0] * y[0] * a[0];
        return TLane.Zero;
    }
}

/// <summary>y' = −y in lanes that throws InvalidOperationException("the model failed") after t = 0.5: an exception from the user's own code.</summary>
public readonly struct ThrowingLanes : IOdeLaneSystem
{
    public int StateCount => 1;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => throw new InvalidOperationException("scalar");
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot) => throw new InvalidOperationException("scalar");
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        throw new InvalidOperationException("scalar");
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        throw new InvalidOperationException("scalar");
    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        if (t > 0.5) throw new InvalidOperationException("the model failed");
        dydt[0] = -y[0];
    }
    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane> => throw new InvalidOperationException();
    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane> => throw new InvalidOperationException();
}
