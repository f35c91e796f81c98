using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

internal static class FlowTestData
{
    /// <summary>Weights of the 2→16→2 CnfField, uniform in ±scale.</summary>
    public static double[] Weights(int seed, double scale = 0.6)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, CnfField.Size).Select(_ => ((random.NextDouble() * 2) - 1) * scale).ToArray();
    }

    /// <summary>B points in the plane, uniform in ±spread.</summary>
    public static double[] Points(int seed, int count, double spread = 1.5)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 2 * count).Select(_ => ((random.NextDouble() * 2) - 1) * spread).ToArray();
    }

    public static SolverOptions Tight => new() { RelTol = 1e-11, AbsTol = 1e-12 };
}
