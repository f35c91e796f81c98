namespace OdeGen.GeneratorBenchmarks;

/// <summary>
/// The marked methods whose generation is timed, as a user would type them. Each has two variants that differ in
/// one literal inside the method, so alternating them makes every run regenerate the method from scratch, as a
/// keystroke in its body does in the IDE.
/// </summary>
internal static class MarkedMethods
{
    /// <summary>The names <see cref="Source"/> knows.</summary>
    public static readonly string[] Names = ["Lorenz", "Mlp", "Conv2d"];

    /// <summary>The source of <paramref name="name"/>, variant <paramref name="variant"/> (0 or 1).</summary>
    public static string Source(string name, int variant) => name switch
    {
        "Lorenz" => Lorenz.Replace("$C$", variant == 0 ? "1.0" : "1.5"),
        "Mlp" => Mlp.Replace("$C$", variant == 0 ? "1.0" : "1.5"),
        "Conv2d" => Conv2d.Replace("$C$", variant == 0 ? "1.0" : "1.5"),
        _ => throw new System.ArgumentException($"Unknown method '{name}'; use one of {string.Join(", ", Names)}.", nameof(name)),
    };

    // The Lorenz system of samples/Lorenz.
    private const string Lorenz = """
        using System;
        using OdeGen;
        public static partial class Lorenz
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double sigma = p[0], rho = p[1], beta = p[2];
                dydt[0] = sigma * (y[1] - y[0]);
                dydt[1] = y[0] * (rho - y[2]) - $C$ * y[1];
                dydt[2] = y[0] * y[1] - beta * y[2];
            }
        }
        """;

    // The 2→50→2 tanh MLP of the benchmarks (MlpDerivativeBenchmarks), written with loops.
    private const string Mlp = """
        using System;
        using OdeGen;
        public static partial class Mlp
        {
            public const int In = 2, Hidden = 50, Out = 2;
            public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden;

            [OdeDynamics(States = 2, Parameters = 252)]
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

                    h[i] = Math.Tanh($C$ * s);
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
        """;

    // A 3×3 convolution, 4 → 4 channels on an 8×8 image (sizes as attribute constants stay within 1,000), zero padding 1, stride 1, with bias: x is [c][h][w],
    // p holds the weights [out][in][3][3] then the biases, y is [out][h][w].
    private const string Conv2d = """
        using System;
        using OdeGen;
        public static partial class Layers
        {
            public const int C = 4, H = 8, W = 8, K = 3;
            public const int Weights = C * C * K * K;

            [Differentiable(Inputs = C * H * W, Parameters = Weights + C, Outputs = C * H * W)]
            public static void Conv(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                for (int o = 0; o < C; o++)
                {
                    for (int r = 0; r < H; r++)
                    {
                        for (int c = 0; c < W; c++)
                        {
                            double s = p[Weights + o];
                            for (int i = 0; i < C; i++)
                            {
                                for (int u = 0; u < K; u++)
                                {
                                    for (int v = 0; v < K; v++)
                                    {
                                        if (r + u >= 1 && r + u <= H && c + v >= 1 && c + v <= W)
                                        {
                                            s += p[((o * C + i) * K + u) * K + v] * x[((i * H + r + u - 1) * W) + c + v - 1];
                                        }
                                    }
                                }
                            }

                            y[(o * H + r) * W + c] = $C$ * s;
                        }
                    }
                }
            }
        }
        """;
}
