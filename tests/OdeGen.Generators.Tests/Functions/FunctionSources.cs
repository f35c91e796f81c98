namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// [Differentiable] functions, one scenario per construct. Inputs are well defined for x in [-0.9, 0.9] and p in
/// [0.5, 1.5] (the random inputs' domain). <see cref="Cases"/> says how large each one's spans are.
/// </summary>
internal static class FunctionSources
{
    /// <summary>Straight-line code with three sizes of their own: 2 inputs, 3 parameters, 3 outputs; y[2] is never written.</summary>
    public const string StraightLine = """
        using OdeGen;

        namespace Functions.Straight;

        public static partial class Maps
        {
            [Differentiable(Outputs = 4)]
            public static void Affine(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                double s = Math.Sin(x[1]);
                y[0] = p[0] * x[0] + s;
                y[1] = x[0] * x[1] * p[1];
                y[3] = Math.Exp(p[2] * x[0]) - s * s;
            }
        }
        """;

    /// <summary>A dense tanh layer over runtime sizes: n = x.Length inputs, m = y.Length outputs, p = W (m×n) then b (m).</summary>
    public const string DenseLayer = """
        using OdeGen;

        namespace Functions.Layers;

        public static partial class Dense
        {
            [Differentiable]
            public static void Tanh(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                int n = x.Length, m = y.Length;
                for (int o = 0; o < m; o++)
                {
                    double s = p[m * n + o];
                    for (int i = 0; i < n; i++)
                    {
                        s += p[o * n + i] * x[i];
                    }

                    y[o] = Math.Tanh(s);
                }
            }

            [Differentiable(VectorizeLoops = true)]
            public static void TanhVectorized(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                int n = x.Length, m = y.Length;
                for (int o = 0; o < m; o++)
                {
                    double s = p[m * n + o];
                    for (int i = 0; i < n; i++)
                    {
                        s += p[o * n + i] * x[i];
                    }

                    y[o] = Math.Tanh(s);
                }
            }
        }
        """;

    /// <summary>A small MLP, 2 → 8 → 2, the hidden layer in a stackalloc buffer; parameters W1 (16), b1 (8), W2 (16), b2 (2).</summary>
    public const string Mlp = """
        using OdeGen;

        namespace Functions.Layers;

        public static partial class Mlp
        {
            const int In = 2, Hidden = 8, Out = 2;

            [Differentiable(Inputs = In, Parameters = 42, Outputs = Out)]
            public static void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                Span<double> h = stackalloc double[Hidden];
                for (int j = 0; j < Hidden; j++)
                {
                    double s = p[In * Hidden + j];
                    for (int i = 0; i < In; i++)
                    {
                        s += p[j * In + i] * x[i];
                    }

                    h[j] = Math.Tanh(s);
                }

                for (int k = 0; k < Out; k++)
                {
                    double s = p[In * Hidden + Hidden + Hidden * Out + k];
                    for (int j = 0; j < Hidden; j++)
                    {
                        s += p[In * Hidden + Hidden + k * Hidden + j] * h[j];
                    }

                    y[k] = s;
                }
            }
        }
        """;

    /// <summary>
    /// A valid 3×3 convolution with tanh, 2 → 2 channels over images of 5 rows and a width known at run time
    /// (x.Length / 10): a loop nest over runtime sizes. p holds the kernels (k, c, di, dj), then one bias per channel.
    /// </summary>
    public const string Conv2d = """
        using OdeGen;

        namespace Functions.Conv;

        public static partial class Conv
        {
            const int C = 2, K = 2, H = 5;

            [Differentiable]
            public static void Layer(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                int w = x.Length / (C * H);
                int outW = w - 2;
                for (int k = 0; k < K; k++)
                {
                    for (int i = 0; i < H - 2; i++)
                    {
                        for (int j = 0; j < outW; j++)
                        {
                            double s = p[K * C * 9 + k];
                            for (int c = 0; c < C; c++)
                            {
                                for (int di = 0; di < 3; di++)
                                {
                                    for (int dj = 0; dj < 3; dj++)
                                    {
                                        s += p[((k * C + c) * 3 + di) * 3 + dj] * x[(c * H + i + di) * w + j + dj];
                                    }
                                }
                            }

                            y[(k * (H - 2) + i) * outW + j] = Math.Tanh(s);
                        }
                    }
                }
            }
        }
        """;

    /// <summary>Branches on inputs and a conditional expression; a branch inside a loop over the outputs.</summary>
    public const string Branches = """
        using OdeGen;

        namespace Functions.Branches;

        public static partial class Piecewise
        {
            [Differentiable(Inputs = 3, Parameters = 2, Outputs = 3)]
            public static void Ramp(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                double gain;
                if (x[0] > 0.1)
                {
                    gain = p[0] * x[0];
                }
                else
                {
                    gain = -x[0] * x[0] + 0.1 * p[0];
                }

                y[0] = gain * x[1];
                y[1] = x[1] > p[1] - 1.0 ? Math.Sin(x[1] * p[1]) : x[2] * x[2];
                for (int i = 0; i < 1; i++)
                {
                    y[2] = x[2] < 0.0 ? gain * x[2] : Math.Exp(x[2]) * gain;
                }
            }
        }
        """;

    /// <summary>An [OdeDifferentiable] helper (inlined) and [OdeCustomDerivative] rules, straight and in a loop.</summary>
    public const string HelpersAndRules = """
        using OdeGen;

        namespace Functions.Helpers;

        public static partial class Activations
        {
            [OdeDifferentiable]
            static double Softplus(double z) => Math.Log(1.0 + Math.Exp(z));

            [OdeCustomDerivative(nameof(LogisticJvp), nameof(LogisticVjp))]
            static double Logistic(double z) => 1 / (1 + Math.Exp(-z));

            static double LogisticJvp(double z, double zDot) => Logistic(z) * (1 - Logistic(z)) * zDot;

            static void LogisticVjp(double z, double resultBar, ref double zBar) => zBar += Logistic(z) * (1 - Logistic(z)) * resultBar;

            [Differentiable(Inputs = 3, Parameters = 3, Outputs = 2)]
            public static void Gate(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                y[0] = Softplus(p[0] * x[0]) * Logistic(x[1] * p[1]);
                y[1] = 0;
                for (int i = 0; i < 3; i++)
                {
                    y[1] += Logistic(x[i] * p[i]) * Softplus(x[i]);
                }
            }
        }
        """;

    /// <summary>The float flavour: float spans, MathF, a loop over runtime sizes and a branch.</summary>
    public const string Float = """
        using OdeGen;

        namespace Functions.Single;

        public static partial class FloatLayer
        {
            [Differentiable]
            public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> p, Span<float> y)
            {
                int n = x.Length;
                for (int o = 0; o < y.Length; o++)
                {
                    float s = p[o];
                    for (int i = 0; i < n; i++)
                    {
                        s += p[y.Length + o * n + i] * x[i];
                    }

                    y[o] = s > 0.0f ? MathF.Tanh(s) : 0.5f * MathF.Sin(s);
                }
            }
        }
        """;

    /// <summary>Every scenario of the compile-and-run tests.</summary>
    public static readonly string[] All = { StraightLine, DenseLayer, Mlp, Conv2d, Branches, HelpersAndRules, Float };

    /// <summary>
    /// The double functions to run: the struct's full name, the user method's owner and name, the sizes (inputs,
    /// parameters, outputs) and the constructor's arguments (the sizes known only at run time, in that order).
    /// </summary>
    public static readonly FunctionCase[] Cases =
    {
        new("Functions.Straight.Maps", "Affine", 2, 3, 4),
        new("Functions.Layers.Dense", "Tanh", 3, 4 * 3 + 4, 4, 3, 4 * 3 + 4, 4),
        new("Functions.Layers.Dense", "TanhVectorized", 11, 5 * 11 + 5, 5, 11, 5 * 11 + 5, 5) { Vectorized = true },
        new("Functions.Layers.Mlp", "Forward", 2, 42, 2),
        new("Functions.Conv.Conv", "Layer", 2 * 5 * 6, (2 * 2 * 9) + 2, 2 * 3 * 4, 2 * 5 * 6, (2 * 2 * 9) + 2, 2 * 3 * 4),
        new("Functions.Branches.Piecewise", "Ramp", 3, 2, 3),
        new("Functions.Helpers.Activations", "Gate", 3, 3, 2),
    };
}

/// <summary>One function of <see cref="FunctionSources"/> with its sizes and constructor arguments.</summary>
internal sealed record FunctionCase(string Owner, string Method, int Inputs, int Parameters, int Outputs, params int[] ConstructorArguments)
{
    /// <summary>Whether its loops run in SIMD (VectorizeLoops): results equal the user's up to rounding.</summary>
    public bool Vectorized { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Owner + "." + Method;
}
