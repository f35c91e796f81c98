using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// <see cref="RegisterSteps{TState}"/>, the whole solve in a generated system's registers that Ode.Solve takes when the end,
/// save times or every step are wanted, is a copy of the integrator's stages and step loop for speed: for every explicit tableau it serves, and every way a
/// solve ends, it must report the integrator's result bit for bit (state, status, time and work).
/// </summary>
public class RegisterStepsTests
{
    public static TheoryData<string> AdaptiveMethods => new(OdeMethod.BuiltIn
        .Where(m => m.IsAdaptive && m.Tableau.Stages <= RegisterStages.MaxStages && m is ExplicitRungeKuttaMethod).Select(m => m.Name));

    // Ode.Solve on the system (the register steps, checked to be taken) against the integrator on the same system as a field.
    private static OdeSolution SolveEqualsIntegrator<TSystem>(TSystem system, double[] y0, double[] p, double t0, double t1, SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        RegisterStages? stages = RegisterStages.For(system, options, p);
        Assert.True(stages is not null && stages.SolvesWhole(options), $"{typeof(TSystem).Name}, {options.Method.Name}: the register steps are not taken");
        OdeSolution fast = Ode.Solve(system, y0, p, t0, t1, options);
        OdeSolution reference = Ode.Solve(new SystemField<TSystem>(system, p), y0, t0, t1, options);
        string where = $"{typeof(TSystem).Name}, {options.Method.Name}, t {t0} → {t1}";
        Assert.Equal(reference.Status, fast.Status);
        Assert.True(BitConverter.DoubleToInt64Bits(reference.FinalTime) == BitConverter.DoubleToInt64Bits(fast.FinalTime), $"{where}: time {reference.FinalTime:R} vs {fast.FinalTime:R}");
        Assert.Equal(reference.Stats.Steps, fast.Stats.Steps);
        Assert.Equal(reference.Stats.RejectedSteps, fast.Stats.RejectedSteps);
        Assert.Equal(reference.Stats.FunctionEvaluations, fast.Stats.FunctionEvaluations);
        for (int q = 0; q < y0.Length; q++)
            Assert.True(BitConverter.DoubleToInt64Bits(reference.FinalState[q]) == BitConverter.DoubleToInt64Bits(fast.FinalState[q]),
                $"{where}: y[{q}] {reference.FinalState[q]:R} (integrator) vs {fast.FinalState[q]:R}");
        Assert.Equal(reference.Times.ToArray(), fast.Times.ToArray());
        for (int i = 0; i < reference.Times.Length; i++)
            for (int q = 0; q < y0.Length; q++)
                Assert.True(BitConverter.DoubleToInt64Bits(reference.State(i)[q]) == BitConverter.DoubleToInt64Bits(fast.State(i)[q]),
                    $"{where}: saved state {i} (t = {reference.Times[i]:R}), y[{q}] {reference.State(i)[q]:R} (integrator) vs {fast.State(i)[q]:R}");
        return fast;
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void Solve_IsTheIntegratorsSolve_BitForBit(string name)
    {
        OdeMethod method = OdeMethod.BuiltIn.Single(m => m.Name == name);
        double[] lorenz = [10, 28, 8.0 / 3], pendulum = [1.3, 0.2, 0.7, 1.9];
        foreach (StepSizeControl controller in new[] { StepSizeControl.ProportionalIntegral, StepSizeControl.Integral })
            foreach (double? hold in new double?[] { null, 0.5 })
                foreach (ErrorNorm norm in new[] { ErrorNorm.Rms, ErrorNorm.Max })
                {
                    var options = new SolverOptions { Method = method, RelTol = 1e-7, AbsTol = 1e-9, Controller = controller, HoldBand = hold, Norm = norm };
                    SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3, options);
                    SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0.5, -1, options);                      // backwards
                    SolveEqualsIntegrator(new Pendulum.RhsSystem(), [0.4, -0.1], pendulum, 0.25, 4, options);                 // Sin, Cos and t
                    SolveEqualsIntegrator(new Ecology.Logistic.GrowthSystem(), [0.1], [0.8, 3.0], 0, 5, options);             // one state
                }
        // A given first step, a step bound, per-component tolerances, an empty interval.
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 2, new SolverOptions { Method = method, InitialStep = 0.5 });
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 2, new SolverOptions { Method = method, MaxStep = 1e-2, HoldBand = 0.3 });
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 2, new SolverOptions { Method = method, AbsTolVector = [1e-6, 1e-8, 1e-10] });
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 1, 1, new SolverOptions { Method = method });
    }

    // Seeded random options (RandomSolverOptions: tolerances, norms, controllers, hold band, step bounds, first step,
    // controller factors, budgets, save times, every step saved, dense output, backwards) on Lorenz and the pendulum (t and
    // Sin/Cos): the register copy must stay the integrator's solve bit for bit whatever the user sets.
    // ODEGEN_REGFUZZ_COUNT / ODEGEN_REGFUZZ_SEED run a sweep.
    [Fact]
    public void RandomOptions_AreTheIntegratorsSolve_BitForBit()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_REGFUZZ_COUNT"), out int c) ? c : 60;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_REGFUZZ_SEED"), out int sd) ? sd : 1;
        var r = new Random(seed * 7919 + 5);
        string[] methods = OdeMethod.BuiltIn.Where(m => m.IsAdaptive && m.Tableau.Stages <= RegisterStages.MaxStages && m is ExplicitRungeKuttaMethod).Select(m => m.Name).ToArray();
        int succeeded = 0;
        for (int i = 0; i < count; i++)
        {
            var (t0, t1) = RandomSolverOptions.RandomInterval(r);
            int outputs = r.Next(4);   // 0 every step saved, 1 dense output beside the save times
            bool lorenz = r.Next(2) == 0;
            SolverOptions o = RandomSolverOptions.RandomOptions(r, methods[r.Next(methods.Length)], false, Math.Abs(t1 - t0), r.Next(2) == 0, t0, t1,
                saveSteps: outputs == 0, dense: outputs == 1, dimension: lorenz ? 3 : 2);
            OdeSolution s = lorenz
                ? SolveEqualsIntegrator(new Lorenz.RhsSystem(), [20 * r.NextDouble() - 10, 20 * r.NextDouble() - 10, 40 * r.NextDouble()], [10, 28, 8.0 / 3], t0, t1, o)
                : SolveEqualsIntegrator(new Pendulum.RhsSystem(), [2 * r.NextDouble() - 1, 2 * r.NextDouble() - 1], [1.3, 0.2, 0.7, 1.9], t0, t1, o);
            if (!s.IsSuccess) continue;
            succeeded++;
            // One solve's outputs agree with each other: a save at t1 is the final state, the dense output at t1 too, and
            // at a save time inside a step it is what was saved there to rounding (the kept polynomial in θ is evaluated
            // by Horner, the save by the method's own interpolant: the last bits may differ).
            double[] at = new double[s.Dimension];
            for (int k = 0; k < (o.SaveAt?.Length ?? 0); k++)
            {
                if (o.SaveAt![k] == t1) Assert.Equal(s.FinalState.ToArray(), s.State(k).ToArray());
                if (!s.HasDenseOutput) continue;
                s.Interpolate(o.SaveAt[k], at);
                for (int q = 0; q < at.Length; q++)
                    Assert.True(Math.Abs(at[q] - s.State(k)[q]) <= 1e-13 * Math.Max(1, Math.Abs(at[q])), $"case {i}: saved {s.State(k)[q]:R}, dense {at[q]:R}");
            }
            if (s.HasDenseOutput)
            {
                s.Interpolate(t1, at);
                Assert.Equal(s.FinalState.ToArray(), at);
            }
        }
        Assert.True(succeeded >= count / 3, $"only {succeeded} of {count} solves succeeded: the draws test little");
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void SaveAt_IsTheIntegratorsDenseOutput_BitForBit(string name)
    {
        OdeMethod method = OdeMethod.BuiltIn.Single(m => m.Name == name);
        double[] lorenz = [10, 28, 8.0 / 3];
        // Many save times per step and several steps between save times; t0 and t1 among them, repeated times, backwards.
        double[] dense = Enumerable.Range(0, 301).Select(i => i / 100.0).ToArray();
        double[] sparse = [0, 0, 0.37, 0.37, 1.5, 2.999, 3];
        foreach (double? hold in new double?[] { null, 0.5 })
        {
            SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3, new SolverOptions { Method = method, RelTol = 1e-7, AbsTol = 1e-9, SaveAt = dense, HoldBand = hold });
            SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3, new SolverOptions { Method = method, SaveAt = sparse, HoldBand = hold });
            SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 3, 0, new SolverOptions { Method = method, SaveAt = sparse.Reverse().ToArray(), HoldBand = hold });
            SolveEqualsIntegrator(new Pendulum.RhsSystem(), [0.4, -0.1], [1.3, 0.2, 0.7, 1.9], 0, 3, new SolverOptions { Method = method, SaveAt = dense, HoldBand = hold });
        }
        // Save times at an empty interval, and a solve that fails before its last save time.
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 1, 1, new SolverOptions { Method = method, SaveAt = [1, 1] });
        OdeSolution budget = SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 10,
            new SolverOptions { Method = method, MaxSteps = 40, SaveAt = Enumerable.Range(0, 11).Select(i => (double)i).ToArray() });
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Status);
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void SaveSteps_AreTheIntegratorsSteps_BitForBit(string name)
    {
        OdeMethod method = OdeMethod.BuiltIn.Single(m => m.Name == name);
        double[] lorenz = [10, 28, 8.0 / 3];
        foreach (double? hold in new double?[] { null, 0.5 })
        {
            OdeSolution forward = SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3,
                new SolverOptions { Method = method, RelTol = 1e-7, AbsTol = 1e-9, SaveSteps = true, HoldBand = hold });
            Assert.Equal(forward.Stats.Steps + 1, forward.Times.Length);   // t0 and every accepted step, the end once
            SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 3, 0, new SolverOptions { Method = method, SaveSteps = true, HoldBand = hold });
            SolveEqualsIntegrator(new Pendulum.RhsSystem(), [0.4, -0.1], [1.3, 0.2, 0.7, 1.9], 0, 3, new SolverOptions { Method = method, SaveSteps = true, HoldBand = hold });
        }
        // SaveAt wins over SaveSteps; an empty interval; a solve that fails keeps the steps it accepted.
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3, new SolverOptions { Method = method, SaveSteps = true, SaveAt = [0, 1.5, 3] });
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 1, 1, new SolverOptions { Method = method, SaveSteps = true });
        OdeSolution budget = SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 10, new SolverOptions { Method = method, MaxSteps = 40, SaveSteps = true });
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Status);
        OdeSolution blowUp = SolveEqualsIntegrator(new BlowUp.RhsSystem(), [1.0], [1.0], 0, 2, new SolverOptions { Method = method, SaveSteps = true });
        Assert.NotEqual(OdeStatus.Success, blowUp.Status);
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void Dense_IsTheIntegratorsDenseOutput_BitForBit(string name)
    {
        OdeMethod method = OdeMethod.BuiltIn.Single(m => m.Name == name);
        double[] lorenz = [10, 28, 8.0 / 3], pendulum = [1.3, 0.2, 0.7, 1.9];
        // The dense output between and on the steps, against the integrator's, bit for bit (forwards, backwards, with the band,
        // with save times and every step saved beside it, and a solve that fails).
        void DenseEqual<TSystem>(TSystem system, double[] y0, double[] p, double t0, double t1, SolverOptions options) where TSystem : struct, IOdeSystem
        {
            OdeSolution fast = SolveEqualsIntegrator(system, y0, p, t0, t1, options);
            OdeSolution reference = Ode.Solve(new SystemField<TSystem>(system, p), y0, t0, t1, options);
            Assert.True(fast.HasDenseOutput);
            double[] a = new double[y0.Length], b = new double[y0.Length];
            for (int i = 0; i <= 997; i++)
            {
                double t = t0 + (reference.FinalTime - t0) * i / 997.0;
                reference.Interpolate(t, a);
                fast.Interpolate(t, b);
                for (int q = 0; q < y0.Length; q++)
                    Assert.True(BitConverter.DoubleToInt64Bits(a[q]) == BitConverter.DoubleToInt64Bits(b[q]), $"{method.Name}: y[{q}]({t:R}) {a[q]:R} (integrator) vs {b[q]:R}");
            }
        }
        foreach (double? hold in new double?[] { null, 0.5 })
        {
            DenseEqual(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 3, new SolverOptions { Method = method, RelTol = 1e-7, AbsTol = 1e-9, Dense = true, HoldBand = hold });
            DenseEqual(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 3, 0, new SolverOptions { Method = method, Dense = true, HoldBand = hold });
            DenseEqual(new Pendulum.RhsSystem(), [0.4, -0.1], pendulum, 0, 3, new SolverOptions { Method = method, Dense = true, HoldBand = hold, SaveAt = [0, 0.5, 2.5] });
            DenseEqual(new Pendulum.RhsSystem(), [0.4, -0.1], pendulum, 0, 3, new SolverOptions { Method = method, Dense = true, HoldBand = hold, SaveSteps = true });
        }
        OdeSolution budget = SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 10, new SolverOptions { Method = method, MaxSteps = 40, Dense = true });
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Status);
        DenseEqual(new Lorenz.RhsSystem(), [1, 1, 1], lorenz, 0, 10, new SolverOptions { Method = method, MaxSteps = 40, Dense = true });
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void Solve_FailsAsTheIntegratorFails(string name)
    {
        OdeMethod method = OdeMethod.BuiltIn.Single(m => m.Name == name);
        // Blow-up: the steps shrink until they underflow (y' = y², y(0) = 1 has a pole at t = 1).
        OdeSolution blowUp = SolveEqualsIntegrator(new BlowUp.RhsSystem(), [1.0], [1.0], 0, 2, new SolverOptions { Method = method });
        Assert.NotEqual(OdeStatus.Success, blowUp.Status);
        // The step budget.
        OdeSolution budget = SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], 0, 10, new SolverOptions { Method = method, MaxSteps = 40 });
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Status);
        // A step bound below what the end needs: MinStep above the controller's steps.
        SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], 0, 10, new SolverOptions { Method = method, MinStep = 0.05, RelTol = 1e-10, AbsTol = 1e-10 });
        // f not finite at the start.
        OdeSolution start = SolveEqualsIntegrator(new BlowUp.RhsSystem(), [double.MaxValue], [1.0], 0, 1, new SolverOptions { Method = method });
        Assert.Equal(OdeStatus.NonFiniteValue, start.Status);
    }

    [Fact]
    public void Solve_StaysTheIntegrators_WhenTheStepsWeightsUnderflow()
    {
        // A first step so small that h·a_ij underflows for the smallest coefficients: those terms are left out, as the kernel does.
        foreach (OdeMethod method in new[] { OdeMethod.Dopri5, OdeMethod.Tsit5, OdeMethod.BogackiShampine3, OdeMethod.Fehlberg45 })
            SolveEqualsIntegrator(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], 0, 1e-300,
                new SolverOptions { Method = method, InitialStep = 4e-322, MaxSteps = 50 });
    }

    [Fact]
    public void Shapes_AreTheTableausZeros()
    {
        double[] p = [10, 28, 8.0 / 3];
        StageShape Shape(OdeMethod m) => ((RegisterStages<Lorenz.RhsSystem.ScalarRegisters>)RegisterStages.For(new Lorenz.RhsSystem(), new SolverOptions { Method = m }, p)!).Shape;
        Assert.Equal(StageShape.Dopri5, Shape(OdeMethod.Dopri5));
        Assert.Equal(StageShape.Tsit5, Shape(OdeMethod.Tsit5));
        Assert.Equal(StageShape.BogackiShampine3, Shape(OdeMethod.BogackiShampine3));
        Assert.Equal(StageShape.Any, Shape(OdeMethod.CashKarp));
    }

    [Fact]
    public void SolvesWhole_OnlyWhenTheEndOrSaveTimesAreWanted()
    {
        double[] p = [10, 28, 8.0 / 3];
        RegisterStages stages = RegisterStages.For(new Lorenz.RhsSystem(), new SolverOptions(), p)!;
        Assert.True(stages.SolvesWhole(new SolverOptions()));
        Assert.True(stages.SolvesWhole(new SolverOptions { SaveAt = [0.5, 1] }));
        Assert.True(stages.SolvesWhole(new SolverOptions { SaveSteps = true }));
        Assert.True(stages.SolvesWhole(new SolverOptions { Dense = true }));
        Assert.False(stages.SolvesWhole(new SolverOptions { FixedStep = 0.01 }));
        Assert.False(stages.SolvesWhole(new SolverOptions { Events = [new OdeEvent((t, y) => y[0] - 5)] }));
    }
}
