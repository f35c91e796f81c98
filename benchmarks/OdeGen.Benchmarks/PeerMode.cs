using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OdeGen.Samples;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// The console mode behind benchmarks/run-peers.sh: measures our side of every peer comparison on the same
/// inputs and tolerances as the C and C++ programs in benchmarks/peers, with the same timing method (median over
/// samples, each sample a batch of solves long enough to time), reads the peers' RESULT lines, and prints one
/// table of ratios (ours / theirs) with the accuracy of each side against a tight-tolerance reference.
/// </summary>
/// <remarks>
/// RESULT line format, shared with the peers: <c>RESULT case impl median_us steps calls v1,v2,...</c>, where
/// steps are accepted steps, calls are calls of the right-hand side (or of any derivative of it, for the
/// gradients) and the values are the computed output (a state, or dL/dy0 then dL/dp).
/// </remarks>
public static class PeerMode
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static bool s_quick;

    /// <summary>One measured implementation of one case.</summary>
    public sealed record Result(string Case, string Impl, double MedianMicroseconds, long Steps, long Calls, double[] Values)
    {
        /// <summary>The RESULT line.</summary>
        public override string ToString() => string.Create(Inv,
            $"RESULT {Case} {Impl} {MedianMicroseconds:F3} {Steps} {Calls} {string.Join(",", Values.Select(v => v.ToString("R", Inv)))}");

        /// <summary>Parses a RESULT line.</summary>
        public static Result? Parse(string line)
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 7 || f[0] != "RESULT") return null;
            return new Result(f[1], f[2], double.Parse(f[3], Inv), long.Parse(f[4], Inv), long.Parse(f[5], Inv),
                f[6].Split(',').Select(v => double.Parse(v, Inv)).ToArray());
        }
    }

    /// <summary>Runs the mode; args: [--peer-results FILE] [--quick].</summary>
    public static int Run(string[] args)
    {
        s_quick = args.Contains("--quick");
        int i = Array.IndexOf(args, "--peer-results");
        string? peerFile = i >= 0 && i + 1 < args.Length ? args[i + 1] : null;

        var theirs = new List<Result>();
        if (peerFile is not null && File.Exists(peerFile))
            theirs.AddRange(File.ReadLines(peerFile).Select(Result.Parse).OfType<Result>());
        else
            Console.WriteLine("# no peer results given (--peer-results FILE): printing our side only");
        int loop = Array.IndexOf(args, "--loop-dopri5");
        if (loop >= 0)
        {
            // Ode.Solve's Dopri5 to t = 10 (rtol = atol = 1e-8) over and over, for a sampling profiler to attribute its step
            // (BENCHMARKS.md, 5 December 2026, early morning: DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record).
            double seconds = loop + 1 < args.Length ? double.Parse(args[loop + 1], Inv) : 15;
            var lorenz = new Lorenz.RhsSystem();
            SolverOptions o = Problems.Options(OdeMethod.Dopri5);
            var clock = Stopwatch.StartNew();
            long solves = 0, steps = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                steps += Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, 10, o).Stats.Steps;
                solves++;
            }
            Console.WriteLine(string.Create(Inv, $"# {solves} solves, {steps} accepted steps, {1e9 * clock.Elapsed.TotalSeconds / steps:F1} ns per accepted step (mean, profiler attached)"));
            return 0;
        }
        if (args.Contains("--adjoint-breakdown"))
        {
            AdjointBreakdown.Run(s_quick);
            return 0;
        }
        Dictionary<string, double[]> reference = References();

        if (args.Contains("--gradients-only"))
        {
            // Only the gradient cases (adjoint1, adjoint10, fsens1) against the peer results: for before/after runs of the adjoints.
            Console.WriteLine($"# load before: {Load()}");
            List<Result> gradients = MeasureGradients();
            foreach (Result r in gradients) Console.WriteLine(r);
            Console.WriteLine($"# load after: {Load()}");
            PrintTable(gradients, theirs, reference);
            return 0;
        }
        Console.WriteLine($"# load before: {Load()}");
        PrintAllocations();
        PrintDerivativeRatios();
        PrintSolverOverheadRatios();
        if (args.Contains("--paired-only")) return 0;
        List<Result> ours = MeasureOurs();
        // Equal accuracy: the loosest tolerance at which our Dopri5's y(10) is at least as accurate as Boost.Odeint's.
        Result? odeint = theirs.FirstOrDefault(r => r.Case == "solve10" && r.Impl == "odeint_dopri5_controlled");
        if (odeint is not null)
        {
            double target = RelativeError(odeint.Values, reference["solve10"]);
            s_matchedTolerance = MatchTolerance(target, reference["solve10"]);
            ours.AddRange(MeasureMatched(s_matchedTolerance));
            // Like with like: Boost's controller is integral (one pow), so ours with integral control at its own matched tolerance.
            s_matchedIntegralTolerance = MatchTolerance(target, reference["solve10"], StepSizeControl.Integral);
            ours.AddRange(MeasureMatchedIntegral(s_matchedIntegralTolerance));
            // Boost's controller in full: integral control that keeps the step while the error is in [0.5, 1] (SolverOptions.HoldBand).
            s_matchedHoldTolerance = MatchTolerance(target, reference["solve10"], StepSizeControl.Integral, holdBand: 0.5);
            ours.AddRange(MeasureMatchedIntegral(s_matchedHoldTolerance, holdBand: 0.5));
            s_matchedWideHoldTolerance = MatchTolerance(target, reference["solve10"], StepSizeControl.Integral, holdBand: 0.3);
            ours.AddRange(MeasureMatchedIntegral(s_matchedWideHoldTolerance, holdBand: 0.3));
        }
        foreach (Result r in ours) Console.WriteLine(r);
        Console.WriteLine($"# load after: {Load()}");
        PrintTable(ours, theirs, reference);
        return 0;
    }

    /// <summary>
    /// Generated over hand-written Evaluate/Jvp/Vjp (the <see cref="LorenzDerivativeBenchmarks"/> operations), as the
    /// median of ratios of back-to-back samples: on a loaded machine this cancels most of the drift that separate
    /// BenchmarkDotNet runs of the two methods see.
    /// </summary>
    public static void PrintDerivativeRatios()
    {
        var b = new LorenzDerivativeBenchmarks();
        b.Setup();
        foreach ((string name, Func<double> generated, Func<double> hand) in new (string, Func<double>, Func<double>)[]
        {
            ("Evaluate", b.GeneratedEvaluate, b.HandWrittenEvaluate),
            ("Jvp", b.GeneratedJvp, b.HandWrittenJvp),
            ("Vjp", b.GeneratedVjp, b.HandWrittenVjp),
        })
        {
            Console.WriteLine(string.Create(Inv, $"# generated / hand-written {name}: {MedianRatio(generated, hand):F3} (median of 31 paired samples of 1,024 calls)"));
        }
    }

    /// <summary>
    /// The runtime's stepper against the hand-written loops at identical steps and evaluations, as medians of paired
    /// samples: Ode.Solve and a reused integrator against <see cref="LoopDopri5"/> (Lorenz to t = 10, 1e-8), and the RK4
    /// ensemble's integrator and Ode.Solve loops against <see cref="HandRk4"/> (first 100 trajectories).
    /// </summary>
    public static void PrintSolverOverheadRatios()
    {
        var lorenz = new Lorenz.RhsSystem();
        SolverOptions o = Problems.Options(OdeMethod.Dopri5);
        var reused = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, o);
        double Hand()
        {
            var h = new LoopDopri5(3);
            h.Solve(lorenz, Problems.Y0, Problems.P, 0, 10, Problems.Tolerance, Problems.Tolerance);
            return h.State[0];
        }
        double Solve() => Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, 10, o).FinalState[0];
        double Reused()
        {
            reused.Reset(new SystemField<Lorenz.RhsSystem>(lorenz, Problems.P), Problems.Y0, 0, 10);
            reused.Run();
            return reused.State[0];
        }
        Console.WriteLine(string.Create(Inv, $"# Dopri5 to t = 10 (paired medians): Ode.Solve / hand-written = {MedianRatio(Solve, Hand, 5):F3}, reused integrator / hand-written = {MedianRatio(Reused, Hand, 5):F3}, Ode.Solve / reused integrator = {MedianRatio(Solve, Reused, 5):F3}"));

        const int count = 100;
        double[] parameters = Problems.EnsembleParameters(count);
        var rk4 = new SolverOptions { Method = OdeMethod.RK4, FixedStep = Problems.EnsembleDt };
        var integrator = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, rk4);
        var p = new double[3];
        double end = Problems.EnsembleSteps * Problems.EnsembleDt;
        double HandEnsemble() => HandRk4.Ensemble(lorenz, parameters, count, Problems.EnsembleSteps, Problems.EnsembleDt);
        double IntegratorEnsemble()
        {
            double sum = 0;
            for (int j = 0; j < count; j++)
            {
                parameters.AsSpan(3 * j, 3).CopyTo(p);
                integrator.Reset(new SystemField<Lorenz.RhsSystem>(lorenz, p), Problems.Y0, 0, end);
                integrator.Run();
                sum += integrator.State[0];
            }
            return sum;
        }
        double SolveEnsemble()
        {
            double sum = 0;
            for (int j = 0; j < count; j++) sum += Ode.Solve(lorenz, Problems.Y0, parameters.AsSpan(3 * j, 3), 0, end, rk4).FinalState[0];
            return sum;
        }
        Console.WriteLine(string.Create(Inv, $"# RK4 ensemble (paired medians): integrator / hand-written = {MedianRatio(IntegratorEnsemble, HandEnsemble, 1):F3}, Ode.Solve loop / integrator = {MedianRatio(SolveEnsemble, IntegratorEnsemble, 1):F3}"));
    }

    private static long Time(Func<double> op, int batch, ref double sink)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++) sink += op();
        return Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>Median over paired back-to-back samples (order alternating) of time(a)/time(b).</summary>
    public static double MedianRatio(Func<double> a, Func<double> b, int batch = 200)
    {
        double sink = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalMilliseconds < 1000) { sink += a() + b(); }
        const int samples = 31;
        var ratios = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            // Alternate which goes first, so that neither always runs right after the other.
            long ta, tb;
            if (s % 2 == 0)
            {
                ta = Time(a, batch, ref sink);
                tb = Time(b, batch, ref sink);
            }
            else
            {
                tb = Time(b, batch, ref sink);
                ta = Time(a, batch, ref sink);
            }
            ratios[s] = (double)ta / tb;
        }
        GC.KeepAlive(sink);
        Array.Sort(ratios);
        return ratios[samples / 2];
    }

    /// <summary>
    /// Bytes allocated by one Ode.Solve (after warm-up, on this thread) at t1 = 10 and t1 = 100: equal when nothing
    /// is allocated per step, whatever the number of steps.
    /// </summary>
    public static void PrintAllocations()
    {
        var lorenz = new Lorenz.RhsSystem();
        foreach (OdeMethod m in new[] { OdeMethod.Dopri5, OdeMethod.Tsit5, OdeMethod.Dop853 })
        {
            SolverOptions o = Problems.Options(m);
            long Bytes(double t1)
            {
                for (int i = 0; i < 3; i++) Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o);
                long before = GC.GetAllocatedBytesForCurrentThread();
                OdeSolution s = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o);
                long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                GC.KeepAlive(s);
                return bytes;
            }
            long b10 = Bytes(10), b100 = Bytes(100);
            Console.WriteLine($"# allocated by one Ode.Solve with {m.Tableau.Name}: {b10} B to t = 10, {b100} B to t = 100{(b10 == b100 ? " (per solve, not per step)" : " (GROWS WITH STEPS)")}");
        }
    }

    private static double s_matchedTolerance = double.NaN, s_matchedIntegralTolerance = double.NaN, s_matchedHoldTolerance = double.NaN, s_matchedWideHoldTolerance = double.NaN;

    /// <summary>
    /// The largest rtol = atol on a grid of 1e-8·10^(k/8), k = −8 … 24, whose Dopri5 y(10) error is at most <paramref name="target"/>
    /// (integral control needs tighter than 1e-8 to match Boost's accuracy; 1e-9 when none does).
    /// </summary>
    public static double MatchTolerance(double target, double[] reference, StepSizeControl controller = StepSizeControl.ProportionalIntegral, double? holdBand = null)
    {
        double best = Problems.Tolerance / 10;
        for (int k = -8; k <= 24; k++)
        {
            double tol = Problems.Tolerance * Math.Pow(10, k / 8.0);
            var o = new SolverOptions { RelTol = tol, AbsTol = tol, Controller = controller, HoldBand = holdBand };
            double err = RelativeError(Ode.Solve(new Lorenz.RhsSystem(), Problems.Y0, Problems.P, 0, 10, o).FinalState.ToArray(), reference);
            if (err <= target) best = tol;
        }
        return best;
    }

    /// <summary>Dopri5 (ours and hand-written) at the accuracy-matched tolerance, to t = 10 and 100.</summary>
    public static IEnumerable<Result> MeasureMatched(double tol)
    {
        var lorenz = new Lorenz.RhsSystem();
        var o = new SolverOptions { RelTol = tol, AbsTol = tol };
        foreach (double t1 in new[] { 10.0, 100.0 })
        {
            string c = t1 == 10 ? "solve10" : "solve100";
            OdeSolution s = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o);
            double us = Median(() => Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o).FinalState[0]);
            yield return new(c, "ours_dopri5_acc", us, s.Stats.Steps, s.Stats.FunctionEvaluations, s.FinalState.ToArray());
            var hand = new LoopDopri5(3);
            hand.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, tol, tol);
            double[] y = hand.State.ToArray();
            double handUs = Median(() =>
            {
                var h = new LoopDopri5(3);
                h.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, tol, tol);
                return h.State[0];
            });
            yield return new(c, "ours_handdopri5_acc", handUs, hand.Steps, hand.Evaluations, y);
        }
    }

    /// <summary>Ode.Solve's Dopri5 with integral control (<see cref="StepSizeControl.Integral"/>) at its matched tolerance, to t = 10 and 100.</summary>
    public static IEnumerable<Result> MeasureMatchedIntegral(double tol, double? holdBand = null)
    {
        var lorenz = new Lorenz.RhsSystem();
        var o = new SolverOptions { RelTol = tol, AbsTol = tol, Controller = StepSizeControl.Integral, HoldBand = holdBand };
        foreach (double t1 in new[] { 10.0, 100.0 })
        {
            OdeSolution s = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o);
            double us = Median(() => Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o).FinalState[0]);
            yield return new(t1 == 10 ? "solve10" : "solve100", holdBand switch { null => "ours_dopri5_int_acc", 0.5 => "ours_dopri5_hold_acc", _ => "ours_dopri5_hold3_acc" }, us, s.Stats.Steps, s.Stats.FunctionEvaluations, s.FinalState.ToArray());
        }
    }

    /// <summary>Our measurements, case by case.</summary>
    public static List<Result> MeasureOurs()
    {
        var results = new List<Result>();
        var lorenz = new Lorenz.RhsSystem();
        foreach (double t1 in new[] { 10.0, Problems.SolveEnd })
        {
            string c = t1 == 10 ? "solve10" : "solve100";
            foreach ((string name, OdeMethod m) in new[] { ("ours_dopri5", OdeMethod.Dopri5), ("ours_tsit5", OdeMethod.Tsit5), ("ours_dop853", OdeMethod.Dop853) })
            {
                SolverOptions o = Problems.Options(m);
                OdeSolution s = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o);
                double us = Median(() => Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, o).FinalState[0]);
                results.Add(new(c, name, us, s.Stats.Steps, s.Stats.FunctionEvaluations, s.FinalState.ToArray()));
            }
            var hand = new LoopDopri5(3);
            hand.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, Problems.Tolerance, Problems.Tolerance);
            double[] handY = hand.State.ToArray();
            double handUs = Median(() =>
            {
                var h = new LoopDopri5(3);
                h.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, Problems.Tolerance, Problems.Tolerance);
                return h.State[0];
            });
            results.Add(new(c, "ours_handdopri5", handUs, hand.Steps, hand.Evaluations, handY));
        }

        results.AddRange(MeasureGradients());
        results.AddRange(MeasureEnsembles());
        return results;
    }

    /// <summary>The gradient cases: T = 1 by every method, T = 10 by the interpolating and the discrete adjoint.</summary>
    public static List<Result> MeasureGradients()
    {
        var results = new List<Result>();
        foreach ((string c, string name, Sensitivity s) in new (string, string, Sensitivity)[]
        {
            ("fsens1", "ours_forward", Sensitivity.Forward),
            ("adjoint1", "ours_backsolve", Sensitivity.BacksolveAdjoint),
            ("adjoint1", "ours_interpolating", Sensitivity.InterpolatingAdjoint()),
            ("adjoint1", "ours_discrete", Sensitivity.DiscreteAdjoint),
        })
        {
            results.Add(MeasureGradient(c, name, s, 1.0));
        }
        // T = 10: the back-solve does not come back from the chaotic state integrated backwards (MaxStepsExceeded).
        foreach ((string name, Sensitivity s) in new (string, Sensitivity)[]
        {
            ("ours_interpolating", Sensitivity.InterpolatingAdjoint()),
            ("ours_discrete", Sensitivity.DiscreteAdjoint),
        })
        {
            results.Add(MeasureGradient("adjoint10", name, s, 10.0));
        }
        return results;
    }

    /// <summary>The RK4 ensembles.</summary>
    public static List<Result> MeasureEnsembles()
    {
        var results = new List<Result>();
        var lorenz = new Lorenz.RhsSystem();

        double[] parameters = Problems.EnsembleParameters(Problems.EnsembleSize);
        var rk4 = new SolverOptions { Method = OdeMethod.RK4, FixedStep = Problems.EnsembleDt };
        double end = Problems.EnsembleSteps * Problems.EnsembleDt;
        long ensembleSteps = (long)Problems.EnsembleSize * Problems.EnsembleSteps;
        {
            double sum = HandRk4.Ensemble(lorenz, parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt);
            double us = Median(() => HandRk4.Ensemble(lorenz, parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt));
            results.Add(new("rk4ens", "ours_handrk4", us, ensembleSteps, 4 * ensembleSteps, [sum]));
        }
        {
            double sum = HandRk4Lanes.Ensemble(parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt);
            double us = Median(() => HandRk4Lanes.Ensemble(parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt));
            results.Add(new("rk4ens", "ours_handrk4_lanes", us, ensembleSteps, 4 * ensembleSteps, [sum]));
        }
        {
            var integrator = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, rk4);
            var p = new double[3];
            long calls = 0;
            double Ensemble()
            {
                double sum = 0;
                integrator.ClearStats();
                for (int j = 0; j < Problems.EnsembleSize; j++)
                {
                    parameters.AsSpan(3 * j, 3).CopyTo(p);
                    integrator.Reset(new SystemField<Lorenz.RhsSystem>(lorenz, p), Problems.Y0, 0, end);
                    integrator.Run();
                    ReadOnlySpan<double> y = integrator.State;
                    sum += y[0] + y[1] + y[2];
                }
                calls = integrator.Stats.FunctionEvaluations;
                return sum;
            }
            double sum = Ensemble();
            long steps = integrator.Stats.Steps;
            double us = Median(Ensemble);
            results.Add(new("rk4ens", "ours_integrator", us, steps, calls, [sum]));
        }
        {
            long calls = 0;
            double Ensemble()
            {
                double sum = 0;
                calls = 0;
                for (int j = 0; j < Problems.EnsembleSize; j++)
                {
                    OdeSolution s = Ode.Solve(lorenz, Problems.Y0, parameters.AsSpan(3 * j, 3), 0, end, rk4);
                    ReadOnlySpan<double> y = s.FinalState;
                    sum += y[0] + y[1] + y[2];
                    calls += s.Stats.FunctionEvaluations;
                }
                return sum;
            }
            double sum = Ensemble();
            long totalCalls = calls;
            double us = Median(Ensemble);
            results.Add(new("rk4ens", "ours_odesolve", us, ensembleSteps, totalCalls, [sum]));
        }
        return results;
    }

    // One Lorenz gradient of L = Σ y(T) at the peers' tolerance: its median time, the steps of every pass and every call into the system.
    private static Result MeasureGradient(string c, string name, Sensitivity s, double t)
    {
        var lorenz = new Lorenz.RhsSystem();
        SolverOptions dopri5 = Problems.Options(OdeMethod.Dopri5);
        OdeGradient g = Ode.Gradient(lorenz, Problems.Y0, Problems.P, 0, [t], Problems.SumLoss, s, dopri5);
        double us = Median(() => Ode.Gradient(lorenz, Problems.Y0, Problems.P, 0, [t], Problems.SumLoss, s, dopri5).Y0[0]);
        GradientStats st = g.Stats;
        long steps = st.Forward.Steps + st.Recompute.Steps + st.Backward.Steps;
        long calls = st.FunctionEvaluations + st.JvpEvaluations + st.VjpEvaluations + st.JacobianEvaluations;
        return new(c, name, us, steps, calls, [.. g.Y0, .. g.Parameters]);
    }

    /// <summary>
    /// Median time of one call of <paramref name="op"/> in microseconds: warm up (so tiered JIT has reached its
    /// optimized code), choose a batch that takes at least ~5 ms, then take the median over the batches.
    /// </summary>
    public static double Median(Func<double> op)
    {
        double sink = 0;
        var sw = Stopwatch.StartNew();
        int calls = 0;
        // Tiered JIT: methods start unoptimized, are instrumented, and reach optimized code after ~30 calls plus
        // background compilation; a second of warm-up (and at least 60 calls) gets past that.
        while (sw.Elapsed.TotalMilliseconds < (s_quick ? 300 : 1000) || calls < 60) { sink += op(); calls++; }
        sw.Restart();
        int timed = 0;
        while (sw.Elapsed.TotalMilliseconds < 20 || timed < 3) { sink += op(); timed++; }
        double perCall = sw.Elapsed.TotalMilliseconds / timed;
        int batch = Math.Max(1, (int)Math.Ceiling(5.0 / perCall));
        int samples = s_quick ? 7 : 31;
        var times = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int b = 0; b < batch; b++) sink += op();
            times[s] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / batch;
        }
        GC.KeepAlive(sink);
        Array.Sort(times);
        return times[samples / 2];
    }

    /// <summary>
    /// Tight references: y(10) and y(100) from DOP853 at rtol = atol = 1e-13, and the T = 1 (T = 10) gradient from forward
    /// sensitivities with DOP853 at 1e-12 (1e-13); checked against tests/reference/lorenz_gradients.json when it is found.
    /// </summary>
    public static Dictionary<string, double[]> References()
    {
        var lorenz = new Lorenz.RhsSystem();
        var tight = new SolverOptions { Method = OdeMethod.Dop853, RelTol = 1e-13, AbsTol = 1e-13, MaxSteps = 10_000_000 };
        var refs = new Dictionary<string, double[]>
        {
            ["solve10"] = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, 10, tight).FinalState.ToArray(),
            ["solve100"] = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, 100, tight).FinalState.ToArray(),
        };
        OdeGradient g = Ode.Gradient(lorenz, Problems.Y0, Problems.P, 0, [1.0], Problems.SumLoss, Sensitivity.Forward,
            new SolverOptions { Method = OdeMethod.Dop853, RelTol = 1e-12, AbsTol = 1e-12 });
        refs["fsens1"] = refs["adjoint1"] = [.. g.Y0, .. g.Parameters];
        OdeGradient g10 = Ode.Gradient(lorenz, Problems.Y0, Problems.P, 0, [10.0], Problems.SumLoss, Sensitivity.Forward,
            new SolverOptions { Method = OdeMethod.Dop853, RelTol = 1e-13, AbsTol = 1e-13, MaxSteps = 10_000_000 });
        refs["adjoint10"] = [.. g10.Y0, .. g10.Parameters];

        string? json = ReferenceFiles.Find("lorenz_gradients.json");
        if (json is not null)
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            double[] Read(string t, string key) => doc.RootElement.GetProperty(t).GetProperty(key).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] shared1 = [.. Read("T=1", "dLdy0"), .. Read("T=1", "dLdp")];
            double[] shared10 = [.. Read("T=10", "dLdy0"), .. Read("T=10", "dLdp")];
            Console.WriteLine(string.Create(Inv, $"# reference check against {json}: T=1 gradient {RelativeError(refs["fsens1"], shared1):E2}, T=10 gradient {RelativeError(refs["adjoint10"], shared10):E2}, y(10) {RelativeError(refs["solve10"], Read("T=10", "yT")):E2} (relative, max norm)"));
        }
        return refs;
    }

    /// <summary>‖x − ref‖∞ / ‖ref‖∞.</summary>
    public static double RelativeError(double[] x, double[] reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            num = Math.Max(num, Math.Abs(x[i] - reference[i]));
            den = Math.Max(den, Math.Abs(reference[i]));
        }
        return num / den;
    }

    // The comparisons of the table: (case, ours, theirs).
    private static readonly (string Case, string Ours, string Theirs)[] Pairs =
    [
        ("solve10", "ours_dopri5", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5", "odeint_dopri5_dense"),
        ("solve10", "ours_handdopri5", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5_acc", "odeint_dopri5_controlled"),
        ("solve10", "ours_handdopri5_acc", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5_int_acc", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5_hold_acc", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5_hold3_acc", "odeint_dopri5_controlled"),
        ("solve10", "ours_dopri5", "cvodes"),
        ("solve10", "ours_dopri5", "cvodes_fixedpoint"),
        ("solve10", "ours_dop853", "cvodes"),
        ("solve100", "ours_dopri5", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5", "odeint_dopri5_dense"),
        ("solve100", "ours_tsit5", "odeint_dopri5_controlled"),
        ("solve100", "ours_dop853", "odeint_dopri5_controlled"),
        ("solve100", "ours_handdopri5", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5_acc", "odeint_dopri5_controlled"),
        ("solve100", "ours_handdopri5_acc", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5_int_acc", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5_hold_acc", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5_hold3_acc", "odeint_dopri5_controlled"),
        ("solve100", "ours_dopri5", "cvodes"),
        ("solve100", "ours_dopri5", "cvodes_fixedpoint"),
        ("fsens1", "ours_forward", "cvodes_fsa"),
        ("adjoint1", "ours_interpolating", "cvodes_asa"),
        ("adjoint1", "ours_backsolve", "cvodes_asa"),
        ("adjoint1", "ours_discrete", "cvodes_asa"),
        ("adjoint10", "ours_interpolating", "cvodes_asa"),
        ("adjoint10", "ours_discrete", "cvodes_asa"),
        ("rk4ens", "ours_integrator", "odeint_rk4"),
        ("rk4ens", "ours_odesolve", "odeint_rk4"),
        ("rk4ens", "ours_handrk4", "odeint_rk4"),
        ("rk4ens", "ours_handrk4_lanes", "odeint_rk4"),
        ("rk4ens", "ours_integrator", "odeint_rk4_novec"),
        ("rk4ens", "ours_handrk4", "odeint_rk4_novec"),
    ];

    private static void PrintTable(List<Result> ours, List<Result> theirs, Dictionary<string, double[]> reference)
    {
        string Err(Result r)
        {
            if (r.Case == "rk4ens")
            {
                Result? other = ours.FirstOrDefault(o => o.Case == "rk4ens" && o.Impl == "ours_handrk4");
                return other is null ? "" : string.Create(Inv, $"Δ {RelativeError(r.Values, other.Values):E1}");
            }
            return reference.TryGetValue(r.Case, out double[]? re) ? RelativeError(r.Values, re).ToString("E1", Inv) : "";
        }

        Console.WriteLine();
        Console.WriteLine("| case | ours | theirs | ours µs | theirs µs | ours/theirs | per step | steps ours / theirs | calls ours / theirs | error ours | error theirs |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach ((string c, string o, string t) in Pairs)
        {
            Result? a = ours.FirstOrDefault(r => r.Case == c && r.Impl == o);
            Result? b = theirs.FirstOrDefault(r => r.Case == c && r.Impl == t);
            if (a is null) continue;
            if (b is null)
            {
                Console.WriteLine(string.Create(Inv, $"| {c} | {o} | {t} (absent) | {a.MedianMicroseconds:F1} | | | | {a.Steps} | {a.Calls} | {Err(a)} | |"));
                continue;
            }
            Console.WriteLine(string.Create(Inv,
                $"| {c} | {o} | {t} | {a.MedianMicroseconds:F1} | {b.MedianMicroseconds:F1} | **{a.MedianMicroseconds / b.MedianMicroseconds:F2}** | {a.MedianMicroseconds / a.Steps / (b.MedianMicroseconds / b.Steps):F2} | {a.Steps} / {b.Steps} | {a.Calls} / {b.Calls} | {Err(a)} | {Err(b)} |"));
        }
        Console.WriteLine();
        Console.WriteLine("error: ‖x − ref‖∞/‖ref‖∞ against DOP853 at 1e-13 (states) or forward sensitivities with DOP853 at 1e-12 (gradients at T = 1) or 1e-13 (T = 10);");
        Console.WriteLine("y(100) is past Lorenz's predictability horizon (Lyapunov exponent ≈ 0.9: 1e-8 grows by ~e^90), so its error is O(1) for every solver and says nothing about accuracy;");
        if (!double.IsNaN(s_matchedTolerance))
            Console.WriteLine(string.Create(Inv, $"*_acc: rtol = atol = {s_matchedTolerance:G3}, the loosest (grid 10^(1/8)) at which our Dopri5's y(10) is at least as accurate as Boost.Odeint's dopri5 at 1e-8;"));
        if (!double.IsNaN(s_matchedIntegralTolerance))
            Console.WriteLine(string.Create(Inv, $"*_int_acc: integral step-size control (one Math.Pow a step, as Boost's controller), rtol = atol = {s_matchedIntegralTolerance:G3}, matched the same way;"));
        if (!double.IsNaN(s_matchedHoldTolerance))
            Console.WriteLine(string.Create(Inv, $"*_hold_acc: integral control with Boost's hold band (HoldBand = 0.5: an accepted step with error in [0.5, 1] keeps its size), rtol = atol = {s_matchedHoldTolerance:G3}, matched the same way;"));
        if (!double.IsNaN(s_matchedWideHoldTolerance))
            Console.WriteLine(string.Create(Inv, $"*_hold3_acc: the same with the wider band HoldBand = 0.3, rtol = atol = {s_matchedWideHoldTolerance:G3}, matched the same way;"));
        Console.WriteLine("per step: the ratio of time per accepted step (gradients: steps of all passes);");
        Console.WriteLine("rk4ens: Δ is the relative difference of the checksum Σ y(T) from the hand-written RK4 loop.");
    }

    /// <summary>The load averages from /proc/loadavg (what `uptime` prints).</summary>
    public static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
}

/// <summary>
/// Where the interpolating adjoint's time goes on the peers' Lorenz gradient (T = 1 and T = 10, Dopri5, rtol = atol = 1e-8),
/// beside the back-solve and the discrete adjoint: the work of every pass, and the time of each phase run on its own
/// (the forward pass through the checkpoints against one plain solve, the re-solves with and without recording their dense
/// output, the backward sweeps, one backward solve against a dense record of the whole span), plus the cost of one
/// interpolation against one VJP. <c>dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- peers --adjoint-breakdown [--quick]</c>.
/// </summary>
internal static class AdjointBreakdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Run(bool quick)
    {
        var lorenz = new Lorenz.RhsSystem();
        SolverOptions o = Problems.Options(OdeMethod.Dopri5);
        double[] p = Problems.P, y0 = Problems.Y0;
        Dictionary<double, double[]> reference = References();
        Console.WriteLine($"# load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (double T in new[] { 1.0, 10.0 })
        {
            Console.WriteLine(string.Create(Inv, $"## T = {T}"));
            foreach ((string name, Sensitivity s) in new (string, Sensitivity)[]
            {
                ("interpolating", Sensitivity.InterpolatingAdjoint()),
                ("interpolating seminorm", Sensitivity.InterpolatingAdjoint(seminorm: true)),
                ("interp. checkpointed", Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 0)),
                ("backsolve", Sensitivity.BacksolveAdjoint),
                ("backsolve seminorm", Sensitivity.Backsolve(seminorm: true)),
                ("discrete", Sensitivity.DiscreteAdjoint),
            })
            {
                OdeGradient g = Ode.Gradient(lorenz, y0, p, 0, [T], Problems.SumLoss, s, o);
                GradientStats st = g.Stats;
                string err = g.IsSuccess && reference.TryGetValue(T, out double[]? r) ? PeerMode.RelativeError([.. g.Y0, .. g.Parameters], r).ToString("E1", Inv) : g.Status.ToString();
                double us = g.IsSuccess ? PeerMode.Median(() => Ode.Gradient(lorenz, y0, p, 0, [T], Problems.SumLoss, s, o).Y0[0]) : double.NaN;
                Console.WriteLine(string.Create(Inv,
                    $"{name,-24} {us,9:F1} µs  steps fwd {st.Forward.Steps} (rej {st.Forward.RejectedSteps}), rec {st.Recompute.Steps}, bwd {st.Backward.Steps} (rej {st.Backward.RejectedSteps}); f {st.FunctionEvaluations}, vjp {st.VjpEvaluations}; error {err}"));
            }

            // Paired back-to-back samples (the machine is shared): the interpolating adjoint over the other two.
            double Gradient(Sensitivity s) => Ode.Gradient(lorenz, y0, p, 0, [T], Problems.SumLoss, s, o).Y0[0];
            Sensitivity interpolating = Sensitivity.InterpolatingAdjoint();
            int batch = T == 1 ? 20 : 3;
            double toDiscrete = PeerMode.MedianRatio(() => Gradient(interpolating), () => Gradient(Sensitivity.DiscreteAdjoint), batch);
            Sensitivity checkpointed = Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 0);
            double toCheckpointed = PeerMode.MedianRatio(() => Gradient(interpolating), () => Gradient(checkpointed), batch);
            double toBacksolve = T == 1 ? PeerMode.MedianRatio(() => Gradient(interpolating), () => Gradient(Sensitivity.BacksolveAdjoint), batch) : double.NaN;
            Console.WriteLine(string.Create(Inv, $"paired: interpolating / discrete {toDiscrete:F2}, interpolating / backsolve {toBacksolve:F2}, interpolating / checkpointed {toCheckpointed:F2}"));

            // The phases of the interpolating adjoint, each on its own (16 checkpoints, one observation at T).
            const int K = InterpolatingAdjointSensitivity.DefaultCheckpoints;
            double[] bounds = new double[K + 1];
            for (int j = 0; j <= K; j++) bounds[j] = j == K ? T : j * (T / K);
            var counter = new EvaluationCounter();
            var field = new SystemField<Lorenz.RhsSystem>(lorenz, p);
            var forward = o.Method.CreateIntegrator<SystemField<Lorenz.RhsSystem>>(3, o);
            var plain = o.Method.CreateIntegrator<SystemField<Lorenz.RhsSystem>>(3, o);
            var sweep = new InterpolatingAdjointSweep<Lorenz.RhsSystem>(lorenz, p, 3, 3, o, Sensitivity.InterpolatingAdjoint(), counter);
            double[] states = new double[(K + 1) * 3];
            double Forward()
            {
                y0.CopyTo(states, 0);
                ObservationShell.SolveToObservations(forward, field, y0, 0, bounds.AsSpan(1), states, offset: 3);
                return states[^1];
            }
            double Plain()
            {
                plain.Reset(field, y0, 0, T);
                plain.Run();
                return plain.State[0];
            }
            double ResolvePlain()
            {
                double sum = 0;
                for (int b = K; b >= 1; b--)
                {
                    plain.Reset(field, states.AsSpan((b - 1) * 3, 3), bounds[b - 1], bounds[b]);
                    plain.Run();
                    sum += plain.State[0];
                }
                return sum;
            }
            double Resolve()
            {
                for (int b = K; b >= 1; b--) sweep.Resolve(field, states.AsSpan((b - 1) * 3, 3), bounds[b - 1], bounds[b]);
                return 0;
            }
            double ResolveAndBackward()
            {
                Array.Clear(sweep.X);
                for (int q = 0; q < 3; q++) sweep.X[q] = 1;
                for (int b = K; b >= 1; b--)
                {
                    sweep.Resolve(field, states.AsSpan((b - 1) * 3, 3), bounds[b - 1], bounds[b]);
                    sweep.Integrate(bounds[b], bounds[b - 1]);
                }
                return sweep.X[0];
            }
            // One dense record of the whole span from one plain solve, and one backward solve against it: no checkpoints.
            var whole = new DenseSegment(3, o.Method);
            var adjointField = new InterpolatedAdjointField<Lorenz.RhsSystem>(lorenz, p, whole, counter);
            var backward = o.Method.CreateIntegrator<InterpolatedAdjointField<Lorenz.RhsSystem>>(7, o);
            double[] x = new double[7];
            double RecordWhole()
            {
                plain.Reset(field, y0, 0, T);
                whole.Clear();
                while (plain.Step()) whole.Add(plain);
                return whole.Count;
            }
            double BackwardWhole()
            {
                Array.Clear(x);
                x[0] = x[1] = x[2] = 1;
                backward.Reset(adjointField, x, T, 0);
                backward.Run();
                return backward.State[0];
            }
            Forward();
            RecordWhole();
            BackwardWhole();
            long wholeSteps = backward.Stats.Steps;
            double[] probes = new double[6 * whole.Count];
            for (int i = 0; i < probes.Length; i++) probes[i] = T * (1 - (i + 0.5) / probes.Length);
            double[] z = new double[3], a = [1, 1, 1], yBar = new double[3], pBar = new double[3];
            double Interpolations()
            {
                for (int i = 0; i < probes.Length; i++) whole.Evaluate(probes[i], z);
                return z[0];
            }
            double Vjps()
            {
                double s = 0;
                for (int i = 0; i < probes.Length; i++) s += lorenz.Vjp(probes[i], y0, p, a, yBar, pBar);
                return s;
            }

            double tForward = PeerMode.Median(Forward), tPlain = PeerMode.Median(Plain);
            double tResolvePlain = PeerMode.Median(ResolvePlain), tResolve = PeerMode.Median(Resolve);
            double tBoth = PeerMode.Median(ResolveAndBackward);
            double tRecordWhole = PeerMode.Median(RecordWhole), tBackwardWhole = PeerMode.Median(BackwardWhole);
            double tInterp = PeerMode.Median(Interpolations) * 1000 / probes.Length, tVjp = PeerMode.Median(Vjps) * 1000 / probes.Length;
            Console.WriteLine(string.Create(Inv, $"forward through {K} checkpoints {tForward,8:F1} µs   one plain solve to T {tPlain,8:F1} µs"));
            Console.WriteLine(string.Create(Inv, $"re-solves, plain            {tResolvePlain,8:F1} µs   re-solves recording dense output {tResolve,8:F1} µs"));
            Console.WriteLine(string.Create(Inv, $"backward sweeps (16)        {tBoth - tResolve,8:F1} µs   (re-solves + sweeps {tBoth:F1} µs)"));
            Console.WriteLine(string.Create(Inv, $"whole-span record           {tRecordWhole,8:F1} µs   one backward solve on it {tBackwardWhole,8:F1} µs ({wholeSteps} steps)"));
            Console.WriteLine(string.Create(Inv, $"one interpolation           {tInterp,8:F1} ns   one Lorenz VJP {tVjp,8:F1} ns"));
        }
        Console.WriteLine($"# load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    // tests/reference/lorenz_gradients.json (forward sensitivities agreeing to ~1e-11): dL/dy0 then dL/dp at T = 1 and 10.
    private static Dictionary<double, double[]> References()
    {
        var refs = new Dictionary<double, double[]>();
        string? json = ReferenceFiles.Find("lorenz_gradients.json");
        if (json is null) return refs;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        double[] Read(string t, string key) => doc.RootElement.GetProperty(t).GetProperty(key).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        refs[1.0] = [.. Read("T=1", "dLdy0"), .. Read("T=1", "dLdp")];
        refs[10.0] = [.. Read("T=10", "dLdy0"), .. Read("T=10", "dLdp")];
        return refs;
    }
}
