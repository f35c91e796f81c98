using static OdeGen.Benchmarks.LoopDopri5;

namespace OdeGen.Benchmarks;

/// <summary>
/// The floor of issue #20 item 1: Dormand–Prince 5(4) written for Lorenz alone, every state and stage in a local (no arrays,
/// no tableau, no checks), so the JIT keeps the whole step in registers. Two controllers:
/// <list type="bullet">
/// <item><see cref="Solve"/> with <c>boostLike: false</c>: Ode.Solve's, the RMS norm of err / (atol + rtol·max(|y|, |y_new|)) and
/// the PI controller (α = 0.7/5, β = 0.4/5, safety 0.9, factors in [0.2, 10], no growth after a rejection), with Math.Pow;</item>
/// <item><c>boostLike: true</c>: Boost.Odeint's <c>controlled_runge_kutta</c> as its documentation describes it, the max norm of
/// err / (atol + rtol·(|y| + h·|f(y)|)); a rejected step shrinks by max(0.9·err^(−1/3), 0.2); an accepted one grows by
/// 0.9·max(err, 5^−5)^(−1/5) only when err &lt; 0.5, and keeps its size otherwise (so most steps call no pow at all).</item>
/// </list>
/// Not a solver (no end-time checks beyond landing on t1, no failure statuses): what the step costs when nothing but its
/// arithmetic and its controller is left, measured beside Ode.Solve and Boost (BENCHMARKS.md, 6 December 2026, 06:49–07:50).
/// </summary>
public static class LorenzRegisterDopri5
{
    private struct V
    {
        public double X, Y, Z;
        public V(double x, double y, double z) { X = x; Y = y; Z = z; }
    }

    private static V F(in V v, double s, double r, double b) => new(s * (v.Y - v.X), v.X * (r - v.Z) - v.Y, v.X * v.Y - b * v.Z);

    private static V Add(in V a, double w, in V k) => new(a.X + w * k.X, a.Y + w * k.Y, a.Z + w * k.Z);

    /// <summary>Solves Lorenz (p = σ, ρ, β) from y0 at t = 0 to <paramref name="t1"/>; returns the accepted steps, the state in y.</summary>
    public static int Solve(ReadOnlySpan<double> p, Span<double> y, double t1, double tolerance, double firstStep, bool boostLike)
    {
        double s = p[0], r = p[1], b = p[2];
        var y0 = new V(y[0], y[1], y[2]);
        V k1 = F(y0, s, r, b);
        double t = 0, h = firstStep, previous = 1e-4;
        int steps = 0;
        bool rejected = false;
        while (t < t1)
        {
            bool last = t + h >= t1;
            if (last) h = t1 - t;
            V k2 = F(Add(y0, h * A21, k1), s, r, b);
            V k3 = F(Add(Add(y0, h * A31, k1), h * A32, k2), s, r, b);
            V k4 = F(Add(Add(Add(y0, h * A41, k1), h * A42, k2), h * A43, k3), s, r, b);
            V k5 = F(Add(Add(Add(Add(y0, h * A51, k1), h * A52, k2), h * A53, k3), h * A54, k4), s, r, b);
            V k6 = F(Add(Add(Add(Add(Add(y0, h * A61, k1), h * A62, k2), h * A63, k3), h * A64, k4), h * A65, k5), s, r, b);
            V y1 = Add(Add(Add(Add(Add(y0, h * A71, k1), h * A73, k3), h * A74, k4), h * A75, k5), h * A76, k6);
            V k7 = F(y1, s, r, b);
            V e = Add(Add(Add(Add(Add(Add(default, h * E1, k1), h * E3, k3), h * E4, k4), h * E5, k5), h * E6, k6), h * E7, k7);
            double error, factor;
            if (boostLike)
            {
                double ah = Math.Abs(h);
                error = Math.Max(Math.Abs(e.X) / (tolerance + tolerance * (Math.Abs(y0.X) + ah * Math.Abs(k1.X))),
                    Math.Max(Math.Abs(e.Y) / (tolerance + tolerance * (Math.Abs(y0.Y) + ah * Math.Abs(k1.Y))),
                        Math.Abs(e.Z) / (tolerance + tolerance * (Math.Abs(y0.Z) + ah * Math.Abs(k1.Z)))));
                factor = error > 1 ? Math.Max(0.9 * Math.Pow(error, -1.0 / 3), 0.2)
                    : error < 0.5 ? 0.9 * Math.Pow(Math.Max(error, 3.2e-4), -1.0 / 5) : 1.0;
            }
            else
            {
                double ex = e.X / (tolerance + tolerance * Math.Max(Math.Abs(y0.X), Math.Abs(y1.X)));
                double ey = e.Y / (tolerance + tolerance * Math.Max(Math.Abs(y0.Y), Math.Abs(y1.Y)));
                double ez = e.Z / (tolerance + tolerance * Math.Max(Math.Abs(y0.Z), Math.Abs(y1.Z)));
                error = Math.Sqrt((ex * ex + ey * ey + ez * ez) / 3);
                factor = error > 1 ? Math.Max(0.2, 0.9 * Math.Pow(error, -0.7 / 5))
                    : Math.Clamp(0.9 * Math.Pow(error, -0.7 / 5) * Math.Pow(previous, 0.4 / 5), 0.2, rejected ? 1.0 : 10.0);
            }
            if (error <= 1)
            {
                t = last ? t1 : t + h;
                y0 = y1;
                k1 = k7;
                previous = Math.Max(error, 1e-4);
                rejected = false;
                steps++;
            }
            else rejected = true;
            h *= factor;
        }
        y[0] = y0.X;
        y[1] = y0.Y;
        y[2] = y0.Z;
        return steps;
    }
}
