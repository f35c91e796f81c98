using OdeGen;

namespace OdeGen.Samples.Spiral;

/// <summary>The demo's pictures: trajectories over time and in the phase plane, and the vector fields.</summary>
public static class Plots
{
    /// <summary>y1 and y2 over t, true (dashed) against learned, and the phase portrait.</summary>
    public static SvgPlot Trajectories(double[] t, double[] trueY, double[] learned, string title)
    {
        double[] Column(double[] ys, int j) => Enumerable.Range(0, t.Length).Select(i => ys[2 * i + j]).ToArray();
        var plot = new SvgPlot(title, columns: 3);
        plot.AddPanel("y1 over time", "t", "y1").Line("true", t, Column(trueY, 0), dashed: true).Line("learned", t, Column(learned, 0));
        plot.AddPanel("y2 over time", "t", "y2").Line("true", t, Column(trueY, 1), dashed: true).Line("learned", t, Column(learned, 1));
        plot.AddPanel("phase portrait", "y1", "y2").Line("true", Column(trueY, 0), Column(trueY, 1), dashed: true).Line("learned", Column(learned, 0), Column(learned, 1));
        return plot;
    }

    /// <summary>The learned and the true vector field on a 21 × 21 grid over [−2, 2]², arrows of equal length (directions).</summary>
    public static SvgPlot VectorFields<TSystem>(in TSystem model, double[] p) where TSystem : struct, IOdeSystem
    {
        var plot = new SvgPlot("Vector fields (directions; arrows normalized)", columns: 2);
        Quiver(plot.AddPanel("learned", "y1", "y2"), model, p);
        Quiver(plot.AddPanel("true", "y1", "y2"), new TrueSpiral.RhsSystem(), []);
        return plot;
    }

    private static void Quiver<TSystem>(SvgPlot.Panel panel, in TSystem system, double[] p) where TSystem : struct, IOdeSystem
    {
        const int n = 21;
        const double spacing = 4.0 / (n - 1);
        var (x, y, u, v) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        Span<double> f = stackalloc double[2];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double[] point = [-2 + a * spacing, -2 + b * spacing];
                system.Evaluate(0, point, p, f);
                double length = Math.Sqrt(f[0] * f[0] + f[1] * f[1]);
                if (length == 0) continue;
                x.Add(point[0]);
                y.Add(point[1]);
                u.Add(0.8 * spacing * f[0] / length);
                v.Add(0.8 * spacing * f[1] / length);
            }
        panel.Arrows("dy/dt", [.. x], [.. y], [.. u], [.. v]);
    }
}
