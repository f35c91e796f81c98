using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OdeGen.Orleans.Workers;

namespace OdeGen.Orleans;

/// <summary>Registers on a silo the ODE systems its workers can solve.</summary>
public static class OdeSystemServiceCollectionExtensions
{
    /// <summary>
    /// Lets this silo's ensemble workers solve <typeparamref name="TSystem"/> (a generated <c>{Type}.{Method}System</c> or
    /// any lane system struct). Requests name the system by <see cref="OdeSystemName.Of{TSystem}"/>; the worker runs
    /// code closed over <typeparamref name="TSystem"/> here, at registration, so nothing is looked up by reflection or
    /// built at run time. Register every system the clients send on every silo.
    /// </summary>
    /// <param name="services">The silo's services (<c>siloBuilder.Services</c>).</param>
    /// <param name="system">The instance to solve with; <c>default</c> suits generated systems of fixed size. Systems
    /// sized in their constructor must be registered with the same sizes the clients use (checked per request).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddOdeGenSystem<TSystem>(this IServiceCollection services, TSystem system = default)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<OdeSystemRegistry>();
        services.TryAddSingleton<RunningRequests>();
        services.AddSingleton<IOdeSystemRunner>(new OdeSystemRunner<TSystem>(system));
        return services;
    }
}

/// <summary>The systems this silo can run, by name (built from the <see cref="IOdeSystemRunner"/>s registered in DI).</summary>
internal sealed class OdeSystemRegistry
{
    private readonly Dictionary<string, IOdeSystemRunner> _runners = new(StringComparer.Ordinal);

    public OdeSystemRegistry(IEnumerable<IOdeSystemRunner> runners)
    {
        // The last registration of a name wins, as with other DI registrations.
        foreach (IOdeSystemRunner runner in runners) _runners[runner.Name] = runner;
    }

    public IReadOnlyCollection<string> Names => _runners.Keys;

    public bool TryGet(string name, out IOdeSystemRunner runner) => _runners.TryGetValue(name, out runner!);
}
