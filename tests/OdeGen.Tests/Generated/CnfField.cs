namespace OdeGen.Tests.Generated;

/// <summary>
/// A 2→16→2 tanh field with second-order code, the dynamics of a small continuous normalizing flow: weights packed
/// in p as W1 (16×2) at 0, b1 at 32, W2 (2×16) at 48, b2 at 80, and a time input scaled by p[82].
/// </summary>
public static partial class CnfField
{
    public const int In = 2, Hidden = 16;
    public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + In * Hidden, Time = B2 + In, Size = Time + 1;

    [OdeDynamics(States = In, Parameters = Size, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i] + p[Time] * t;
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * y[j];
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < In; k++)
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
