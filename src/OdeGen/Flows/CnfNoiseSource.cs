namespace OdeGen.Flows;

/// <summary>
/// Draws the noise vectors of one solve from a seed: the same seed gives the same ε for every sample, whatever the
/// chunking or the number of threads (the whole batch is drawn first, in sample order).
/// </summary>
/// <remarks>
/// The numbers are those of <c>new Random(seed)</c> (its seeded sequence, which .NET keeps from version to version), drawn
/// from this thread's <see cref="SeededUniform"/> re-seeded in place, so that a draw allocates nothing.
/// </remarks>
internal static class CnfNoiseSource
{
    [ThreadStatic]
    private static SeededUniform? t_uniform;

    public static double[] Draw(CnfNoise kind, int seed, int count)
    {
        var values = new double[count];
        Fill(kind, seed, values);
        return values;
    }

    /// <summary>Fills <paramref name="values"/> as <see cref="Draw"/> would (nothing to do when it is empty).</summary>
    public static void Fill(CnfNoise kind, int seed, Span<double> values)
    {
        if (values.IsEmpty) return;
        SeededUniform uniform = t_uniform ??= new SeededUniform();
        uniform.Seed(seed);
        if (kind == CnfNoise.Rademacher)
        {
            for (int i = 0; i < values.Length; i++) values[i] = uniform.NextBit() == 0 ? -1.0 : 1.0;
        }
        else
        {
            FillGaussian(uniform, values);
        }
    }

    /// <summary>Standard normal values from <paramref name="random"/> by the Box–Muller transform.</summary>
    public static void FillGaussian(Random random, Span<double> values) => FillGaussian(new RandomUniform(random), values);

    /// <summary>Standard normal values by the Box–Muller transform (two per pair of uniforms).</summary>
    private static void FillGaussian<TUniform>(TUniform uniform, Span<double> values) where TUniform : IUniform
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - uniform.NextDouble(), u2 = uniform.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
            values[i] = r * Math.Cos(angle);
            if (i + 1 < values.Length) values[i + 1] = r * Math.Sin(angle);
        }
    }

    private interface IUniform
    {
        double NextDouble();
    }

    private readonly struct RandomUniform(Random random) : IUniform
    {
        public double NextDouble() => random.NextDouble();
    }

    /// <summary>
    /// The sequence of a seeded <see cref="Random"/> (<c>new Random(seed)</c>: Knuth's subtractive generator, seeded as
    /// Numerical Recipes' ran3), in a state that is re-seeded in place: <see cref="NextDouble"/> is its NextDouble and
    /// <see cref="NextBit"/> its Next(2), bit for bit (tests compare them with Random's own over many seeds).
    /// </summary>
    internal sealed class SeededUniform : IUniform
    {
        private const int Seed0 = 161803398;
        private readonly int[] _state = new int[56];
        private int _next, _nextP;

        /// <summary>Restarts the sequence as <c>new Random(seed)</c> starts it.</summary>
        public void Seed(int seed)
        {
            int[] a = _state;
            int mj = Seed0 - (seed == int.MinValue ? int.MaxValue : Math.Abs(seed)), mk = 1, ii = 0;
            a[55] = mj;
            for (int i = 1; i < 55; i++)
            {
                ii += 21;
                if (ii >= 55) ii -= 55;
                a[ii] = mk;
                mk = mj - mk;
                if (mk < 0) mk += int.MaxValue;
                mj = a[ii];
            }
            for (int round = 1; round < 5; round++)
            {
                for (int i = 1; i < 56; i++)
                {
                    int n = i + 30;
                    if (n >= 55) n -= 55;
                    a[i] -= a[1 + n];
                    if (a[i] < 0) a[i] += int.MaxValue;
                }
            }
            _next = 0;
            _nextP = 21;
        }

        /// <summary>Random.NextDouble of a seeded Random: the next value / int.MaxValue, in [0, 1).</summary>
        public double NextDouble() => Next() * (1.0 / int.MaxValue);

        /// <summary>Random.Next(2) of a seeded Random: 0 or 1.</summary>
        public int NextBit() => (int)(NextDouble() * 2);

        private int Next()
        {
            int next = _next + 1, nextP = _nextP + 1;
            if (next >= 56) next = 1;
            if (nextP >= 56) nextP = 1;
            int value = _state[next] - _state[nextP];
            if (value == int.MaxValue) value--;
            if (value < 0) value += int.MaxValue;
            _state[next] = value;
            (_next, _nextP) = (next, nextP);
            return value;
        }
    }
}
