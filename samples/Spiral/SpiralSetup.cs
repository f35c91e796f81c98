using System.Text.Json;
using OdeGen;
using OdeGen.Neural;

namespace OdeGen.Samples.Spiral;

/// <summary>The demo's fixed problem: the true trajectory, the model's initial weights, the options.</summary>
public static class SpiralSetup
{
    /// <summary>Points on [0, 25].</summary>
    public const int Points = 1000;

    /// <summary>Final time.</summary>
    public const double EndTime = 25.0;

    /// <summary>Initial state of the truth.</summary>
    public static readonly double[] TrueY0 = [2.0, 0.0];

    /// <summary>Dopri5 at rtol 1e-7, atol 1e-9 (torchdiffeq's defaults in the demo), for the truth and the model.</summary>
    public static readonly SolverOptions Solver = new() { RelTol = 1e-7, AbsTol = 1e-9 };

    /// <summary>t = linspace(0, 25, 1000), computed as numpy does (start + i·step).</summary>
    public static double[] Times()
    {
        double step = EndTime / (Points - 1);
        var t = new double[Points];
        for (int i = 0; i < Points; i++) t[i] = i * step;
        t[^1] = EndTime;
        return t;
    }

    /// <summary>The true trajectory at <paramref name="times"/>, row by row (Dopri5 with dense output at the points).</summary>
    public static double[] TrueTrajectory(double[] times) => Predict(new TrueSpiral.RhsSystem(), [], TrueY0, times);

    /// <summary>A solve of <paramref name="system"/> from y0 at times[0], saved at every time, row by row.</summary>
    public static double[] Predict<TSystem>(in TSystem system, double[] p, double[] y0, double[] times) where TSystem : struct, IOdeSystem
    {
        var options = new SolverOptions { RelTol = Solver.RelTol, AbsTol = Solver.AbsTol, SaveAt = times };
        OdeSolution solution = Ode.Solve(system, y0, p, times[0], times[^1], options).EnsureSuccess();
        int n = system.StateCount;
        var ys = new double[times.Length * n];
        for (int i = 0; i < times.Length; i++) solution.State(i).CopyTo(ys.AsSpan(i * n, n));
        return ys;
    }

    /// <summary>The demo's initialization: weights ~ N(0, 0.1²), biases 0, from <paramref name="seed"/>.</summary>
    public static double[] SeededWeights(ParameterLayout layout, int seed)
    {
        double[] p = layout.CreateVector();
        var random = new Random(seed);
        Initializers.Normal(layout["W1"].Of(p), random, 0.0, 0.1);
        Initializers.Normal(layout["W2"].Of(p), random, 0.0, 0.1);
        return p;
    }

    /// <summary>The weights of tests/reference/spiral_init.json (W1 [50][2], b1, W2 [2][50], b2) in the layout's order.</summary>
    public static double[] ReferenceWeights(ParameterLayout layout, string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement weights = doc.RootElement.GetProperty("weights");
        double[] p = layout.CreateVector();
        foreach (ParameterSlice slice in layout.Slices)
        {
            double[] values = Flatten(weights.GetProperty(slice.Name));
            if (values.Length != slice.Length) throw new InvalidDataException($"{path}: '{slice.Name}' has {values.Length} values, expected {slice.Length}.");
            values.CopyTo(slice.Of(p));
        }
        return p;
    }

    /// <summary>Numbers of a JSON array nested to any depth, in row-major order.</summary>
    public static double[] Flatten(JsonElement e)
    {
        var list = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (JsonElement c in x.EnumerateArray()) Walk(c);
            else list.Add(x.GetDouble());
        }
        Walk(e);
        return list.ToArray();
    }

    /// <summary>Mean |ŷ − y| over every entry.</summary>
    public static double MeanAbsoluteError(double[] predicted, double[] target)
    {
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++) sum += Math.Abs(predicted[i] - target[i]);
        return sum / predicted.Length;
    }
}
