namespace OdeGen.Tests.Generated;

/// <summary>
/// <see cref="LaneMlp"/> in float: a 2→50→2 tanh MLP written as loops, weights packed in p as W1 (50×2) at 0, b1 at
/// 100, W2 (2×50) at 150, b2 at 250. The float lane tests run its generated lane methods against its scalar ones.
/// </summary>
public static partial class LaneMlpSingle
{
    public const int In = 2, Hidden = 50, Out = 2;
    public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden, Size = B2 + Out;

    [OdeDynamics(States = 2, Parameters = 252)]
    public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
    {
        Span<float> h = stackalloc float[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            float s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * y[j];
            }

            h[i] = MathF.Tanh(s);
        }

        for (int k = 0; k < Out; k++)
        {
            float o = p[B2 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W2 + k * Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}
