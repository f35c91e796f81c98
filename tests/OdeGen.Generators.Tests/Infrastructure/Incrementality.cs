using Microsoft.CodeAnalysis;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>Assertions over the driver's tracked steps.</summary>
internal static class Incrementality
{
    /// <summary>The generator's tracked step names.</summary>
    public static readonly string[] StepNames =
    {
        OdeDynamicsGenerator.TrackingNames.Parse,
        OdeDynamicsGenerator.TrackingNames.Model,
        OdeDynamicsGenerator.TrackingNames.FileNames,
        OdeDynamicsGenerator.TrackingNames.Differentiate,
        OdeDynamicsGenerator.TrackingNames.Simplify,
        OdeDynamicsGenerator.TrackingNames.Plan,
        OdeDynamicsGenerator.TrackingNames.Emit,
    };

    /// <summary>The tracked step names of the [Differentiable] function pipeline (and the file names, shared by both).</summary>
    public static readonly string[] FunctionStepNames =
    {
        OdeDynamicsGenerator.FunctionTrackingNames.Parse,
        OdeDynamicsGenerator.FunctionTrackingNames.Model,
        OdeDynamicsGenerator.TrackingNames.FileNames,
        OdeDynamicsGenerator.FunctionTrackingNames.Differentiate,
        OdeDynamicsGenerator.FunctionTrackingNames.Simplify,
        OdeDynamicsGenerator.FunctionTrackingNames.Plan,
        OdeDynamicsGenerator.FunctionTrackingNames.Emit,
        OdeDynamicsGenerator.FunctionTrackingNames.EmitLanes,
    };

    /// <summary>Every output of <paramref name="step"/> in the run's tracked steps.</summary>
    public static IReadOnlyList<IncrementalStepRunReason> Reasons(GeneratorDriverRunResult result, string step) =>
        result.Results.Single().TrackedSteps.TryGetValue(step, out var runs)
            ? runs.SelectMany(r => r.Outputs).Select(o => o.Reason).ToList()
            : Array.Empty<IncrementalStepRunReason>();

    /// <summary>Asserts each tracked step ran and only reused or reconfirmed its outputs.</summary>
    public static void AssertAllStepsCached(GeneratorDriverRunResult result, params string[] steps)
    {
        foreach (string step in steps.Length == 0 ? StepNames : steps)
        {
            IReadOnlyList<IncrementalStepRunReason> reasons = Reasons(result, step);
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
    }
}
