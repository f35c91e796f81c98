namespace OdeGen.Orleans;

/// <summary>How a silo's ensemble workers run the blocks of one request (register an instance as a singleton to change it).</summary>
public sealed class OdeWorkerOptions
{
    /// <summary>Most blocks of one request solved at once on this silo; null (default) uses every core.</summary>
    public int? MaxDegreeOfParallelism { get; init; }
}
