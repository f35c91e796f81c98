namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Dynamics marked <c>SecondOrder = true</c>, one per construct: straight-line code, branches, loops with a buffer and
/// runtime parameter counts, helpers, the 2→64→64→2 tanh field, and a float method. Each lives in namespace
/// <c>SecondOrder.{Scenario}</c> so all compile together.
/// </summary>
internal static class SecondOrderSources
{
    public const string Straight = """
        using OdeGen;

        namespace SecondOrder.Straight;

        public static partial class Lorenz
        {
            [OdeDynamics(SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double sigma = p[0], rho = p[1], beta = p[2];
                dydt[0] = sigma * (y[1] - y[0]) + Math.Sin(t) * y[0] * y[0];
                dydt[1] = y[0] * (rho - y[2]) - y[1] * Math.Exp(-0.1 * y[1]);
                dydt[2] = y[0] * y[1] - beta * y[2] / (1 + y[2] * y[2]);
            }
        }
        """;

    public const string Branches = """
        using OdeGen;

        namespace SecondOrder.Branches;

        public static partial class Switch
        {
            [OdeDynamics(States = 3, Parameters = 4, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double gain;
                if (y[0] > 0.1)
                {
                    gain = p[0] * y[0] * y[1];
                }
                else
                {
                    gain = Math.Exp(y[1]) * p[1] * t;
                }

                double soft = y[1] > 0 ? y[1] * y[1] : 0.01 * y[1] * y[2];
                double total = 0;
                for (int i = 0; i < 3; i++)
                {
                    if (i == 0)
                    {
                        total += gain * y[i];
                    }
                    else
                    {
                        total += y[i] > 0 ? p[3] * y[i] * y[i] * y[0] : -y[i] * p[2];
                    }
                }

                dydt[0] = total + soft;
                dydt[1] = gain * Math.Sin(y[2]) - soft * y[0];
                dydt[2] = Math.Tanh(total * y[2]);
            }
        }
        """;

    public const string Loops = """
        using OdeGen;

        namespace SecondOrder.Loops;

        public static partial class Reservoir
        {
            [OdeDynamics(States = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                const int H = 4;
                int n = y.Length;
                Span<double> h = stackalloc double[H];
                for (int i = 0; i < H; i++)
                {
                    double s = p[12 + i];
                    for (int j = 0; j < n; j++)
                    {
                        s += p[i * n + j] * y[j];
                    }

                    h[i] = Math.Tanh(s);
                }

                double energy = 0.0;
                for (int i = 0; i < n; i++)
                {
                    energy += y[i] * y[i];
                }

                for (int k = 0; k < n; k++)
                {
                    double acc = -energy * y[k] + 0.1 * t * p[16];
                    for (int i = 0; i < H; i++)
                    {
                        acc += h[i] * p[(i + k) % H] * y[(k + 1) % n];
                    }

                    dydt[k] = acc * p[p.Length - 1];
                }
            }
        }
        """;

    public const string Helpers = """
        using OdeGen;

        namespace SecondOrder.Helpers;

        public static partial class Pendulums
        {
            [OdeDifferentiable]
            static double Spring(double stretch, double stiffness) => -stiffness * stretch * (1 + 0.1 * stretch * stretch);

            [OdeDifferentiable]
            static double Damped(double velocity, double friction)
            {
                double drag = friction * velocity * velocity;
                if (velocity < 0)
                {
                    drag *= -0.5;
                }

                return -drag + 0.01 * Spring(velocity, friction);
            }

            [OdeDynamics(States = 4, Parameters = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 2; i++)
                {
                    dydt[2 * i] = y[2 * i + 1] * y[2 * i];
                    dydt[2 * i + 1] = Spring(y[2 * i], p[i]) + Damped(y[2 * i + 1], p[2]) + Spring(Math.Sin(t), y[0]);
                }
            }
        }
        """;

    public const string Mlp = """
        using OdeGen;

        namespace SecondOrder.Mlp;

        public static partial class Field
        {
            const int In = 2, Hidden = 64;
            const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Hidden * Hidden, W3 = B2 + Hidden, B3 = W3 + In * Hidden;

            /// <summary>A 2→64→64→2 tanh field, the dynamics of a small continuous normalizing flow.</summary>
            [OdeDynamics(States = In, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                Span<double> h1 = stackalloc double[Hidden];
                Span<double> h2 = stackalloc double[Hidden];
                for (int i = 0; i < Hidden; i++)
                {
                    double s = p[B1 + i];
                    for (int j = 0; j < In; j++)
                    {
                        s += p[W1 + i * In + j] * y[j];
                    }

                    h1[i] = Math.Tanh(s);
                }

                for (int i = 0; i < Hidden; i++)
                {
                    double s = p[B2 + i];
                    for (int j = 0; j < Hidden; j++)
                    {
                        s += p[W2 + i * Hidden + j] * h1[j];
                    }

                    h2[i] = Math.Tanh(s);
                }

                for (int k = 0; k < In; k++)
                {
                    double o = p[B3 + k];
                    for (int i = 0; i < Hidden; i++)
                    {
                        o += p[W3 + k * Hidden + i] * h2[i];
                    }

                    dydt[k] = o;
                }
            }
        }
        """;

    /// <summary>Iteration i computes dydt[i] alone: Divergence needs only the direction e_i there (one tangent, not n).</summary>
    public const string Dense = """
        using OdeGen;

        namespace SecondOrder.Dense;

        public static partial class Coupled
        {
            const int N = 6;

            [OdeDynamics(States = N, Parameters = N * N + N + 1, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double gain = p[N * N + N] * Math.Cos(t);
                for (int i = 0; i < N; i++)
                {
                    double s = p[N * N + i];
                    for (int j = 0; j < N; j++)
                    {
                        s += p[i * N + j] * y[j];
                    }

                    double damping = y[i] > 0 ? 0.2 * y[i] * y[i] : -0.1 * y[i];
                    dydt[i] = gain * Math.Tanh(s) - damping * y[(i + 1) % N] + 0.05 * Math.Sin(y[(i + 3) % N]);
                }
            }
        }
        """;

    public const string Float = """
        using OdeGen;

        namespace SecondOrder.Float;

        public static partial class Oscillator
        {
            [OdeDynamics(States = 2, Parameters = 2, SecondOrder = true)]
            public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
            {
                float x = y[0], v = y[1];
                dydt[0] = v * x;
                dydt[1] = -p[0] * MathF.Sin(x) - p[1] * v * v * v + 0.1f * MathF.Cos(t) * x;
            }
        }
        """;

    /// <summary>Every scenario by name.</summary>
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["Straight"] = Straight,
        ["Branches"] = Branches,
        ["Loops"] = Loops,
        ["Helpers"] = Helpers,
        ["Mlp"] = Mlp,
        ["Dense"] = Dense,
        ["Float"] = Float,
    };
}
