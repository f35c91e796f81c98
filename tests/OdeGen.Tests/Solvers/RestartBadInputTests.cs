using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>The integrators' Restart and Reset refuse times and states they cannot continue from: found by probing with bad input.</summary>
public class RestartBadInputTests
{
    private readonly struct Decay : IJacobianField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = -y[0];
        public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => dfdy[0] = -1;
        public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt) => dfdt[0] = 0;
    }

    /// <summary>One method of each family: each integrator has its own Reset and Restart.</summary>
    public static TheoryData<string> Families()
    {
        var data = new TheoryData<string>();
        foreach (OdeMethod m in OdeMethod.All.Where(m => m.IsAdaptive).GroupBy(m => m.GetType()).Select(g => g.First())) data.Add(m.Name);
        return data;
    }

    private static IOdeIntegrator<Decay> Create(string name)
    {
        OdeMethod method = OdeMethod.All.Single(m => m.Name == name);
        return method.CreateIntegrator<Decay>(1, new SolverOptions { Method = method, RelTol = 1e-9, AbsTol = 1e-12 });
    }

    // A restart past the end turned the step loop round: from t = 1.5 it integrated backwards to the end, 1, and reported
    // Success with y(1) = e^0.5 instead of a continuation. One before the start integrated over more than the interval.
    [Theory]
    [MemberData(nameof(Families))]
    public void Restart_OutsideTheIntervalOfTheLastReset_IsRefusedByName(string name)
    {
        IOdeIntegrator<Decay> integrator = Create(name);
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Restart(1.5, [1.0])).ParamName);
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Restart(-0.5, [1.0])).ParamName);

        // Inside it (both ends included) a restart continues to the same end; backwards likewise.
        integrator.Restart(0.5, [2.0]);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(1.0, integrator.Time);
        Assert.Equal(2 * Math.Exp(-0.5), integrator.State[0], 1e-7);
        integrator.Restart(1.0, [3.0]);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(3.0, integrator.State[0]);

        integrator.Reset(default, [1.0], 0, -1);
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() => integrator.Restart(0.25, [1.0])).ParamName);
        integrator.Restart(-0.5, [1.0]);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(Math.Exp(0.5), integrator.State[0], 1e-7);
    }

    // A NaN t was refused naming t0 and a short y naming y0, arguments Restart does not have.
    [Theory]
    [MemberData(nameof(Families))]
    public void Restart_NonFiniteTime_OrAStateOfAnotherLength_NamesItsOwnArgument(string name)
    {
        IOdeIntegrator<Decay> integrator = Create(name);
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal("t", Assert.Throws<ArgumentException>(() => integrator.Restart(double.NaN, [1.0])).ParamName);
        Assert.Equal("t", Assert.Throws<ArgumentException>(() => integrator.Restart(double.PositiveInfinity, [1.0])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => integrator.Restart(0.5, [1.0, 2.0])).ParamName);
    }

    // A NaN state with nothing left to step (a restart on the end time, as an event's reset on t1 makes, or a Reset with
    // t0 = tEnd) was a Success whose final state was NaN. Elsewhere the first evaluation of F already failed it.
    [Theory]
    [MemberData(nameof(Families))]
    public void NonFiniteState_IsNonFiniteValue_EvenWithNothingToStep(string name)
    {
        IOdeIntegrator<Decay> integrator = Create(name);
        integrator.Reset(default, [1.0], 0, 1);
        integrator.Run();
        integrator.Restart(1.0, [double.NaN]);
        Assert.Equal(OdeStatus.NonFiniteValue, integrator.Status);
        Assert.False(integrator.Step());

        integrator.Reset(default, [double.PositiveInfinity], 2, 2);
        Assert.Equal(OdeStatus.NonFiniteValue, integrator.Status);
        integrator.Reset(default, [double.NaN], 0, 1);
        Assert.Equal(OdeStatus.NonFiniteValue, integrator.Run());

        integrator.Reset(default, [1.0], 2, 2);
        Assert.Equal(OdeStatus.Success, integrator.Run());
    }

    // Before any Reset the step loop's interval was [0, 0] and the field a default one: Restart(1, y) integrated that field
    // from 1 back to 0 and reported Success.
    [Theory]
    [MemberData(nameof(Families))]
    public void Restart_BeforeAnyReset_IsAnInvalidOperation(string name)
    {
        IOdeIntegrator<Decay> integrator = Create(name);
        Assert.Contains("call Reset first", Assert.Throws<InvalidOperationException>(() => integrator.Restart(1.0, [1.0])).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => integrator.Restart(0.0, [1.0]));
        integrator.Reset(default, [1.0], 0, 1);
        integrator.Restart(0.0, [1.0]);
        Assert.Equal(OdeStatus.Success, integrator.Run());
    }
}
