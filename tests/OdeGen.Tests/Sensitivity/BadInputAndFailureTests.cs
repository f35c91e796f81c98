using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>Bad arguments throw ArgumentException with a message that says what was expected; failed solves are a status with NaN results.</summary>
public class BadInputAndFailureTests
{
    private static readonly HandLorenz System = new();
    private static readonly double[] Ones = [1.0, 1.0, 1.0];

    private static ArgumentException GradientThrows(double[] y0, double[] p, double t0, double[] times, double[] dLdy)
        => Assert.ThrowsAny<ArgumentException>(() => Ode.Gradient(System, y0, p, t0, times, dLdy));

    [Fact]
    public void WrongSizes_NameTheExpectedSize()
    {
        Assert.Contains("length 3", GradientThrows([1.0, 1.0], LorenzP, 0, [1.0], Ones).Message);
        Assert.Contains("length 3", GradientThrows(LorenzY0, [10.0, 28.0], 0, [1.0], Ones).Message);
        var e = GradientThrows(LorenzY0, LorenzP, 0, [0.5, 1.0], Ones);
        Assert.Equal("dLdy", e.ParamName);
        Assert.Contains("length 6", e.Message);
        Assert.Contains("at least one", GradientThrows(LorenzY0, LorenzP, 0, [], []).Message);

        Assert.Contains("length 3", Assert.ThrowsAny<ArgumentException>(() =>
            Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0], [0.0, 0, 0])).Message);
        Assert.Contains("length 3", Assert.ThrowsAny<ArgumentException>(() =>
            Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0])).Message);
        Assert.Contains("length 3", Assert.ThrowsAny<ArgumentException>(() =>
            Ode.Sensitivities(System, [1.0], LorenzP, 0, 1)).Message);
    }

    [Fact]
    public void NonFiniteValues_AreRejected()
    {
        Assert.Equal("y0", GradientThrows([1.0, double.NaN, 1.0], LorenzP, 0, [1.0], Ones).ParamName);
        Assert.Equal("p", GradientThrows(LorenzY0, [10.0, double.PositiveInfinity, 1.0], 0, [1.0], Ones).ParamName);
        Assert.Equal("t0", GradientThrows(LorenzY0, LorenzP, double.NaN, [1.0], Ones).ParamName);
        Assert.Contains("times[1]", GradientThrows(LorenzY0, LorenzP, 0, [0.5, double.NaN], [1.0, 1, 1, 1, 1, 1]).Message);
        Assert.Equal("dLdy", GradientThrows(LorenzY0, LorenzP, 0, [1.0], [1.0, double.NaN, 1.0]).ParamName);
        Assert.ThrowsAny<ArgumentException>(() => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [double.NaN, 0, 0], [0.0, 0, 0]));
        Assert.ThrowsAny<ArgumentException>(() => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [0.0, 0, 0], [0.0, 0, 0], t1Dot: double.NaN));
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, "strictly increasing")]
    [InlineData(new[] { 0.5, 0.3 }, "strictly increasing")]
    [InlineData(new[] { -0.5, 0.5 }, "other side of t0")]
    [InlineData(new[] { -0.5, -0.3 }, "strictly decreasing")]
    public void TimesMustBeMonotoneAwayFromT0(double[] times, string expected)
    {
        var e = GradientThrows(LorenzY0, LorenzP, 0, times, new double[times.Length * 3]);
        Assert.Equal("times", e.ParamName);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SaveAtOutsideTheSpanOrUnordered_IsRejected()
    {
        Assert.Contains("outside", Assert.ThrowsAny<ArgumentException>(() => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1,
            [0.0, 0, 1], [0.0, 0, 0], options: new SolverOptions { SaveAt = [0.5, 1.5] })).Message);
        Assert.Contains("ordered", Assert.ThrowsAny<ArgumentException>(() => Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1,
            new SolverOptions { SaveAt = [0.5, 0.2] })).Message);
    }

    [Fact]
    public void FailedSolve_IsAStatusWithNaNResults_NotANumber()
    {
        var starved = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, MaxSteps = 20 };
        foreach (OdeGen.Sensitivity method in new OdeGen.Sensitivity[] { OdeGen.Sensitivity.BacksolveAdjoint, OdeGen.Sensitivity.Forward, OdeGen.Sensitivity.InterpolatingAdjoint(), OdeGen.Sensitivity.DiscreteAdjoint })
        {
            OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, [0.5, 1.0], new double[6] { 1, 1, 1, 1, 1, 1 }, method, starved);
            Assert.Equal(OdeStatus.MaxStepsExceeded, g.Status);
            Assert.False(g.IsSuccess);
            Assert.All(g.Y0, v => Assert.True(double.IsNaN(v)));
            Assert.All(g.Parameters, v => Assert.True(double.IsNaN(v)));
            Assert.All(g.Times, v => Assert.True(double.IsNaN(v)));
            Assert.True(double.IsNaN(g.T0));
        }
        var starvedWithSaves = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, MaxSteps = 20, SaveAt = [0.0, 0.5] };
        OdeTangent t = Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0, 0, 0], options: starvedWithSaves);
        Assert.Equal(OdeStatus.MaxStepsExceeded, t.Status);
        Assert.All(t.Tangent, v => Assert.True(double.IsNaN(v)));
        Assert.All(t.TangentAt(1).ToArray(), v => Assert.True(double.IsNaN(v)));
        OdeSensitivities s = Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1, starvedWithSaves);
        Assert.Equal(OdeStatus.MaxStepsExceeded, s.Status);
        Assert.All(s.DyDp, v => Assert.True(double.IsNaN(v)));
        Assert.All(s.DyDpAt(1).ToArray(), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void InterpolatingAdjoint_NeedsAtLeastOneCheckpoint()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OdeGen.Sensitivity.InterpolatingAdjoint(0));
        Assert.Same(OdeGen.Sensitivity.InterpolatingAdjoint(), OdeGen.Sensitivity.InterpolatingAdjoint());
        Assert.Equal(5, OdeGen.Sensitivity.InterpolatingAdjoint(5).Checkpoints);
    }

    [Fact]
    public void AdjointSettings_AreValidatedAndNamed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BacksolveAdjointSensitivity { RelTol = -1e-8 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new InterpolatingAdjointSensitivity { AbsTol = double.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => OdeGen.Sensitivity.Backsolve(relTol: double.PositiveInfinity));
        Assert.Same(OdeGen.Sensitivity.BacksolveAdjoint, OdeGen.Sensitivity.Backsolve());
        BacksolveAdjointSensitivity b = OdeGen.Sensitivity.Backsolve(relTol: 1e-12, absTol: 1e-11, seminorm: true);
        Assert.Equal((1e-12, 1e-11, true), (b.RelTol!.Value, b.AbsTol!.Value, b.Seminorm));
        Assert.Equal("BacksolveAdjoint [rtol 1E-12, atol 1E-11, seminorm]", b.Name);
        Assert.Equal("InterpolatingAdjoint(16) [seminorm]", new InterpolatingAdjointSensitivity { Seminorm = true }.Name);
        Assert.Equal("DiscreteAdjoint", OdeGen.Sensitivity.DiscreteAdjoint.Name);
    }

    [Fact]
    public void AbsTolVector_SizedForTheState_WorksForEveryMethod()
    {
        // The vector has StateCount entries; each method lays it out over its augmented state (state components take
        // it, derivative components the scalar AbsTol), instead of rejecting it for having the wrong length.
        var reference = LoadLorenzReference("T=1");
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, AbsTolVector = [1e-10, 1e-10, 2e-10] };
        foreach (OdeGen.Sensitivity method in new OdeGen.Sensitivity[] { OdeGen.Sensitivity.Forward, OdeGen.Sensitivity.BacksolveAdjoint,
            OdeGen.Sensitivity.Backsolve(seminorm: true), OdeGen.Sensitivity.InterpolatingAdjoint(), OdeGen.Sensitivity.DiscreteAdjoint })
        {
            OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], Ones, method, options);
            Assert.True(g.IsSuccess, $"{method}: {g.Status}");
            AssertNormwise(reference.DLdy0, g.Y0, 2e-6, $"{method} dL/dy0");
        }
        OdeTangent t = Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0, 0, 0], options: options);
        Assert.True(t.IsSuccess);
        Assert.True(Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1, options).IsSuccess);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void AbsTolVector_OfAnotherLength_IsAnArgumentErrorForEveryCall(int length)
    {
        // Ode.Solve and the adjoints rejected it; Ode.Jvp, Ode.Sensitivities and the forward gradient laid out what fitted
        // (a short vector's missing entries took the scalar AbsTol, a long one was cut) and returned Success.
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, AbsTolVector = Enumerable.Repeat(1e-10, length).ToArray() };
        void Rejects(Action call)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Contains($"AbsTolVector must have length 3", e.Message);
            Assert.Contains($"has length {length}", e.Message);
        }
        Rejects(() => Ode.Solve(System, LorenzY0, LorenzP, 0, 1, options));
        Rejects(() => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0, 0, 0], options: options));
        Rejects(() => Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1, options));
        foreach (OdeGen.Sensitivity method in new OdeGen.Sensitivity[] { OdeGen.Sensitivity.Forward, OdeGen.Sensitivity.BacksolveAdjoint,
            OdeGen.Sensitivity.InterpolatingAdjoint(), OdeGen.Sensitivity.DiscreteAdjoint })
            Rejects(() => Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], Ones, method, options));
    }

    [Fact]
    public void InterpolatingAdjoint_WithMoreCheckpointsThanAnArrayHolds_IsAnArgumentError()
    {
        // times.Length + checkpoints + 1 overflowed int: an IndexOutOfRangeException (and, through events, an OverflowException).
        var s = OdeGen.Sensitivity.InterpolatingAdjoint(int.MaxValue, recordBudgetBytes: 0);
        var e = Assert.Throws<ArgumentException>(() => Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], Ones, s));
        Assert.Contains("fewer checkpoints", e.Message);
        var events = new SolverOptions { Events = [OdeEvent.StateCrossing(0, 100.0, terminal: true)] };
        e = Assert.Throws<ArgumentException>(() => Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], Ones, s, events));
        Assert.Contains("fewer checkpoints", e.Message);
    }

    [Fact]
    public void FailedBackwardPass_IsReportedToo()
    {
        // At T = 10 the forward pass succeeds but back-solving the chaotic Lorenz state blows up.
        OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, [10.0], Ones, OdeGen.Sensitivity.BacksolveAdjoint,
            new SolverOptions { MaxSteps = 20_000 });
        Assert.True(g.Stats.Forward.Steps > 0);
        Assert.NotEqual(OdeStatus.Success, g.Status);
        Assert.All(g.Y0, v => Assert.True(double.IsNaN(v)));
    }
}
