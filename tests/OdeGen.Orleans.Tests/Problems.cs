namespace OdeGen.Orleans.Tests;

/// <summary>Lorenz ensembles with a spread of initial states and ρ, a few non-finite rows, and a count no block width divides.</summary>
internal static class Problems
{
    public static readonly double[] Shared = [10.0, 28.0, 8.0 / 3.0];

    public static double[] InitialStates(int count, int seed, int nonFinite = 0)
    {
        var random = new Random(seed);
        var y0s = new double[count * 3];
        for (int i = 0; i < y0s.Length; i++) y0s[i] = random.NextDouble() * 20 - 10;
        // Trajectories whose y0 is not finite end at t0 with NonFiniteValue: statuses other than Success travel too.
        for (int j = 0; j < nonFinite; j++) y0s[(j * 37 % count) * 3 + 1] = double.NaN;
        return y0s;
    }

    public static double[] Parameters(int count, int seed)
    {
        var random = new Random(seed);
        var ps = new double[count * 3];
        for (int j = 0; j < count; j++)
        {
            ps[j * 3] = 10.0;
            ps[j * 3 + 1] = 20.0 + 10.0 * random.NextDouble();
            ps[j * 3 + 2] = 8.0 / 3.0;
        }
        return ps;
    }

    public static double[] Seed(int count, int seed)
    {
        var random = new Random(seed);
        var seedRows = new double[count * 3];
        for (int i = 0; i < seedRows.Length; i++) seedRows[i] = random.NextDouble() * 2 - 1;
        return seedRows;
    }
}

/// <summary>Exact comparisons: every double by its bits (so NaN rows and signed zeros count), statuses and work counts as they are.</summary>
internal static class Same
{
    public static void Bits(double[] expected, double[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}[{i}] is {actual[i]:R}, the local call's is {expected[i]:R}");
    }

    public static void Solution(EnsembleSolution expected, EnsembleSolution actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.StateCount, actual.StateCount);
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.LanesPerBlock, actual.LanesPerBlock);
        Bits(expected.SaveAt, actual.SaveAt, "SaveAt");
        Bits(expected.FinalStates, actual.FinalStates, "FinalStates");
        Bits(expected.FinalTimes, actual.FinalTimes, "FinalTimes");
        Bits(expected.SavedStates, actual.SavedStates, "SavedStates");
        Assert.Equal(expected.Statuses, actual.Statuses);
        Assert.Equal(expected.TrajectoryStats, actual.TrajectoryStats);
        Assert.Equal(expected.BlockStats, actual.BlockStats);
    }

    // countsVjps: false for per-lane steps, whose VJP calls count registers, and how trajectories share registers depends
    // on how the ensemble was divided (among threads locally, among requests on the cluster). The evaluations of f in the
    // backward passes are counted per trajectory, so they are compared always.
    public static void Gradient(EnsembleGradient expected, EnsembleGradient actual, bool countsVjps = true)
    {
        Solution(expected.Solution, actual.Solution);
        Assert.Equal(expected.ParameterCount, actual.ParameterCount);
        Bits(expected.Times, actual.Times, "Times");
        Bits(expected.States, actual.States, "States");
        Bits(expected.DLdy, actual.DLdy, "DLdy");
        Assert.Equal(expected.HasLoss, actual.HasLoss);
        Bits(expected.Losses, actual.Losses, "Losses");
        Bits([expected.Loss], [actual.Loss], "Loss");
        Assert.Equal(expected.Sensitivity.Name, actual.Sensitivity.Name);
        Bits(expected.Y0, actual.Y0, "Y0");
        Bits(expected.Parameters, actual.Parameters, "Parameters");
        Assert.Equal(expected.SharedParameters is null, actual.SharedParameters is null);
        if (expected.SharedParameters is not null) Bits(expected.SharedParameters, actual.SharedParameters!, "SharedParameters");
        Assert.Equal(expected.BackwardEvaluations, actual.BackwardEvaluations);
        if (countsVjps) Assert.Equal(expected.VjpEvaluations, actual.VjpEvaluations);
    }
}
