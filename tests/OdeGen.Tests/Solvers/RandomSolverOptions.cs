namespace OdeGen.Tests.Solvers;

/// <summary>
/// SolverOptions a user could pass, drawn at random over everything that steers a solve (tolerances, norms, controllers,
/// the hold band, step bounds, the first step, the controller's factors, step budgets, save times), for the differential
/// fuzz tests that hold a fast path to the path it must equal.
/// </summary>
internal static class RandomSolverOptions
{
    public static OdeMethod Method(string name) => OdeMethod.BuiltIn.Single(m => m.Name == name);
    public static double LogUniform(Random r, double lo, double hi) => Math.Pow(10, lo + (hi - lo) * r.NextDouble());

    /// <summary>Random options for <paramref name="method"/> over [t0, t1] (length <paramref name="span"/>); <paramref name="fixedStep"/> picks a fixed grid.</summary>
    public static SolverOptions RandomOptions(Random r, string method, bool fixedStep, double span, bool saveAt, double t0, double t1, bool saveSteps = false, bool dense = false, int dimension = 3)
    {
        double[]? save = null;
        if (saveAt)
        {
            int k = 1 + r.Next(4);
            save = new double[k];
            for (int i = 0; i < k; i++) save[i] = t0 + (t1 - t0) * (i == k - 1 && r.Next(2) == 0 ? 1 : r.NextDouble());
            Array.Sort(save);
            if (t1 < t0) Array.Reverse(save);
            save = save.Distinct().ToArray();
        }
        if (fixedStep)
            return new SolverOptions { Method = Method(method), FixedStep = span / (5 + r.Next(200)) * (0.9 + 0.2 * r.NextDouble()), SaveAt = save };
        return new SolverOptions
        {
            Method = Method(method),
            RelTol = LogUniform(r, -10, -3),
            AbsTol = LogUniform(r, -12, -4),
            AbsTolVector = r.Next(4) == 0 ? Enumerable.Range(0, dimension).Select(_ => LogUniform(r, -12, -4)).ToArray() : null,
            Norm = r.Next(2) == 0 ? ErrorNorm.Rms : ErrorNorm.Max,
            Controller = r.Next(2) == 0 ? StepSizeControl.ProportionalIntegral : StepSizeControl.Integral,
            HoldBand = r.Next(3) == 0 ? 0.2 + 0.8 * r.NextDouble() : null,
            MaxStep = r.Next(3) == 0 ? span * LogUniform(r, -3, 0) : double.PositiveInfinity,
            MinStep = r.Next(5) == 0 ? span * LogUniform(r, -9, -5) : 0,
            InitialStep = r.Next(3) == 0 ? span * LogUniform(r, -6, -1) : null,
            Safety = r.Next(2) == 0 ? 0.9 : 0.7 + 0.25 * r.NextDouble(),
            MinFactor = r.Next(2) == 0 ? 0.2 : 0.1 + 0.4 * r.NextDouble(),
            MaxFactor = r.Next(2) == 0 ? 10 : 2 + 8 * r.NextDouble(),
            MaxSteps = r.Next(5) == 0 ? 5 + r.Next(60) : 100_000,
            SaveAt = save,
            SaveSteps = saveSteps,
            Dense = dense,
        };
    }

    public static string Describe(SolverOptions o, double t0, double t1) =>
        $"{o.Method.Name} [{t0}, {t1}] fixed={o.FixedStep} rtol={o.RelTol:G3} atol={o.AbsTol:G3} atolv={(o.AbsTolVector is null ? "-" : "set")} " +
        $"norm={o.Norm} ctl={o.Controller} hold={o.HoldBand} maxStep={o.MaxStep:G3} minStep={o.MinStep:G3} h0={o.InitialStep} " +
        $"safety={o.Safety:G3} fac=[{o.MinFactor:G3}, {o.MaxFactor:G3}] maxSteps={o.MaxSteps} saveAt={(o.SaveAt is null ? "-" : string.Join(",", o.SaveAt))}";

    public static (double T0, double T1) RandomInterval(Random r)
    {
        double t0 = r.Next(3) == 0 ? 0 : 2 * r.NextDouble() - 1, span = 0.05 + 2 * r.NextDouble();
        return r.Next(4) == 0 ? (t0, t0 - span) : (t0, t0 + span);
    }

}
