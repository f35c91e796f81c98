using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// <see cref="RegisterStages"/>, the stages of an explicit step in a generated system's register type (what Ode.Solve uses for
/// small straight-line systems), is a copy of <see cref="RungeKuttaKernel{TLane}"/>'s stages for speed: it must give the same
/// bits, step by step and over whole solves, for every explicit tableau.
/// </summary>
public class RegisterStagesTests
{
    public static TheoryData<string> ExplicitMethods => new(OdeMethod.BuiltIn.Where(m => m.Tableau.Stages <= RegisterStages.MaxStages).Select(m => m.Name));

    private static SolverOptions Options(OdeMethod method, double? initialStep = null) => method.IsAdaptive
        ? new SolverOptions { Method = method, RelTol = 1e-7, AbsTol = 1e-9, SaveSteps = true, MaxSteps = 1_000_000, InitialStep = initialStep }
        : new SolverOptions { Method = method, FixedStep = 1e-3, SaveSteps = true, MaxSteps = 1_000_000 };

    private static Span<Lane1> L(double[] values) => MemoryMarshal.Cast<double, Lane1>(values.AsSpan());

    private readonly struct Field<TSystem>(TSystem system, double[] p) : IStageFunction<Lane1> where TSystem : struct, IOdeSystem
    {
        public void Evaluate(double t, ReadOnlySpan<Lane1> y, Span<Lane1> dydt) =>
            system.Evaluate(t, MemoryMarshal.Cast<Lane1, double>(y), p, MemoryMarshal.Cast<Lane1, double>(dydt));
    }

    // One step from random points, forwards and backwards, against the kernel's Stages and Candidate: every stage row and the candidate.
    private static void StepEqualsKernel<TSystem>(TSystem system, double[] p, ButcherTableau tableau, int seed) where TSystem : struct, IOdeSystem
    {
        OdeMethod method = OdeMethod.BuiltIn.SingleOrDefault(m => m.Tableau == tableau) ?? new ExplicitRungeKuttaMethod(tableau);
        var options = new SolverOptions { Method = method, FixedStep = tableau.IsAdaptive ? null : 0.1 };
        RegisterStages stages = RegisterStages.For(system, options, p) ?? throw new InvalidOperationException($"{typeof(TSystem).Name} has no register stages");
        var kernel = new RungeKuttaKernel<Lane1>(tableau);
        int n = system.StateCount, s = tableau.Stages;
        var random = new Random(seed);
        for (int trial = 0; trial < 20; trial++)
        {
            double[] y = Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-2, 2))).ToArray();
            double t = random.NextDouble() * 3, h = (trial % 2 == 0 ? 1 : -1) * Math.Pow(10, -3 * random.NextDouble()) * 0.3;
            double[] k1 = new double[tableau.DenseStages * n], k2 = new double[tableau.DenseStages * n];
            system.Evaluate(t, y, p, k1.AsSpan(0, n));
            k1.AsSpan(0, n).CopyTo(k2);
            double[] yNew1 = new double[n], yNew2 = new double[n];
            var f = new Field<TSystem>(system, p);
            kernel.Stages(ref f, t, h, L(y), L(k1), L(yNew1));
            kernel.Candidate(L(yNew1), L(y), L(k1), h);
            Assert.True(stages.TryStep(t, h, y, k2, yNew2, out bool finite));
            Assert.Equal(StepControl.AllFinite(k1.AsSpan(0, s * n)) && StepControl.AllFinite(yNew1), finite);
            for (int i = 0; i < s * n; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(k1[i]) == BitConverter.DoubleToInt64Bits(k2[i]), $"{tableau.Name}, trial {trial}: k[{i}] {k1[i]:R} (kernel) vs {k2[i]:R}");
            for (int q = 0; q < n; q++)
                Assert.True(BitConverter.DoubleToInt64Bits(yNew1[q]) == BitConverter.DoubleToInt64Bits(yNew2[q]), $"{tableau.Name}, trial {trial}: y_new[{q}] {yNew1[q]:R} (kernel) vs {yNew2[q]:R}");
            if (!stages.HasStepErrorNorm)
            {
                Assert.True(tableau.ErrorWeights is null || tableau.SecondErrorWeights is not null, tableau.Name);
                continue;
            }
            double[] atol = Enumerable.Range(0, n).Select(q => Math.Pow(10, -6 - q)).ToArray();
            foreach (ErrorNorm norm in new[] { ErrorNorm.Rms, ErrorNorm.Max })
                foreach (int components in new[] { n, 1 })
                {
                    double expected = kernel.SingleErrorNorm(h, L(k1), L(y), L(yNew1), components, atol, 1e-7, norm);
                    double actual = stages.StepErrorNorm(h, y, yNew2, components, atol, 1e-7, norm);
                    Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{tableau.Name}, trial {trial}, {norm}, {components}: error {expected:R} (kernel) vs {actual:R}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(ExplicitMethods))]
    public void TryStep_IsTheKernelsStep_BitForBit(string method)
    {
        ButcherTableau tableau = OdeMethod.BuiltIn.Single(m => m.Name == method).Tableau;
        StepEqualsKernel(new Lorenz.RhsSystem(), [10, 28, 8.0 / 3], tableau, seed: 1);
        StepEqualsKernel(new Pendulum.RhsSystem(), [1.3, 0.2, 0.7, 1.9], tableau, seed: 2);      // Sin, Cos and t
        StepEqualsKernel(new Ecology.Logistic.GrowthSystem(), [0.8, 3.0], tableau, seed: 3);      // one state, Tanh
    }

    // Every built-in tableau has a_{i,i−1} ≠ 0, so each stage sum ends with the stage just computed; TryStep takes that term from
    // the register it was computed in and the others from their rows. These two (valid, second order; the second with an embedded
    // first-order estimate) skip the latest stage in a sum: the sums must still be the kernel's, term for term.
    public static TheoryData<string> SkippingTableaux => new(["skip-fixed", "skip-adaptive"]);

    private static ButcherTableau Skipping(string name) => name == "skip-fixed"
        // c = (0, ½, 1): stage 3 reads stage 1 only (a₃₂ = 0); b = (1/6, 2/3, 1/6).
        ? new ButcherTableau(name, 2, [[], [0.5], [1.0, 0.0]], [1.0 / 6, 2.0 / 3, 1.0 / 6], [0, 0.5, 1])
        // c = (0, ½, ½, 1): stage 3 reads stage 1 only (a₃₂ = 0), stage 4 stage 3 only; b = (1/6, 0, 2/3, 1/6), the embedded
        // estimate Euler (b̂ = e₁). (Fehlberg45's b, whose last weight is 0, covers a candidate that skips the latest stage.)
        : new ButcherTableau(name, 2, [[], [0.5], [0.5, 0.0], [0.0, 0.0, 1.0]], [1.0 / 6, 0.0, 2.0 / 3, 1.0 / 6], [0, 0.5, 0.5, 1],
            errorWeights: [1.0 / 6 - 1, 0.0, 2.0 / 3, 1.0 / 6], errorOrder: 1);

    [Theory]
    [MemberData(nameof(SkippingTableaux))]
    public void TryStep_IsTheKernelsStep_WhenASumSkipsTheLatestStage(string name)
    {
        ButcherTableau tableau = Skipping(name);
        StepEqualsKernel(new Lorenz.RhsSystem(), [10, 28, 8.0 / 3], tableau, seed: 4);
        StepEqualsKernel(new Pendulum.RhsSystem(), [1.3, 0.2, 0.7, 1.9], tableau, seed: 5);
    }

    // Whole solves: Ode.Solve (register stages) against the integrator stepped without them, every saved step and the statistics.
    private static SolverStats SolveEqualsKernel<TSystem>(TSystem system, double[] y0, double[] p, double t1, OdeMethod method, double? initialStep = null)
        where TSystem : struct, IOdeSystem
    {
        SolverOptions options = Options(method, initialStep);
        Assert.NotNull(RegisterStages.For(system, options, p));
        OdeSolution solution = Ode.Solve(system, y0, p, 0, t1, options);
        var integrator = new RungeKuttaIntegrator<SystemField<TSystem>>(y0.Length, options);
        integrator.Reset(new SystemField<TSystem>(system, p), y0, 0, t1);
        var times = new List<double> { 0 };
        var states = new List<double[]> { y0 };
        while (integrator.Step())
        {
            times.Add(integrator.Time);
            states.Add(integrator.State.ToArray());
        }
        Assert.Equal(integrator.Status, solution.Status);
        Assert.Equal(integrator.Stats.Steps, solution.Stats.Steps);
        Assert.Equal(integrator.Stats.RejectedSteps, solution.Stats.RejectedSteps);
        Assert.Equal(integrator.Stats.FunctionEvaluations, solution.Stats.FunctionEvaluations);
        Assert.Equal(times.Count, solution.Times.Length);
        for (int j = 0; j < times.Count; j++)
        {
            Assert.Equal(times[j], solution.Times[j]);
            Assert.Equal(states[j], solution.State(j).ToArray());
        }
        return solution.Stats;
    }

    [Theory]
    [MemberData(nameof(ExplicitMethods))]
    public void Solve_IsTheKernelsSolve_BitForBit(string method)
    {
        OdeMethod m = OdeMethod.BuiltIn.Single(x => x.Name == method);
        double t1 = m.IsAdaptive ? 5 : 1;
        SolveEqualsKernel(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], t1, m);
        SolveEqualsKernel(new Pendulum.RhsSystem(), [0.4, -0.1], [1.3, 0.2, 0.7, 1.9], t1, m);
        // y' = y² from 1 blows up at t = 1: the non-finite stages, rejections and the failure, as the kernel meets them.
        OdeSolution blowUp = Ode.Solve(new BlowUp.RhsSystem(), [1.0], [1.0], 0, 2, Options(m));
        Assert.False(blowUp.IsSuccess);
        SolveEqualsKernel(new BlowUp.RhsSystem(), [1.0], [1.0], 2, m);
        if (m.IsAdaptive)
        {
            // Backwards, with rejected steps from a large first step.
            SolveEqualsKernel(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], -0.5, m);
            SolverStats stats = SolveEqualsKernel(new Lorenz.RhsSystem(), [1, 1, 1], [10, 28, 8.0 / 3], 2, m, initialStep: 0.5);
            Assert.True(stats.RejectedSteps > 0, $"{method}: no rejection");
        }
    }

    [Fact]
    public void TryStep_DeclinesAStepWhoseWeightsUnderflow_AndTheSolveStaysTheKernels()
    {
        double[] p = [10, 28, 8.0 / 3];
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };
        RegisterStages stages = RegisterStages.For(new Lorenz.RhsSystem(), options, p)!;
        double[] y = [1, 2, 3], k = new double[7 * 3], yNew = [7, 7, 7];
        Assert.False(stages.TryStep(0, double.Epsilon, y, k, yNew, out _));
        Assert.Equal([7.0, 7, 7], yNew);   // nothing computed
        Assert.True(stages.TryStep(0, 1e-3, y, k, yNew, out bool finite));
        Assert.True(finite);
    }

    [Fact]
    public void For_IsNull_WithoutARegisterForm_OrForOtherFamilies()
    {
        double[] p = [10, 28, 8.0 / 3];
        Assert.Null(RegisterStages.For(new RuntimeSizedChain.RhsSystem(), new SolverOptions(), [1.0]));   // loops over runtime sizes
        Assert.Null(RegisterStages.For(new Lorenz.RhsSystem(), new SolverOptions { Method = OdeMethod.Rodas4 }, p));
        Assert.Null(RegisterStages.For(new Lorenz.RhsSystem(), new SolverOptions { Method = OdeMethod.Dop853 }, p));   // twelve stages
        Assert.NotNull(RegisterStages.For(new Lorenz.RhsSystem(), new SolverOptions(), p));
    }

    [Fact]
    public void Solve_WithRegisterStages_AllocationDoesNotGrowWithSteps()
    {
        double[] p = [10, 28, 8.0 / 3], y0 = [1, 1, 1];
        var options = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-9, MaxSteps = 1_000_000 };
        var lorenz = new Lorenz.RhsSystem();
        Ode.Solve(lorenz, y0, p, 0, 2, options);
        Ode.Solve(lorenz, y0, p, 0, 250, options);
        OdeSolution few = null!, many = null!;
        long fewBytes = Allocations.Least(() => few = Ode.Solve(lorenz, y0, p, 0, 2, options));
        long manyBytes = Allocations.Least(() => many = Ode.Solve(lorenz, y0, p, 0, 250, options));
        Assert.True(many.Stats.Steps >= 50 * few.Stats.Steps, $"{few.Stats.Steps} vs {many.Stats.Steps} steps");
        // The tolerance as in AllocationTests (the shared ArrayPool); growth with the steps would be over 500 KB.
        Assert.True(Math.Abs(manyBytes - fewBytes) <= 1024, $"{fewBytes} bytes for {few.Stats.Steps} steps, {manyBytes} for {many.Stats.Steps}");
    }
}
