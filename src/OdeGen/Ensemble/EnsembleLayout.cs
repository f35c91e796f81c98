namespace OdeGen.Ensemble;

/// <summary>How an ensemble's trajectories are grouped into blocks.</summary>
internal static class EnsembleLayout
{
    /// <summary>
    /// Registers per block: 8 for fixed steps, so that independent dependency chains overlap in the CPU (results do not
    /// depend on it: with a fixed step the lanes never interact; the fused steps take them in pairs, and on 10,000 Lorenz
    /// RK4 trajectories 8 was about 3 % faster than 4 at 512 bits, BENCHMARKS.md); 1 for adaptive steps, which the lanes
    /// of a block share, so that as few lanes as possible share each step.
    /// </summary>
    public static int Registers(SolverOptions options) => options.FixedStep is not null ? 8 : 1;

    /// <summary>Blocks of <paramref name="lanesPerBlock"/> trajectories that hold <paramref name="count"/>.</summary>
    public static int Blocks(int count, int lanesPerBlock) => (count + lanesPerBlock - 1) / lanesPerBlock;
}
