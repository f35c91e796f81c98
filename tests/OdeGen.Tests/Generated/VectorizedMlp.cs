namespace OdeGen.Tests.Generated;

/// <summary>
/// <see cref="LaneMlp"/> (the 2→50→2 tanh MLP of the benchmarks, same weight layout) with
/// <c>VectorizeLoops = true</c>: its Evaluate, Jvp and Vjp run the hidden and output loops across the
/// hidden units in SIMD at the widest width the hardware accelerates.
/// </summary>
public static partial class VectorizedMlp
{
    public const int In = 2, Hidden = 50, Out = 2;
    public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden, Size = B2 + Out;

    [OdeDynamics(States = 2, Parameters = 252, VectorizeLoops = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * y[j];
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < Out; k++)
        {
            double o = p[B2 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W2 + k * Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}
