using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Optimize;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Optimize;

/// <summary>
/// The optimizer's loop passes and FMA contraction, checked on the IR they produce (the compile-and-run,
/// interpreter and snapshot tests check the numbers and the text): short loops are gone, long ones stay;
/// output adjoints are not accumulated in memory inside loops; the user's arithmetic is never fused.
/// </summary>
public class OptimizerTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, SystemIr>> Ir = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.All.Values.ToArray()));
        return run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .ToDictionary(s => s.Header.Types[^1].Name.Split('<')[0] + "." + s.Header.MethodName);
    });

    [Theory]
    [InlineData("0 + i * 2 + j", "j", 1, "i * 2 + 1", null)]
    [InlineData("0 + i * 2 + j", "i", 3, "6 + j", null)]
    [InlineData("150 + k * 50 + i", "k", 1, "200 + i", null)]
    [InlineData("i * y.Length + j", "i", 0, "j", null)]
    [InlineData("(i + 1) % y.Length", "i", 2, "3 % y.Length", null)]
    [InlineData("2 - (i - 1)", "i", 0, "3", 3)]
    [InlineData("i - (j - k)", "k", 0, "i - j", null)]
    [InlineData("i - (j - k)", "q", 0, "i - (j - k)", null)]
    [InlineData("-i * 3", "i", 2, "-6", -6)]
    [InlineData("7 / i", "i", 0, "7 / 0", null)]   // never folds a division by zero
    public void IndexExpr_SubstitutesAndFolds(string text, string variable, int value, string expected, int? literal)
    {
        IndexExpr result = IndexReader.Read(text).Substitute(new Dictionary<string, int> { [variable] = value });
        Assert.Equal(expected, result.Print(SpanNaming.Dynamics));
        Assert.Equal(literal, result.ConstantValue);
    }

    [Theory]
    [InlineData("i * 2 + 1", "i * 2 + 1")]
    [InlineData("(i * 2) + 1", "i * 2 + 1")]
    [InlineData("i - (j - k)", "i - (j - k)")]
    [InlineData("(i - j) - k", "i - j - k")]
    [InlineData("2 * (i + 3)", "2 * (i + 3)")]
    [InlineData("-(-i)", "-(-i)")]          // never --i, a decrement
    [InlineData("-(i * 3) + k", "-(i * 3) + k")]
    [InlineData("i - -3", "i - -3")]
    public void IndexExpr_PrintsWithTheParenthesesItNeeds(string text, string expected) =>
        Assert.Equal(expected, IndexReader.Read(text).Print(SpanNaming.Dynamics));

    [Fact]
    public void IndexExpr_PrintsSpanLengthsInTheTargetsNames()
    {
        IndexExpr e = IndexReader.Read("y.Length - dydt.Length + a.Length");
        Assert.Equal("y.Length - dydt.Length + a.Length", e.Print(SpanNaming.Dynamics));
        Assert.Equal("x.Length - y.Length + yBar.Length", e.Print(SpanNaming.Function));
        Assert.Equal(IndexReader.Read("y.Length - a.Length + a.Length"), e.WithLength(Slot.Dydt, Slot.A));
    }

    [Fact]
    public void IndexExpr_IsEquatable()
    {
        IndexExpr a = IndexReader.Read("i * 2 + y.Length"), same = IndexReader.Read("(i * 2) + y.Length");
        Assert.Equal(a, same);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(a, IndexReader.Read("i * 2 + p.Length"));
        Assert.NotEqual(a, IndexReader.Read("i * 2 - y.Length"));
        Assert.NotEqual(IndexReader.Read("i - j"), IndexReader.Read("j - i"));
        Assert.NotEqual(IndexReader.Read("-i"), IndexReader.Read("-j"));
    }

    [Fact]
    public void ShortConstantLoops_AreUnrolled_LongAndRuntimeLoopsStay()
    {
        // The MLP: the 2-iteration input loop and the 2-iteration output loop go, the 50-iteration hidden loops stay.
        foreach (IrFunction f in Functions("Mlp.Rhs"))
        {
            Assert.All(Loops(f), loop => Assert.Equal(IndexExpr.Of(50), loop.Ix2));
            Assert.NotEmpty(Loops(f));
        }

        // Reservoir: its loop over y.Length (a runtime size) stays in every method.
        Assert.All(Functions("Reservoir.Rhs"), f => Assert.Contains(Loops(f), loop => loop.Ix2 == new IndexExpr.Length(Slot.Y)));
    }

    [Fact]
    public void ReverseSweep_KeepsConstantOutputAdjoints_OutOfLoopMemory()
    {
        IrFunction vjp = Ir.Value["Mlp.Rhs"].Vjp;
        int depth = 0, promoted = 0;
        foreach (Instr x in vjp.Body)
        {
            depth += x.Op == Op.For ? 1 : x.Op == Op.EndFor ? -1 : 0;
            if (x.Op == Op.Store && x.Slot is Slot.YBar or Slot.PBar && x.Ix is null)
            {
                Assert.True(depth == 0, $"{x.Slot}[{x.Index}] is accumulated inside a loop");
                promoted += x.Slot == Slot.YBar ? 1 : 0;
            }
        }

        Assert.Equal(2, promoted);   // yBar[0] and yBar[1], each added once after the loop
        Assert.Contains(vjp.Body, x => x.Op == Op.Var && x.Name == "yBar0");
    }

    [Fact]
    public void LoopsOverOneRange_FuseOnlyWhereEachIterationKeepsToItsOwnElements()
    {
        SystemIr ring = Ir.Value["Ring.Rhs"];

        // Evaluate is exact: its three loops stay three. In Vjp the reverse sweeps of the w and s loops fuse (forward
        // loops never do); the u sweep does not (w's adjoint adds to uBar at a neighbour).
        Assert.Equal(3, Loops(ring.Evaluate).Count);
        Assert.Equal(5, Loops(ring.Vjp).Count);

        // wBar, touched only at [i] by the fused reverse loop, is a local; uBar stays a buffer.
        Assert.DoesNotContain(ring.Vjp.Body, x => x.Op == Op.Buf && x.Name == "wBar");
        Assert.Contains(ring.Vjp.Body, x => x.Op == Op.Buf && x.Name == "uBar");
        Assert.Contains(ring.Vjp.Body, x => x.Op == Op.Var && x.Name == "wBar_i");

        // The MLP's three reverse loops over the hidden units are one, with hBar in a local.
        IrFunction mlp = Ir.Value["Mlp.Rhs"].Vjp;
        Assert.Equal(2, Loops(mlp).Count);
        Assert.DoesNotContain(mlp.Body, x => x.Op == Op.Buf && x.Name == "hBar");
    }

    [Fact]
    public void RandomProgramLoops_FuseOnlyWhenTheSecondReadsItsOwnElement()
    {
        // The odd-numbered structured programs loop to y.Length (not unrolled); their second loop reads h[i] or
        // h[(i + 1) % 3]. A neighbour's read must keep the reverse sweeps apart; an own-element read lets them fuse
        // unless something else forbids it (the first sweep continuing a sum the second finished, kept apart to be safe).
        int[] indices = Enumerable.Range(0, 24).Select(k => (2 * k) + 1).ToArray();
        string[] sources = indices.Select(k => StructuredPrograms.Create(PropertyTests.Seed, k)).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        var ir = run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs).Select(o => ((Result<SystemIr>)o.Value).Value!)
            .ToDictionary(s => s.Header.Types[^1].Name);
        int fused = 0, neighbours = 0;
        for (int j = 0; j < indices.Length; j++)
        {
            SystemIr s = ir["Program" + indices[j]];
            bool own = sources[j].Contains("dydt[i] += h[i] *", StringComparison.Ordinal);
            Assert.Equal(2, Loops(s.Evaluate).Count);              // exact: never fused
            Assert.Equal(2, Loops(s.Jvp).Count);                   // forward loops stay apart
            int reverse = Loops(s.Vjp).Count(x => x.Phase == Phase.Adjoint);
            Assert.True(reverse == 2 || (own && reverse == 1), $"program {indices[j]}: {reverse} reverse loops (own element: {own})");
            fused += reverse == 1 ? 1 : 0;
            neighbours += own ? 0 : 1;
        }

        Assert.True(fused > 3 && neighbours > 3, $"{fused} fused and {neighbours} neighbour programs: the sample no longer covers both");
    }

    [Fact]
    public void FusedMultiplyAdd_AppearsInDerivativeCode_NeverInTheUsersArithmetic()
    {
        int fusedDerivatives = 0;
        foreach ((string name, SystemIr s) in Ir.Value)
        {
            Assert.DoesNotContain(s.Evaluate.Body, x => x.Fn == Fn.FusedMultiplyAdd && !UserWritesFma(name));
            foreach (IrFunction f in new[] { s.Jvp, s.Vjp })
            {
                Assert.DoesNotContain(f.Body, x => x.Fn == Fn.FusedMultiplyAdd && x.Phase == Phase.Primal && !UserWritesFma(name));
                fusedDerivatives += f.Body.Count(x => x.Fn == Fn.FusedMultiplyAdd && x.Phase != Phase.Primal);
            }
        }

        Assert.True(fusedDerivatives > 20, $"only {fusedDerivatives} fused products in derivative code");
    }

    [Fact]
    public void UnrolledCode_CompilesWithoutWarnings_AndKeepsTheUsersResults()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.All.Values.ToArray()));
        var generated = run.Result.GeneratedTrees.ToHashSet();
        var warnings = run.Output.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));

        var assembly = CompiledSystems.EmitAndLoad(run.Output);
        var system = (IOdeSystem)Activator.CreateInstance(assembly.GetType("Scenarios.Unrolled.Ends+RhsSystem")!)!;
        var user = assembly.GetType("Scenarios.Unrolled.Ends")!.GetMethod("Rhs")!.CreateDelegate<Dynamics>();
        double[] y = [0.3, -0.7, 1.1], p = [0.9, 1.7], expected = new double[3], actual = new double[3];
        user(0.0, y, p, expected);
        system.Evaluate(0.0, y, p, actual);
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));

        // The unrolled branches keep only the side each iteration takes.
        IrFunction evaluate = run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs).Select(o => ((Result<SystemIr>)o.Value).Value!)
            .Single(s => s.Header.MethodName == "Rhs" && s.Header.Types[^1].Name == "Ends").Evaluate;
        Assert.DoesNotContain(evaluate.Body, x => x.Op is Op.For or Op.If);
    }

    private static bool UserWritesFma(string system) =>
        TestSources.All.Values.Any(src => src.Contains("FusedMultiplyAdd", StringComparison.Ordinal) && src.Contains("class " + system.Split('.')[0], StringComparison.Ordinal));

    private static IEnumerable<IrFunction> Functions(string system)
    {
        SystemIr s = Ir.Value[system];
        return new[] { s.Evaluate, s.Jvp, s.Vjp };
    }

    private static List<Instr> Loops(IrFunction f) => f.Body.Where(x => x.Op == Op.For).ToList();
}
