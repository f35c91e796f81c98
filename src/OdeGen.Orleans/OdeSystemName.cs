namespace OdeGen.Orleans;

/// <summary>The name a system type travels by: its full type name (namespace, containing types, name).</summary>
public static class OdeSystemName
{
    /// <summary>
    /// The name of <typeparamref name="TSystem"/>, e.g. <c>MyModels.Lorenz+RhsSystem</c> for the generated
    /// <c>Lorenz.RhsSystem</c>. No assembly name or version: a silo built with another build of the same model finds it.
    /// </summary>
    public static string Of<TSystem>() where TSystem : struct => typeof(TSystem).FullName ?? typeof(TSystem).Name;
}
