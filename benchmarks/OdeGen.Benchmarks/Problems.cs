namespace OdeGen.Benchmarks;

/// <summary>
/// The inputs every benchmark and every peer program uses (benchmarks/peers/*.c, *.cpp use the same numbers):
/// Lorenz with (σ, ρ, β) = (10, 28, 8/3) from y(0) = (1, 1, 1), loss L = y₀(T) + y₁(T) + y₂(T).
/// </summary>
public static class Problems
{
    /// <summary>Tolerance of the solve and gradient benchmarks (rtol = atol).</summary>
    public const double Tolerance = 1e-8;

    /// <summary>End time of the forward-solve benchmarks.</summary>
    public const double SolveEnd = 100;

    /// <summary>Initial state.</summary>
    public static readonly double[] Y0 = [1, 1, 1];

    /// <summary>Parameters (σ, ρ, β).</summary>
    public static readonly double[] P = [10, 28, 8.0 / 3];

    /// <summary>∂L/∂y(T) for L = Σ y(T).</summary>
    public static readonly double[] SumLoss = [1, 1, 1];

    /// <summary>Options at the benchmark tolerance for <paramref name="method"/>.</summary>
    public static SolverOptions Options(OdeMethod method) => new() { Method = method, RelTol = Tolerance, AbsTol = Tolerance };

    /// <summary>Ensemble: trajectories, fixed step and steps of the RK4 ensemble benchmark.</summary>
    public const int EnsembleSize = 1000, EnsembleSteps = 1000;

    /// <summary>The ensemble's fixed step.</summary>
    public const double EnsembleDt = 0.001;

    /// <summary>
    /// The ensemble's parameters, (σ, ρ, β) per trajectory: σ ∈ [8, 12), ρ ∈ [20, 35) drawn from SplitMix64 with
    /// seed 42 (σ then ρ for each trajectory), β = 8/3. SplitMix64 rather than System.Random so that the C++ peer
    /// draws bit-identical numbers.
    /// </summary>
    public static double[] EnsembleParameters(int count)
    {
        var rng = new SplitMix64(42);
        var p = new double[3 * count];
        for (int i = 0; i < count; i++)
        {
            p[3 * i] = 8 + 4 * rng.NextDouble();
            p[3 * i + 1] = 20 + 15 * rng.NextDouble();
            p[3 * i + 2] = 8.0 / 3;
        }
        return p;
    }
}

/// <summary>SplitMix64 (Steele, Lea &amp; Flood 2014): tiny, and easy to reproduce exactly in C and C++.</summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
