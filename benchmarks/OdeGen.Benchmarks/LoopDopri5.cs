namespace OdeGen.Benchmarks;

/// <summary>
/// The baseline solver of the solve benchmarks: Dormand–Prince 5(4) written out by hand as one loop, with the
/// same semantics as the runtime's Dopri5 so that the two take the same steps: RMS error norm scaled by
/// atol + rtol·max(|y|, |y_new|), PI step-size control (α = 0.7/5, β = 0.4/5, safety 0.9, factors in [0.2, 10],
/// no growth right after a rejection), Hairer's automatic first step, FSAL. No dense output, no saving, no
/// checks beyond a step budget: what a careful engineer would write for one problem, and so the floor that
/// the generic tableau-driven stepper is measured against.
/// </summary>
public sealed class LoopDopri5
{
    private const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    // Internal: LorenzRegisterDopri5 takes its tableau from here.
    internal const double A21 = 1.0 / 5;
    internal const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    internal const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    internal const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    internal const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    internal const double A71 = 35.0 / 384, A73 = 500.0 / 1113, A74 = 125.0 / 192, A75 = -2187.0 / 6784, A76 = 11.0 / 84;
    // Error weights: the fifth-order weights (the last row of A) minus the embedded fourth-order ones.
    internal const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;
    private const double Alpha = 0.7 / 5, Beta = 0.4 / 5, Safety = 0.9, MinFactor = 0.2, MaxFactor = 10;

    private readonly int _n;
    private readonly double[] _y, _yNew, _arg, _k1, _k2, _k3, _k4, _k5, _k6, _k7;

    /// <summary>Allocates the workspace for systems of <paramref name="n"/> states.</summary>
    public LoopDopri5(int n)
    {
        _n = n;
        _y = new double[n]; _yNew = new double[n]; _arg = new double[n];
        _k1 = new double[n]; _k2 = new double[n]; _k3 = new double[n]; _k4 = new double[n];
        _k5 = new double[n]; _k6 = new double[n]; _k7 = new double[n];
    }

    /// <summary>The state after the last <see cref="Solve{TSystem}"/>.</summary>
    public ReadOnlySpan<double> State => _y;

    /// <summary>Accepted steps, rejected steps and evaluations of f of the last solve.</summary>
    public int Steps, Rejected, Evaluations;

    /// <summary>
    /// An ablation for <see cref="AdaptiveStepBreakdownBenchmarks"/>, not a solver: the controller's power replaced by a
    /// crude pow-free stand-in (2^(a·log2 x) from the exponent bits and a linear mantissa, a few % off), so that the time it
    /// leaves shows what the power costs on the chain from one step's error to the next step's size. The steps differ a little
    /// (the stand-in is not err^(−α)); compare ns per accepted step, not whole solves.
    /// </summary>
    public bool PowFreeController { get; init; }

    /// <summary>Solves from (t0, y0) to t1 &gt; t0; returns false when the step budget runs out.</summary>
    public bool Solve<TSystem>(in TSystem f, ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0, double t1,
        double rtol, double atol, int maxSteps = 100_000) where TSystem : struct, IOdeSystem
    {
        int n = _n;
        double[] y = _y, yNew = _yNew, arg = _arg, k1 = _k1, k2 = _k2, k3 = _k3, k4 = _k4, k5 = _k5, k6 = _k6, k7 = _k7;
        y0.CopyTo(y);
        Steps = Rejected = 0;
        Evaluations = 1;
        f.Evaluate(t0, y, p, k1);
        double h = InitialStep(f, p, t0, t1, rtol, atol), t = t0, previousError = 1e-4;
        bool lastRejected = false;
        for (int attempt = 0; attempt < maxSteps; attempt++)
        {
            bool last = false;
            double remaining = t1 - t;
            if (h >= remaining || remaining - h <= 1e-8 * h) { h = remaining; last = true; }

            for (int i = 0; i < n; i++) arg[i] = y[i] + h * (A21 * k1[i]);
            f.Evaluate(t + C2 * h, arg, p, k2);
            for (int i = 0; i < n; i++) arg[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
            f.Evaluate(t + C3 * h, arg, p, k3);
            for (int i = 0; i < n; i++) arg[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
            f.Evaluate(t + C4 * h, arg, p, k4);
            for (int i = 0; i < n; i++) arg[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
            f.Evaluate(t + C5 * h, arg, p, k5);
            for (int i = 0; i < n; i++) arg[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
            f.Evaluate(t + h, arg, p, k6);
            for (int i = 0; i < n; i++) yNew[i] = y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
            f.Evaluate(t + h, yNew, p, k7);
            Evaluations += 6;

            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
                double scale = atol + rtol * Math.Max(Math.Abs(y[i]), Math.Abs(yNew[i]));
                sum += (e / scale) * (e / scale);
            }
            double error = Math.Sqrt(sum / n);

            if (error <= 1.0)
            {
                double factor;
                if (error == 0) factor = MaxFactor;
                else if (PowFreeController) factor = Safety * CrudePow(error, -Alpha) * CrudePow(previousError, Beta);
                else
                {
                    (double errorPower, double previousPower) = OdeGen.Solvers.StepSizeController.Pow(error, -Alpha, previousError, Beta);
                    factor = Safety * errorPower * previousPower;
                }
                factor = Math.Clamp(factor, MinFactor, lastRejected ? 1.0 : MaxFactor);
                previousError = Math.Max(error, 1e-4);
                lastRejected = false;
                t = last ? t1 : t + h;
                Array.Copy(yNew, y, n);
                Array.Copy(k7, k1, n);   // FSAL: f at the new point is the next step's first stage
                Steps++;
                if (last) return true;
                h *= factor;
            }
            else
            {
                Rejected++;
                lastRejected = true;
                h *= Math.Max(MinFactor, Safety * Pow(error, -Alpha));
            }
        }
        return false;
    }

    // The runtime controller's own power (StepSizeController.Pow, not Math.Pow since 5 December 2026), so both take the same steps.
    private double Pow(double x, double a) => PowFreeController ? CrudePow(x, a) : OdeGen.Solvers.StepSizeController.Pow(x, a);

    // x^a for x > 0 as 2^(a·log2 x), log2 x from the exponent bits plus the mantissa − 1 (exact at powers of two, a few % off
    // between), 2^z from the integer part's exponent bits times 1 + the fraction: a handful of instructions, no call.
    private static double CrudePow(double x, double a)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        double log2 = ((bits >> 52) - 1023) + (BitConverter.Int64BitsToDouble((bits & 0xF_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L) - 1.0);
        double z = a * log2, whole = Math.Floor(z);
        return BitConverter.Int64BitsToDouble(((long)whole + 1023) << 52) * (1.0 + (z - whole));
    }

    // Hairer, Nørsett & Wanner, Solving ODEs I, II.4 (k1 holds f(t0, y0)).
    private double InitialStep<TSystem>(in TSystem f, ReadOnlySpan<double> p, double t0, double t1, double rtol, double atol)
        where TSystem : struct, IOdeSystem
    {
        int n = _n;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < n; i++)
        {
            double scale = atol + rtol * Math.Abs(_y[i]);
            d0 += (_y[i] / scale) * (_y[i] / scale);
            d1 += (_k1[i] / scale) * (_k1[i] / scale);
        }
        d0 = Math.Sqrt(d0 / n);
        d1 = Math.Sqrt(d1 / n);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(h0, t1 - t0);
        for (int i = 0; i < n; i++) _arg[i] = _y[i] + h0 * _k1[i];
        f.Evaluate(t0 + h0, _arg, p, _k2);
        Evaluations++;
        double d2 = 0;
        for (int i = 0; i < n; i++)
        {
            double scale = atol + rtol * Math.Abs(_y[i]);
            d2 += ((_k2[i] - _k1[i]) / scale) * ((_k2[i] - _k1[i]) / scale);
        }
        d2 = Math.Sqrt(d2 / n) / h0;
        double dMax = Math.Max(d1, d2);
        double h1 = dMax <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : OdeGen.Solvers.StepSizeController.Pow(0.01 / dMax, 1.0 / 6);
        return Math.Min(100 * h0, h1);
    }
}
