namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// User code for the snapshot and compile-and-run tests, one scenario per construct. All inputs are
/// well defined for y in [-0.9, 0.9], p in [0.5, 1.5], t in [0, 1] (the random inputs' domain).
/// </summary>
internal static class TestSources
{
    /// <summary>DESIGN.md's user code, exactly.</summary>
    public const string Lorenz = """
        using OdeGen;

        public static partial class Lorenz
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double sigma = p[0], rho = p[1], beta = p[2];
                dydt[0] = sigma * (y[1] - y[0]);
                dydt[1] = y[0] * (rho - y[2]) - y[1];
                dydt[2] = y[0] * y[1] - beta * y[2];
            }
        }
        """;

    /// <summary>=, +=, -=, *=, /= on locals and on dydt, reading dydt back, unary plus/minus.</summary>
    public const string CompoundAssignment = """
        using OdeGen;

        namespace Scenarios.Compound;

        public static partial class Oscillator
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double force = -p[0] * y[0];
                force -= p[1] * y[1];
                force *= 1.0 + t;
                force /= 2.0 + y[0] * y[0];
                force += +y[1];
                dydt[0] = y[1];
                dydt[1] = force;
                dydt[1] += dydt[0] * p[2];
                dydt[1] -= -0.5 * y[0];
                dydt[1] *= p[0];
                dydt[1] /= p[1];
            }
        }
        """;

    /// <summary>const fields (own, other type's, int, negative, tiny, huge) and const locals; integer constant arithmetic.</summary>
    public const string ConstFields = """
        using OdeGen;

        namespace Scenarios.Constants
        {
            internal static class Physics
            {
                public const double Gravity = 9.80665;
            }

            public static partial class Ballistics
            {
                private const double Drag = -2.5e-3;
                private const double Tiny = 1e-20;
                private const double Huge = 1.5E+19;
                private const int Two = 2;
                private const int Velocity = 1;

                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    const double half = 0.5;
                    dydt[0] = y[Velocity];
                    dydt[Velocity] = -Physics.Gravity + Drag * y[1] * y[1] * p[0] + Tiny * Huge * half * y[0] + Tiny * y[1];
                    dydt[Two] = (1 / 2) + Two * Math.PI * y[0] - 7 / Two;
                }
            }
        }
        """;

    /// <summary>Sin, Cos, Tan, Exp, Log, Sqrt, Pow.</summary>
    public const string MathBasic = """
        using OdeGen;

        namespace Scenarios.MathBasic;

        public static partial class Basic
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = Math.Sin(y[0]) * Math.Cos(p[0] * y[1]) + Math.Tan(0.3 * y[2]);
                dydt[1] = Math.Exp(-p[1] * y[1]) + Math.Log(1.5 + y[0] * y[0]) - Math.Sqrt(2.0 + y[2] * y[2]) * t;
                dydt[2] = Math.Pow(1.2 + y[0] * y[0], p[0]) / (1.0 + Math.Pow(y[1], 2));
            }
        }
        """;

    /// <summary>Tanh, Sinh, Cosh.</summary>
    public const string MathHyperbolic = """
        using OdeGen;

        namespace Scenarios.MathHyperbolic;

        public static partial class Hyperbolic
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = Math.Tanh(p[0] * y[0] + p[1] * y[1]);
                dydt[1] = Math.Sinh(0.5 * y[1]) - Math.Cosh(y[0] * t);
            }
        }
        """;

    /// <summary>Atan, Asin, Acos, Atan2.</summary>
    public const string MathInverse = """
        using OdeGen;

        namespace Scenarios.MathInverse;

        public static partial class Inverse
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = Math.Atan(y[0] - p[0] * y[1]);
                dydt[1] = Math.Asin(0.5 * y[1]) * Math.Acos(0.4 * y[0]);
                dydt[2] = Math.Atan2(y[1], 1.5 + y[0]);
            }
        }
        """;

    /// <summary>Log10, Cbrt, FusedMultiplyAdd.</summary>
    public const string MathMisc = """
        using OdeGen;

        namespace Scenarios.MathMisc;

        public static partial class Misc
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = Math.Log10(2.0 + y[0] * y[1]) + Math.Cbrt(3.0 + y[1]);
                dydt[1] = Math.FusedMultiplyAdd(y[0], p[0], y[1] * t);
            }
        }
        """;

    /// <summary>Abs, Min, Max (non-smooth: warnings, code still generated).</summary>
    public const string NonSmooth = """
        using OdeGen;

        namespace Scenarios.NonSmooth;

        public static partial class Kinks
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = Math.Abs(y[0]) * p[0] - Math.Min(y[1], p[1] * y[0]);
                dydt[1] = Math.Max(y[0] * y[1], 0.1 * p[1]);
                dydt[2] = Math.Clamp(y[2] * p[0], -0.3, 0.3 * p[1]) + Math.Sign(y[1] - 0.05) * y[0];
            }
        }
        """;

    /// <summary>Multi-declarators, var, a declared-then-assigned local, a reassigned local, unwritten outputs, declared sizes.</summary>
    public const string MultiDeclarators = """
        using OdeGen;

        namespace Scenarios.Declarations;

        public static partial class Locals
        {
            [OdeDynamics(States = 4, Parameters = 3)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double a = p[0], b = p[1], c;
                var x = y[0];
                c = a * x + b;
                double sum = x + y[1], product = x * y[1];
                c = c * c;
                dydt[0] = c - sum;
                dydt[2] = product / a;
            }
        }
        """;

    /// <summary>Nested partial types in a block namespace, a record struct, a non-static class, a generic outer type.</summary>
    public const string Namespaces = """
        using OdeGen;

        namespace Scenarios.Outer
        {
            namespace Inner
            {
                public partial class Container
                {
                    public partial record struct Model
                    {
                        [OdeDynamics]
                        public static void Decay(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                        {
                            dydt[0] = -p[0] * y[0];
                        }
                    }

                    [OdeDynamics]
                    internal static void Growth(double time, ReadOnlySpan<double> state, ReadOnlySpan<double> theta, Span<double> rate)
                    {
                        rate[0] = theta[0] * state[0] * (1.0 - state[0]);
                    }
                }

                public partial struct Holder<T>
                {
                    [OdeDynamics]
                    public static void Spin(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                    {
                        dydt[0] = y[1];
                        dydt[1] = -y[0];
                    }
                }
            }
        }
        """;

    /// <summary>A file-scoped namespace with a record class.</summary>
    public const string FileScoped = """
        using OdeGen;

        namespace Scenarios.FileScoped;

        public sealed partial record Drift
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = p[0] * t;
        }
        """;

    /// <summary>
    /// A 2→50→2 tanh MLP as Neural-ODE dynamics, weights packed in p: W1 (50×2) at 0, b1 at 100,
    /// W2 (2×50) at 150, b2 at 250. Loops over constant sizes, a per-iteration accumulator, a buffer.
    /// </summary>
    public const string LoopMlp = """
        using OdeGen;

        namespace Scenarios.Loops;

        public static partial class Mlp
        {
            const int In = 2, Hidden = 50, Out = 2;
            const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden;

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
        """;

    /// <summary>
    /// Accumulation into a buffer (h[i] += W[i*n+j]*y[j]), int locals from lengths, % in indices,
    /// outside values and t used inside loops, an accumulator over a whole loop, -= on dydt after the loops.
    /// </summary>
    public const string LoopBuffer = """
        using OdeGen;

        namespace Scenarios.Loops;

        public static partial class Reservoir
        {
            [OdeDynamics(States = 3, Parameters = 20)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                const int H = 4;
                int n = y.Length;
                Span<double> h = stackalloc double[H];
                double scale = p[18] * Math.Cos(t);
                for (int i = 0; i < H; i++)
                {
                    h[i] = p[12 + i];
                    for (int j = 0; j < n; j++)
                    {
                        h[i] += p[i * n + j] * y[j];
                    }
                }

                double energy = 0.0;
                for (int i = 0; i < n; i++)
                {
                    energy += y[i] * y[i];
                }

                for (int k = 0; k < n; k++)
                {
                    double acc = -energy * y[k] + 0.1 * t * p[16];
                    for (int i = 0; i <= H - 1; ++i)
                    {
                        acc += scale * Math.Tanh(h[i]) * p[(i + k) % H];
                        acc -= 0.01 * Math.Sin(h[i] * y[k]);
                    }

                    dydt[k] = acc * (1 + 0.1 * (double)k);
                }

                dydt[0] -= p[19] * t;
            }
        }
        """;

    /// <summary>Sizes known only at run time: loops over y.Length and p.Length; the struct takes them in its constructor.</summary>
    public const string LoopRuntime = """
        using OdeGen;

        namespace Scenarios.Loops;

        public static partial class Chain
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                int n = y.Length;
                for (int i = 0; i < n; i++)
                {
                    double neighbour = y[(i + 1) % n];
                    dydt[i] = -p[i % p.Length] * y[i] + Math.Sin(neighbour) * Math.Exp(-t) / (i + 1);
                }
            }
        }
        """;

    /// <summary>
    /// if/else (with an else-if chain and a local assigned on both sides), ?: (a ReLU-like max),
    /// a branch on the loop index and one on a state inside a loop, writes to dydt on one side.
    /// </summary>
    public const string Branches = """
        using OdeGen;

        namespace Scenarios.Branches;

        public static partial class Switch
        {
            [OdeDynamics(States = 3, Parameters = 4)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double gain;
                if (y[0] > 0.1)
                {
                    gain = p[0] * y[0];
                }
                else if (y[0] < -0.5)
                {
                    gain = Math.Exp(y[1]);
                }
                else
                {
                    gain = p[1] * t;
                }

                double relu = y[1] > 0 ? y[1] : 0.01 * y[1];
                double wave = p[2];
                if (t > 0.5 && y[2] < 0.8)
                {
                    wave *= Math.Sin(y[2]);
                    dydt[2] = wave;
                }
                else
                {
                    dydt[2] = -y[2];
                }

                double total = 0;
                for (int i = 0; i < 3; i++)
                {
                    if (i == 0)
                    {
                        total += gain * y[i];
                    }
                    else
                    {
                        total += y[i] > 0 ? p[3] * y[i] * y[i] : -y[i];
                    }
                }

                dydt[0] = total + relu;
                dydt[1] = gain * wave - relu * y[0];
            }
        }
        """;

    /// <summary>[OdeDifferentiable] helpers: expression-bodied, with locals and a branch, nested, called inside a loop, named arguments and a default.</summary>
    public const string Helpers = """
        using OdeGen;

        namespace Scenarios.Helpers;

        public static partial class Pendulums
        {
            [OdeDifferentiable]
            static double Spring(double stretch, double stiffness = 2.0) => -stiffness * stretch * (1 + 0.1 * stretch * stretch);

            [OdeDifferentiable]
            static double Damped(double velocity, double friction)
            {
                double drag = friction * velocity;
                if (velocity < 0)
                {
                    drag *= 0.5;
                }

                return -drag + 0.01 * Spring(velocity);
            }

            [OdeDynamics(States = 4, Parameters = 3)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 2; i++)
                {
                    dydt[2 * i] = y[2 * i + 1];
                    dydt[2 * i + 1] = Spring(y[2 * i], p[i]) + Damped(friction: p[2], velocity: y[2 * i + 1]) + Spring(Math.Sin(t));
                }
            }
        }
        """;

    /// <summary>
    /// [OdeCustomDerivative]: functions the generator does not look into (a series summed in a while
    /// loop; a logistic function) with user-written forward and reverse rules, in straight-line code and in a loop.
    /// </summary>
    public const string CustomRules = """
        using OdeGen;

        namespace Scenarios.Custom;

        public static partial class Kinetics
        {
            /// <summary>exp(k·x) by its Taylor series: a while loop, outside the differentiable subset.</summary>
            [OdeCustomDerivative(nameof(SeriesJvp), nameof(SeriesVjp))]
            public static double Series(double x, double k)
            {
                double term = 1, sum = 1;
                int n = 0;
                while (++n < 40)
                {
                    term *= k * x / n;
                    sum += term;
                }

                return sum;
            }

            static double SeriesJvp(double x, double k, double xDot, double kDot) => Math.Exp(k * x) * (k * xDot + x * kDot);

            static void SeriesVjp(double x, double k, double resultBar, ref double xBar, ref double kBar)
            {
                double e = Math.Exp(k * x) * resultBar;
                xBar += k * e;
                kBar += x * e;
            }

            [OdeCustomDerivative(nameof(LogisticJvp), nameof(LogisticVjp))]
            static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

            static double LogisticJvp(double x, double xDot) => Logistic(x) * (1 - Logistic(x)) * xDot;

            static void LogisticVjp(double x, double resultBar, ref double xBar) => xBar += Logistic(x) * (1 - Logistic(x)) * resultBar;

            [OdeDynamics(States = 3, Parameters = 2)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = -Series(y[0], p[0]) * y[1] + Logistic(t * p[1]);
                for (int i = 1; i < 3; i++)
                {
                    dydt[i] = Logistic(y[i] * y[i - 1]) - 0.5 * y[i] + Series(p[1], 0.5);
                }
            }
        }
        """;

    /// <summary>The float flavour: float spans, float locals and literals, MathF, a loop, a buffer and a branch.</summary>
    public const string FloatMlp = """
        using OdeGen;

        namespace Scenarios.Single;

        public static partial class SmallNet
        {
            const int Hidden = 8;

            [OdeDynamics(States = 2, Parameters = 34)]
            public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
            {
                Span<float> h = stackalloc float[Hidden];
                for (int i = 0; i < Hidden; i++)
                {
                    float s = p[16 + i] + 0.1f * t;
                    for (int j = 0; j < 2; j++)
                    {
                        s += p[2 * i + j] * y[j];
                    }

                    h[i] = MathF.Tanh(s);
                }

                for (int k = 0; k < 2; k++)
                {
                    float o = p[32 + k] * 0.5f;
                    for (int i = 0; i < 4; i++)
                    {
                        o += p[24 + 4 * k + i] * h[2 * i + k];
                    }

                    dydt[k] = o > 0.25f ? o : MathF.Sin(o) / 3;
                }
            }
        }
        """;

    /// <summary>
    /// The float flavour's calls: a custom rule of two arguments (two adjoint rows in lane code) called on one side of
    /// a branch on a state, a differentiable helper with a branch of its own, and a loop index used as a float (five
    /// iterations, so the loop is not unrolled and the index stays one).
    /// </summary>
    public const string FloatRules = """
        using OdeGen;

        namespace Scenarios.SingleRules;

        public static partial class Colony
        {
            /// <summary>A Hill function, differentiated by the user's rules rather than the generator.</summary>
            [OdeCustomDerivative(nameof(HillJvp), nameof(HillVjp))]
            public static float Hill(float x, float k) => x * x / (k * k + x * x);

            static float HillJvp(float x, float k, float xDot, float kDot)
            {
                float d = k * k + x * x;
                return 2 * x * k * (k * xDot - x * kDot) / (d * d);
            }

            static void HillVjp(float x, float k, float resultBar, ref float xBar, ref float kBar)
            {
                float d = k * k + x * x;
                float s = 2 * x * k * resultBar / (d * d);
                xBar += k * s;
                kBar -= x * s;
            }

            [OdeDifferentiable]
            static float Harvest(float population, float effort)
            {
                float h = effort * population;
                if (population < 0.2f)
                {
                    h *= 0.5f;
                }

                return h;
            }

            [OdeDynamics(States = 5, Parameters = 2)]
            public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
            {
                for (int i = 0; i < 5; i++)
                {
                    float growth = y[i] > 0 ? Hill(y[i], p[0]) : -0.25f * y[i];
                    dydt[i] = growth - Harvest(y[i], p[1]) + 0.1f * (float)i * MathF.Cos(t);
                }
            }
        }
        """;

    /// <summary>A branch on the index of a short loop: once the loop is unrolled, each copy keeps only the side it takes.</summary>
    public const string UnrolledBranches = """
        using System;
        using OdeGen;
        namespace Scenarios.Unrolled;
        public static partial class Ends
        {
            [OdeDynamics(States = 3, Parameters = 2)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 3; i++)
                {
                    if (i == 0 || i > 1)
                    {
                        dydt[i] = -p[0] * y[i] * y[(i + 1) % 3];
                    }
                    else
                    {
                        dydt[i] = p[1] * Math.Sin(y[i]) + (double)i;
                    }
                }
            }
        }
        """;

    /// <summary>
    /// Loops over one range that may and may not be fused: the reverse sweeps of the w and s loops share
    /// only their own elements; w's adjoint reaches u at a neighbour, so the u loop must stay apart.
    /// </summary>
    public const string LoopFusion = """
        using System;
        using OdeGen;
        namespace Scenarios.Fusion;
        public static partial class Ring
        {
            [OdeDynamics(States = 4, Parameters = 8)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                Span<double> u = stackalloc double[8];
                Span<double> w = stackalloc double[8];
                for (int i = 0; i < 8; i++)
                {
                    u[i] = Math.Sin(p[i] * y[i % 4]);
                }

                for (int i = 0; i < 8; i++)
                {
                    w[i] = u[i] * u[(i + 1) % 8] + p[7 - i];
                }

                double s = 0;
                for (int i = 0; i < 8; i++)
                {
                    s += w[i] * w[i] * p[i];
                }

                for (int k = 0; k < 4; k++)
                {
                    dydt[k] = s * y[k] - u[k + 4];
                }
            }
        }
        """;

    /// <summary>
    /// Loops vectorized across their index (VectorizeLoops): a 2→21→2 tanh MLP whose hidden layer reads its
    /// weights at stride 2 (p[i * 2 + j] once j is unrolled) and clips s by a branch (a select in the lanes),
    /// whose output loops read p and h contiguously into a sum, and a ring term that reads h at a neighbour
    /// through % (it stays scalar). 21 units leave a remainder at every width (8, 4, 2).
    /// </summary>
    public const string VectorMlp = """
        using OdeGen;

        namespace Scenarios.Vector;

        public static partial class VectorMlp
        {
            const int In = 2, Hidden = 21, Out = 2;
            const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden, C = B2 + Out;

            [OdeDynamics(States = 2, Parameters = 128, VectorizeLoops = true)]
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

                    if (s > 2.5)
                    {
                        s = 2.5 + 0.25 * (s - 2.5);
                    }

                    h[i] = Math.Tanh(s);
                }

                double ring = 0;
                for (int i = 0; i < Hidden; i++)
                {
                    ring += p[C + i] * h[i] * h[(i + 1) % Hidden];
                }

                for (int k = 0; k < Out; k++)
                {
                    double o = p[B2 + k];
                    for (int i = 0; i < Hidden; i++)
                    {
                        o += p[W2 + k * Hidden + i] * h[i];
                    }

                    dydt[k] = o + 0.1 * ring;
                }
            }
        }
        """;

    /// <summary>The same method without VectorizeLoops: the reference the vectorized one is compared with.</summary>
    public static readonly string VectorMlpScalar = VectorMlp
        .Replace(", VectorizeLoops = true", string.Empty, StringComparison.Ordinal)
        .Replace("class VectorMlp", "class VectorMlpScalar", StringComparison.Ordinal);

    /// <summary>The systems generated with VectorizeLoops: Evaluate is the user's method only up to rounding.</summary>
    public static readonly IReadOnlySet<string> VectorizedSystems = new HashSet<string> { "VectorMlp.Rhs" };

    /// <summary>The systems whose methods have loops (their Vjp adds to an element once per iteration).</summary>
    public static readonly IReadOnlySet<string> LoopSystems = new HashSet<string> { "Mlp.Rhs", "Reservoir.Rhs", "Chain.Rhs", "Switch.Rhs", "Pendulums.Rhs", "Kinetics.Rhs", "Ends.Rhs", "Ring.Rhs", "VectorMlp.Rhs", "VectorMlpScalar.Rhs" };

    /// <summary>Seeded random programs, run (not snapshotted) alongside the scenarios.</summary>
    public static readonly IReadOnlyList<string> Random = RandomPrograms.Create(count: 16, seed: 20261122);

    /// <summary>Everything the compile-and-run tests execute: the scenarios and the random programs.</summary>
    public static string[] Executable => All.Values.Append(VectorMlpScalar).Concat(Random).ToArray();

    /// <summary>Every scenario, by snapshot name.</summary>
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["Lorenz"] = Lorenz,
        ["CompoundAssignment"] = CompoundAssignment,
        ["ConstFields"] = ConstFields,
        ["MathBasic"] = MathBasic,
        ["MathHyperbolic"] = MathHyperbolic,
        ["MathInverse"] = MathInverse,
        ["MathMisc"] = MathMisc,
        ["NonSmooth"] = NonSmooth,
        ["MultiDeclarators"] = MultiDeclarators,
        ["Namespaces"] = Namespaces,
        ["FileScoped"] = FileScoped,
        ["LoopMlp"] = LoopMlp,
        ["LoopBuffer"] = LoopBuffer,
        ["LoopRuntime"] = LoopRuntime,
        ["Branches"] = Branches,
        ["Helpers"] = Helpers,
        ["CustomRules"] = CustomRules,
        ["FloatMlp"] = FloatMlp,
        ["FloatRules"] = FloatRules,
        ["UnrolledBranches"] = UnrolledBranches,
        ["LoopFusion"] = LoopFusion,
        ["VectorMlp"] = VectorMlp,
    };
}
