using OdeGen;

namespace OdeGen.Samples.Spiral;

/// <summary>The data: dy/dt = (y³)·A in row-vector form, A = [[-0.1, 2.0], [-2.0, -0.1]].</summary>
public static partial class TrueSpiral
{
    /// <summary>dydt[j] = Σ_i y_i³·A[i][j]; p is unused (the truth has no parameters to learn).</summary>
    [OdeDynamics(States = 2, Parameters = 0)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double u0 = y[0] * y[0] * y[0], u1 = y[1] * y[1] * y[1];
        dydt[0] = -0.1 * u0 - 2.0 * u1;
        dydt[1] = 2.0 * u0 - 0.1 * u1;
    }
}

/// <summary>
/// The model, f(t, y) = W2·tanh(W1·y³ + b1) + b2 with 50 hidden units, as plain C# loops; the generator
/// differentiates it into <c>SpiralModel.RhsSystem</c>. Parameters: W1 [50][2], b1 [50], W2 [2][50], b2 [2]
/// (PyTorch's Linear layout), the layout of <see cref="OdeGen.Neural.TanhMlpSystem"/> too.
/// </summary>
public static partial class SpiralModel
{
    /// <summary>Hidden units.</summary>
    public const int Hidden = 50;
    private const int In = 2, Out = 2;
    private const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden;

    /// <summary>The network's right-hand side.</summary>
    [OdeDynamics(States = 2, Parameters = 252)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * (y[j] * y[j] * y[j]);
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
