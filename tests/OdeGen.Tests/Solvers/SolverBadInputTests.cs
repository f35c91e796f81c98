using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>Events refuse input that would crash or silently never fire: found by probing the public API with bad input.</summary>
public class SolverBadInputTests
{
    private static readonly DecaySystem Decay = new();   // y' = −k·y
    private static readonly double[] Y0 = [1.0];
    private static readonly double[] K = [0.7];

    public static TheoryData<string> Methods() => [.. OdeMethod.All.Where(m => m.ToString() is "Dopri5" or "Tsit5" or "Rodas4" or "Kvaerno5").Select(m => m.ToString()!)];

    private static SolverOptions With(string method, params OdeEvent[] events) =>
        new() { Method = OdeMethod.All.Single(m => m.ToString() == method), Events = events };

    // StateCrossing cannot know the system's size: its condition read y[component] and threw IndexOutOfRangeException from
    // inside the step loop.
    [Theory]
    [MemberData(nameof(Methods))]
    public void StateCrossing_OfAComponentTheSystemDoesNotHave_IsAnArgumentError(string method)
    {
        SolverOptions options = With(method, OdeEvent.StateCrossing(3, 0.5));
        var e = Assert.Throws<ArgumentException>(() => Ode.Solve(Decay, Y0, K, 0, 2, options));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("component 3", e.Message);
        Assert.Contains("StateCount 1", e.Message);
        Assert.Throws<ArgumentException>(() => Ode.Jvp(Decay, Y0, K, 0, 2, [1.0], [0.0], options: options));
        Assert.Throws<ArgumentException>(() => Ode.Gradient(Decay, Y0, K, 0, [2.0], [1.0], Sensitivity.InterpolatingAdjoint(), options));
    }

    // A NaN g has no sign, so no crossing was ever seen: the event never fired and the solve reported Success.
    [Theory]
    [MemberData(nameof(Methods))]
    public void EventConditionReturningNaN_IsAnArgumentErrorThatSaysWhen(string method)
    {
        var atStart = new OdeEvent((t, y) => double.NaN) { Name = "broken" };
        var e = Assert.Throws<ArgumentException>(() => Ode.Solve(Decay, Y0, K, 0, 2, With(method, atStart)));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("broken", e.Message);
        Assert.Contains("NaN at t = 0", e.Message);

        // NaN only after t = 1, where the crossing y = 0.5 (t ≈ 0.99) has not happened yet at the step's end for every method.
        var later = new OdeEvent((t, y) => t > 1.2 ? double.NaN : y[0] - 0.4, (t, y, dgdy) => { dgdy[0] = 1; return 0; });
        Assert.Throws<ArgumentException>(() => Ode.Solve(Decay, Y0, K, 0, 2, With(method, later)));
        Assert.Throws<ArgumentException>(() => Ode.Sensitivities(Decay, Y0, K, 0, 2, With(method, later)));
    }

    // ±∞ is a sign: g = −∞ before t = 1 and +∞ after it crosses there. The root finder took any non-finite g for the side after
    // the crossing, pulled the bracket back to the step's start and reported the event there (t ≈ 0.86) with success.
    [Fact]
    public void EventConditionReturningInfinity_CountsByItsSign_AndIsLocatedWhereItCrosses()
    {
        var step = new OdeEvent((t, y) => t < 1 ? double.NegativeInfinity : double.PositiveInfinity) { Terminal = true };
        OdeSolution s = Ode.Solve(Decay, Y0, K, 0, 2, new SolverOptions { Events = [step] });
        Assert.Equal(OdeStatus.EventTerminated, s.Status);
        Assert.Equal(1.0, s.FinalTime, 1e-9);
    }

    // A NaN level made g NaN everywhere (the event never fired); a cast direction named the setter's parameter, "value".
    [Fact]
    public void EventFactoriesAndSettings_RefuseWhatCannotWork_ByName()
    {
        Assert.Equal("level", Assert.Throws<ArgumentOutOfRangeException>(() => OdeEvent.StateCrossing(0, double.NaN)).ParamName);
        Assert.Equal("level", Assert.Throws<ArgumentOutOfRangeException>(() => OdeEvent.StateCrossing(0, double.PositiveInfinity)).ParamName);
        Assert.Equal("Direction", Assert.Throws<ArgumentException>(() => new OdeEvent((t, y) => 1) { Direction = (EventDirection)9 }).ParamName);
    }

    private static IOdeIntegrator<SystemField<DecaySystem>> Started(string method, int dimension = 1)
    {
        OdeMethod m = OdeMethod.All.Single(x => x.ToString() == method);
        IOdeIntegrator<SystemField<DecaySystem>> integrator = m.CreateIntegrator<SystemField<DecaySystem>>(dimension, new SolverOptions { Method = m });
        if (dimension == 1) integrator.Reset(new SystemField<DecaySystem>(Decay, K), Y0, 0, 2);
        return integrator;
    }

    // A public integrator's continuous extension covers its last accepted step only. Outside it (or at a NaN t, or between
    // t0 and tEnd before any step) it returned a number from no step; a short y threw IndexOutOfRangeException (Rodas4, Kvaerno5)
    // or an ArgumentException about a 'destination' the caller never passed.
    [Theory]
    [MemberData(nameof(Methods))]
    public void IntegratorInterpolate_OutsideTheLastStepOrIntoAShortSpan_IsRefusedByName(string method)
    {
        IOdeIntegrator<SystemField<DecaySystem>> integrator = Started(method);
        var y = new double[1];
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Interpolate(0.5, y)).ParamName);   // before any step
        integrator.Interpolate(0, y);
        Assert.Equal(1.0, y[0]);

        Assert.True(integrator.Step());
        double a = integrator.PreviousTime, b = integrator.Time;
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Interpolate(b + 0.5 * (b - a), y)).ParamName);
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Interpolate(double.NaN, y)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => integrator.Interpolate(0.5 * (a + b), Span<double>.Empty)).ParamName);

        // Inside and at both ends the extension is what it was.
        integrator.Interpolate(0.5 * (a + b), y);
        Assert.Equal(Math.Exp(-0.7 * 0.5 * (a + b)), y[0], 1e-5);
        integrator.Interpolate(b, y);
        Assert.Equal(integrator.State[0], y[0], 1e-14);
    }

    // An integrator created for two components stepped a one-component field with Success (the second stayed as it was).
    [Theory]
    [MemberData(nameof(Methods))]
    public void IntegratorReset_WithAFieldOfAnotherDimension_IsRefusedByName(string method)
    {
        IOdeIntegrator<SystemField<DecaySystem>> integrator = Started(method, dimension: 2);
        var e = Assert.Throws<ArgumentException>(() => integrator.Reset(new SystemField<DecaySystem>(Decay, K), [1.0, 1.0], 0, 2));
        Assert.Equal("field", e.ParamName);
        Assert.Contains("Dimension 1", e.Message);
    }

    // A user's own tableau that fails its consistency checks threw ArgumentException with no parameter name.
    [Fact]
    public void InconsistentTableau_NamesTheArgumentAtFault()
    {
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => new ButcherTableau("mine", 2, [[], [0.5]], [0.3, 0.3], [0.0, 0.5])).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => new ButcherTableau("mine", 2, [[], [0.5]], [double.NaN, 1.0], [0.0, 0.5])).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => new ButcherTableau("mine", 2, [[], [0.5]], [0.0, 1.0], [0.0, 0.7])).ParamName);
        Assert.Equal("errorWeights", Assert.Throws<ArgumentException>(() =>
            new ButcherTableau("mine", 2, [[], [0.5]], [0.0, 1.0], [0.0, 0.5], errorWeights: [0.5, 0.5], errorOrder: 1)).ParamName);
    }
}
