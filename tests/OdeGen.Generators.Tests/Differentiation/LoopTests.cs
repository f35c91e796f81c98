using System.Reflection;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// Loops beyond what the shared compile-and-run theory covers: sizes known only at run time (the
/// struct's constructor), the MLP's generated code staying loops (not unrolled, nothing allocated),
/// and the MLP's Vjp against a hand-written backpropagation.
/// </summary>
public class LoopTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(40, 7)]
    public void RuntimeSizes_ComeFromTheConstructor_AndEveryDerivativeMatches(int states, int parameters)
    {
        Type type = CompiledSystems.All["Chain.Rhs"].System.GetType();
        var system = (IOdeSystem)Activator.CreateInstance(type, states, parameters)!;
        Dynamics user = CompiledSystems.All["Chain.Rhs"].User;
        Assert.Equal(states, system.StateCount);
        Assert.Equal(parameters, system.ParameterCount);

        var random = new Random(states * 100 + parameters);
        var x = new Point(random.NextDouble(), Vector(random, states, -0.9, 0.9), Vector(random, parameters, 0.5, 1.5), random);
        double[] expected = new double[states], actual = new double[states];
        user(x.T, x.Y, x.P, expected);
        system.Evaluate(x.T, x.Y, x.P, actual);
        Assert.Equal(expected, actual);

        FiniteDifferences fd = FiniteDifferences.Of(system, x);
        Direction v = Direction.Random(random, system);
        double[] f = new double[states], fDot = new double[states];
        system.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
        for (int i = 0; i < states; i++)
        {
            Assert.Equal(fd.Apply(i, v), fDot[i], 1e-6);
        }

        // Dot-product test: <a, J·v> = <Jᵀa, v>, t included.
        double[] a = Vector(random, states, -1, 1), yBar = new double[states], pBar = new double[parameters];
        double tBar = system.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
        double left = a.Zip(fDot, (ai, d) => ai * d).Sum();
        double right = (tBar * v.T) + yBar.Zip(v.Y, (g, d) => g * d).Sum() + pBar.Zip(v.P, (g, d) => g * d).Sum();
        Assert.Equal(left, right, 1e-12 * (1 + Math.Abs(left)));

        double[] dfdy = new double[states * states], dfdp = new double[states * parameters];
        system.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
        for (int i = 0; i < states; i++)
        {
            for (int j = 0; j < states; j++)
            {
                Assert.Equal(fd.Dy[i, j], dfdy[(i * states) + j], 1e-6);
            }

            for (int k = 0; k < parameters; k++)
            {
                Assert.Equal(fd.Dp[i, k], dfdp[(i * parameters) + k], 1e-6);
            }
        }
    }

    [Fact]
    public void RuntimeSizedStruct_HasAConstructorAndNoSizeConstants()
    {
        string text = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.LoopRuntime)).ScalarSources.Single().Value;
        Assert.Contains("public RhsSystem(int states, int parameters)", text);
        Assert.DoesNotContain("public const int States", text);
        Assert.Null(CompiledSystems.All["Chain.Rhs"].System.GetType().GetField("States", BindingFlags.Public | BindingFlags.Static));
    }

    [Theory]
    [InlineData(-1, 2, "states")]
    [InlineData(3, -4, "parameters")]
    [InlineData(int.MinValue, int.MinValue, "states")]
    public void RuntimeSizedStruct_RefusesANegativeSize_NamingTheParameter(int states, int parameters, string refused)
    {
        Type type = CompiledSystems.All["Chain.Rhs"].System.GetType();
        var e = Assert.Throws<TargetInvocationException>(() => Activator.CreateInstance(type, states, parameters));
        var range = Assert.IsType<ArgumentOutOfRangeException>(e.InnerException);
        Assert.Equal(refused, range.ParamName);

        var system = (IOdeSystem)Activator.CreateInstance(type, 3, 0)!;
        Assert.Equal((3, 0), (system.StateCount, system.ParameterCount));
    }

    [Fact]
    public void MlpCode_IsLoops_NotUnrolled_AndAllocatesNothing()
    {
        string text = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.LoopMlp)).ScalarSources.Single().Value;

        // 2·50 + 50·2 weights would be hundreds of lines unrolled; loops keep the file small.
        Assert.True(text.Split('\n').Length < 400, $"{text.Split('\n').Length} lines");
        Assert.Contains("for (int i = 0; i < 50; i++)", text);
        Assert.Contains("for (int i = 50 - 1; (uint)i < 50u; i--)", text);   // i >= 0, written so the JIT bounds i on both sides
        Assert.DoesNotContain("new ", text.Replace("<summary>", "", StringComparison.Ordinal));
        Assert.DoesNotContain("p[149]", text);
    }

    [Fact]
    public void MlpVjp_EqualsHandWrittenBackpropagation()
    {
        IOdeSystem system = CompiledSystems.All["Mlp.Rhs"].System;
        var random = new Random(3);
        double[] y = Vector(random, 2, -0.9, 0.9), p = Vector(random, 252, -0.5, 0.5), a = Vector(random, 2, -1, 1);
        double[] yBar = new double[2], pBar = new double[252];
        system.Vjp(0.3, y, p, a, yBar, pBar);

        // Backpropagation by hand: h = tanh(W1·y + b1), f = W2·h + b2.
        double[] wantY = new double[2], wantP = new double[252], h = new double[50];
        for (int i = 0; i < 50; i++)
        {
            h[i] = Math.Tanh(p[100 + i] + (p[2 * i] * y[0]) + (p[(2 * i) + 1] * y[1]));
        }

        for (int i = 0; i < 50; i++)
        {
            double hBar = 0;
            for (int k = 0; k < 2; k++)
            {
                hBar += a[k] * p[150 + (k * 50) + i];
                wantP[150 + (k * 50) + i] = a[k] * h[i];
            }

            double sBar = hBar * (1 - (h[i] * h[i]));
            wantP[100 + i] = sBar;
            for (int j = 0; j < 2; j++)
            {
                wantP[(2 * i) + j] = sBar * y[j];
                wantY[j] += sBar * p[(2 * i) + j];
            }
        }

        wantP[250] = a[0];
        wantP[251] = a[1];
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(wantY[j], yBar[j], 1e-13);
        }

        for (int k = 0; k < 252; k++)
        {
            Assert.Equal(wantP[k], pBar[k], 1e-13);
        }
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();
}
