namespace OdeGen.Benchmarks;

/// <summary>
/// The benchmarks' 2→50→2 MLP with an algebraic sigmoid, s / sqrt(1 + s²), in place of tanh: every operation
/// has a vector instruction (Sqrt), so LaneDerivativeBenchmarks can show what the generated lane code gains
/// where the activation does not go through a lane-by-lane kernel.
/// </summary>
public static partial class AlgebraicMlp
{
    [OdeDynamics(States = 2, Parameters = 252)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Mlp.Hidden];
        for (int i = 0; i < Mlp.Hidden; i++)
        {
            double s = p[Mlp.B1 + i];
            for (int j = 0; j < Mlp.In; j++)
            {
                s += p[Mlp.W1 + i * Mlp.In + j] * y[j];
            }

            h[i] = s / Math.Sqrt(1 + s * s);
        }

        for (int k = 0; k < Mlp.Out; k++)
        {
            double o = p[Mlp.B2 + k];
            for (int i = 0; i < Mlp.Hidden; i++)
            {
                o += p[Mlp.W2 + k * Mlp.Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}
