using System.Reflection;
using OdeGen.Models;
using OdeGen.Solvers;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Packaging;

/// <summary>
/// What keeps an application's ReadyToRun image able to hold the solve and the gradient over the user's system: crossgen2
/// (.NET 10) does not follow a call of a generic virtual method to its overrides, so every method below such a call,
/// instantiated over the user's struct, is left to the JIT at the first call (BENCHMARKS.md, 6 December 2026, 06:50 and
/// the evening). OdeMethod and Sensitivity dispatch with type switches instead; this holds every class to that.
/// </summary>
public class PrecompilationTests
{
    // The layers' lane forms are generic virtual methods by design (a layer is a user-extensible class hierarchy and
    // TLane is the SIMD width); they run in models' training loops, not in Ode.Solve or Ode.Gradient.
    private static readonly string[] Allowed = [nameof(Layer.ForwardLanes), nameof(Layer.BackwardLanes)];

    [Fact]
    public void NoClassDeclaresGenericVirtualMethods_ButTheLayersLaneForms()
    {
        var found = typeof(Ode).Assembly.GetTypes()
            .Where(t => t.IsClass)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => m.IsGenericMethodDefinition && m.IsVirtual && !m.IsFinal)
                .Where(m => !(typeof(Layer).IsAssignableFrom(t) && Allowed.Contains(m.Name)))
                .Select(m => $"{t.FullName}.{m.Name}"))
            .ToList();
        Assert.True(found.Count == 0,
            "Generic virtual methods hide everything below them from ReadyToRun (use a type switch over sealed types): " + string.Join(", ", found));
    }

    [Fact]
    public void CreateIntegrator_GivesEachFamilyItsOwnIntegrator()
    {
        // The type switch's arms (a wrong arm would still integrate, with another family's steps).
        Assert.IsType<RungeKuttaIntegrator<SystemField<VanDerPolSystem>>>(OdeMethod.Dopri5.CreateIntegrator<SystemField<VanDerPolSystem>>(2, new SolverOptions { Method = OdeMethod.Dopri5 }));
        Assert.IsType<RosenbrockIntegrator<SystemField<VanDerPolSystem>>>(OdeMethod.Rodas4.CreateIntegrator<SystemField<VanDerPolSystem>>(2, new SolverOptions { Method = OdeMethod.Rodas4 }));
        Assert.IsType<EsdirkIntegrator<SystemField<VanDerPolSystem>>>(OdeMethod.Kvaerno5.CreateIntegrator<SystemField<VanDerPolSystem>>(2, new SolverOptions { Method = OdeMethod.Kvaerno5 }));
    }
}
