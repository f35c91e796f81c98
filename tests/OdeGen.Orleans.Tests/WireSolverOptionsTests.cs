using System.Reflection;
using OdeGen.Orleans;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// The options travel field by field (<see cref="WireSolverOptions"/>). A SolverOptions property the mapping forgot
/// would reach the silos at its default and give a different solve with a success status, so every property is held
/// to make the round trip, and this test fails when SolverOptions gains one the wire does not carry.
/// </summary>
public class WireSolverOptionsTests
{
    [Fact]
    public void EverySolverOptionsProperty_SurvivesTheRoundTrip()
    {
        var options = new SolverOptions
        {
            Method = OdeMethod.Tsit5,
            RelTol = 1.5e-7,
            AbsTol = 2.5e-9,
            AbsTolVector = [1e-9, 2e-9, 3e-9],
            SaveAt = [0.25, 0.5],
            SaveSteps = true,
            Dense = true,
            Norm = ErrorNorm.Max,
            MaxSteps = 1234,
            FixedStep = 0.01,
            InitialStep = 0.003,
            MinStep = 1e-9,
            MaxStep = 0.5,
            Safety = 0.8,
            MinFactor = 0.3,
            MaxFactor = 4.0,
            Controller = StepSizeControl.Integral,
            HoldBand = 0.5,
        };
        SolverOptions back = WireSolverOptions.From(options).ToOptions();

        // Events cannot travel (ensembles reject them), nor the setting that only the events read (EventInteriorPoints);
        // every other property must.
        PropertyInfo[] properties = typeof(SolverOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name is not (nameof(SolverOptions.Events) or nameof(SolverOptions.EventInteriorPoints))).ToArray();
        var defaults = new SolverOptions();
        foreach (PropertyInfo property in properties)
        {
            object? sent = property.GetValue(options), received = property.GetValue(back);
            // The test's own values must differ from the defaults, or a dropped property would go unnoticed.
            Assert.False(Equal(sent, property.GetValue(defaults)), $"set {property.Name} to a non-default value in this test");
            Assert.True(Equal(sent, received), $"SolverOptions.{property.Name} does not survive the trip to the silos");
        }
    }

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (double[] x, double[] y) => x.SequenceEqual(y),
        _ => Equals(a, b),
    };
}
