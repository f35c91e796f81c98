namespace OdeGen.Samples.Cnf;

/// <summary>
/// The 2-D toy densities of FFJORD's experiments, as seeded generators written here: 8gaussians, checkerboard, 2spirals,
/// moons, circles, rings, pinwheel, swissroll. Where the density is known in closed form or as a one-dimensional
/// integral (a curve blurred by Gaussian noise), <see cref="LogDensity"/> gives it, and <see cref="Entropy"/> estimates
/// H = −E[log p(x)] by Monte Carlo with its standard error: the lower bound of any model's expected NLL.
/// </summary>
public abstract class ToyDensity
{
    /// <summary>The names <see cref="Named"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["8gaussians", "checkerboard", "2spirals", "moons", "circles", "rings", "pinwheel", "swissroll"];

    /// <summary>The density called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static ToyDensity Named(string name) => name switch
    {
        "8gaussians" => new EightGaussians(),
        "checkerboard" => new Checkerboard(),
        "2spirals" => new TwoSpirals(),
        "moons" => new CurveDensity(name, 0.2, [(0.5, s => (2 * Math.Cos(Math.PI * s) - 1, 2 * Math.Sin(Math.PI * s) - 0.2)),
                                               (0.5, s => (2 * (1 - Math.Cos(Math.PI * s)) - 1, 2 * (0.5 - Math.Sin(Math.PI * s)) - 0.2))]),
        "circles" => new CurveDensity(name, 0.24, [(0.5, s => Circle(3, s)), (0.5, s => Circle(1.5, s))]),
        "rings" => new CurveDensity(name, 0.08, [(0.25, s => Circle(3, s)), (0.25, s => Circle(2.25, s)), (0.25, s => Circle(1.5, s)), (0.25, s => Circle(0.75, s))]),
        "pinwheel" => new Pinwheel(),
        "swissroll" => new CurveDensity(name, 0.2, [(1.0, s => SwissRoll(s))], quadrature: 4000),
        _ => throw new ArgumentException($"Unknown data set '{name}'; choose one of {string.Join(", ", Names)}.", nameof(name)),
    };

    private static (double, double) Circle(double radius, double s) => (radius * Math.Cos(2 * Math.PI * s), radius * Math.Sin(2 * Math.PI * s));

    // scikit-learn's swiss roll, (x, z) / 5: t = 1.5π(1 + 2s) uniform in s, point (t cos t, t sin t).
    private static (double, double) SwissRoll(double s)
    {
        double t = 1.5 * Math.PI * (1 + (2 * s));
        return (t * Math.Cos(t) / 5, t * Math.Sin(t) / 5);
    }

    protected ToyDensity(string name) => Name = name;

    /// <summary>The data set's name.</summary>
    public string Name { get; }

    /// <summary>Whether <see cref="LogDensity"/> is known.</summary>
    public virtual bool HasDensity => true;

    /// <summary>One draw into (x, y).</summary>
    public abstract (double X, double Y) Draw(Random random);

    /// <summary>log p(x, y), or NaN when <see cref="HasDensity"/> is false.</summary>
    public abstract double LogDensity(double x, double y);

    /// <summary>B points, row by row.</summary>
    public double[] Sample(Random random, int count)
    {
        var points = new double[2 * count];
        for (int i = 0; i < count; i++) (points[2 * i], points[(2 * i) + 1]) = Draw(random);
        return points;
    }

    /// <summary>H = −E[log p] by Monte Carlo over <paramref name="samples"/> seeded draws, with its standard error; NaN without a density.</summary>
    public virtual (double Entropy, double StandardError) Entropy(int samples = 20_000, int seed = 12345)
    {
        if (!HasDensity) return (double.NaN, double.NaN);
        var random = new Random(seed);
        double sum = 0, sumOfSquares = 0;
        for (int i = 0; i < samples; i++)
        {
            var (x, y) = Draw(random);
            double v = -LogDensity(x, y);
            sum += v;
            sumOfSquares += v * v;
        }
        double mean = sum / samples;
        return (mean, Math.Sqrt(Math.Max(0, (sumOfSquares / samples) - (mean * mean)) / samples));
    }

    protected static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>log Σ exp(v_i), stably.</summary>
    protected static double LogSumExp(ReadOnlySpan<double> v)
    {
        double max = double.NegativeInfinity;
        foreach (double x in v) max = Math.Max(max, x);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        foreach (double x in v) sum += Math.Exp(x - max);
        return max + Math.Log(sum);
    }

    /// <summary>Eight Gaussians of standard deviation 0.5/√2 at radius 4/√2 = 2.83, angles kπ/4: H ≈ ln 8 + ln(2πe·σ²) = 2.838.</summary>
    private sealed class EightGaussians() : ToyDensity("8gaussians")
    {
        private const double Radius = 2.8284271247461903, Sigma = 0.35355339059327373;

        public override (double X, double Y) Draw(Random random)
        {
            int k = random.Next(8);
            return ((Radius * Math.Cos(k * Math.PI / 4)) + (Sigma * Gaussian(random)), (Radius * Math.Sin(k * Math.PI / 4)) + (Sigma * Gaussian(random)));
        }

        public override double LogDensity(double x, double y)
        {
            Span<double> terms = stackalloc double[8];
            for (int k = 0; k < 8; k++)
            {
                double dx = x - (Radius * Math.Cos(k * Math.PI / 4)), dy = y - (Radius * Math.Sin(k * Math.PI / 4));
                terms[k] = -Math.Log(2 * Math.PI * Sigma * Sigma) - (((dx * dx) + (dy * dy)) / (2 * Sigma * Sigma));
            }
            return LogSumExp(terms) - Math.Log(8);
        }
    }

    /// <summary>Uniform on the 8 "black" squares of side 2 of a 4 × 4 board over [−4, 4]²: area 32, H = ln 32 = 3.466 exactly.</summary>
    private sealed class Checkerboard() : ToyDensity("checkerboard")
    {
        public override (double X, double Y) Draw(Random random)
        {
            double x = -4 + (8 * random.NextDouble());
            int column = Math.Min(3, (int)Math.Floor((x + 4) / 2));
            int row = (2 * random.Next(2)) + ((column + 1) % 2);   // rows of the other parity than the column
            return (x, -4 + (2 * row) + (2 * random.NextDouble()));
        }

        public override double LogDensity(double x, double y)
        {
            if (x < -4 || x >= 4 || y < -4 || y >= 4) return double.NegativeInfinity;
            int column = (int)Math.Floor((x + 4) / 2), row = (int)Math.Floor((y + 4) / 2);
            return (column + row) % 2 == 1 ? -Math.Log(32) : double.NegativeInfinity;
        }

        public override (double Entropy, double StandardError) Entropy(int samples = 20_000, int seed = 12345) => (Math.Log(32), 0);
    }

    /// <summary>
    /// Curves traced with a uniformly distributed parameter s ∈ [0, 1), blurred by isotropic Gaussian noise σ:
    /// p(x) = Σ_c w_c ∫ N(x − γ_c(s); σ²I) ds, the integral by the midpoint rule on <c>quadrature</c> points per curve
    /// (spacing along the curve far below σ, so the rule's error is far below the Monte Carlo error of the entropy).
    /// </summary>
    private sealed class CurveDensity : ToyDensity
    {
        private readonly double _sigma;
        private readonly (double Weight, Func<double, (double, double)> Curve)[] _curves;
        private readonly double[][] _nodes;

        public CurveDensity(string name, double sigma, (double, Func<double, (double, double)>)[] curves, int quadrature = 1500) : base(name)
        {
            _sigma = sigma;
            _curves = curves;
            _nodes = curves.Select(c =>
            {
                var nodes = new double[2 * quadrature];
                for (int k = 0; k < quadrature; k++) (nodes[2 * k], nodes[(2 * k) + 1]) = c.Item2((k + 0.5) / quadrature);
                return nodes;
            }).ToArray();
        }

        public override (double X, double Y) Draw(Random random)
        {
            double u = random.NextDouble(), acc = 0;
            int c = 0;
            for (; c < _curves.Length - 1; c++)
            {
                acc += _curves[c].Weight;
                if (u < acc) break;
            }
            var (x, y) = _curves[c].Curve(random.NextDouble());
            return (x + (_sigma * Gaussian(random)), y + (_sigma * Gaussian(random)));
        }

        public override double LogDensity(double x, double y)
        {
            double total = 0, scale = 1 / (2 * _sigma * _sigma), norm = 1 / (2 * Math.PI * _sigma * _sigma);
            for (int c = 0; c < _curves.Length; c++)
            {
                double[] nodes = _nodes[c];
                double sum = 0;
                for (int k = 0; k < nodes.Length; k += 2)
                {
                    double dx = x - nodes[k], dy = y - nodes[k + 1];
                    sum += Math.Exp(-((dx * dx) + (dy * dy)) * scale);
                }
                total += _curves[c].Weight * sum * 2 / nodes.Length;
            }
            return Math.Log(total * norm);
        }

        public override (double Entropy, double StandardError) Entropy(int samples = 20_000, int seed = 12345) => base.Entropy(Math.Min(samples, 10_000), seed);
    }

    /// <summary>Two interleaved spirals, arms ±(−n cos n, n sin n)/3 with n = √u·3π, uniform jitter of 0.5/3 and Gaussian noise 0.1. No closed-form density.</summary>
    private sealed class TwoSpirals() : ToyDensity("2spirals")
    {
        public override bool HasDensity => false;

        public override (double X, double Y) Draw(Random random)
        {
            double n = Math.Sqrt(random.NextDouble()) * 3 * Math.PI;
            double x = (-Math.Cos(n) * n) + (0.5 * random.NextDouble()), y = (Math.Sin(n) * n) + (0.5 * random.NextDouble());
            double sign = random.Next(2) == 0 ? 1 : -1;
            return ((sign * x / 3) + (0.1 * Gaussian(random)), (sign * y / 3) + (0.1 * Gaussian(random)));
        }

        public override double LogDensity(double x, double y) => double.NaN;
    }

    /// <summary>Five arms: Gaussian (radial σ 0.3 about 1, tangential σ 0.1), each point rotated by 2πk/5 + 0.25·e^{radial}, scaled by 2. No closed-form density.</summary>
    private sealed class Pinwheel() : ToyDensity("pinwheel")
    {
        public override bool HasDensity => false;

        public override (double X, double Y) Draw(Random random)
        {
            double a = 1 + (0.3 * Gaussian(random)), b = 0.1 * Gaussian(random);
            double angle = (2 * Math.PI * random.Next(5) / 5) + (0.25 * Math.Exp(a));
            double c = Math.Cos(angle), s = Math.Sin(angle);
            return (2 * ((c * a) - (s * b)), 2 * ((s * a) + (c * b)));
        }

        public override double LogDensity(double x, double y) => double.NaN;
    }
}
