using System.Globalization;
using System.Text;

namespace OdeGen.Samples.Cnf;

/// <summary>Three panels side by side, as SVG: the data, the learned density as a heat map, samples from the model.</summary>
public static class DensityPicture
{
    private const int Panel = 360, Gap = 20, Top = 56;

    public static string Render(string title, double[] data, double[] logDensity, int side, double extent, double[] samples)
    {
        int width = (3 * Panel) + (4 * Gap), height = Top + Panel + Gap;
        var svg = new StringBuilder();
        svg.AppendLine(I($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">"));
        svg.AppendLine(I($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        svg.AppendLine(I($"<text x=\"{width / 2}\" y=\"22\" font-size=\"16\" text-anchor=\"middle\">{Escape(title)}</text>"));
        Scatter(svg, Gap, "data", data, extent, "#1f77b4");
        Heat(svg, (2 * Gap) + Panel, "learned density p(x)", logDensity, side);
        Scatter(svg, (3 * Gap) + (2 * Panel), "samples from the model", samples, extent, "#d62728");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Frame(StringBuilder svg, int x0, string label)
    {
        svg.AppendLine(I($"<text x=\"{x0 + (Panel / 2)}\" y=\"{Top - 8}\" font-size=\"13\" text-anchor=\"middle\">{Escape(label)}</text>"));
        svg.AppendLine(I($"<rect x=\"{x0}\" y=\"{Top}\" width=\"{Panel}\" height=\"{Panel}\" fill=\"none\" stroke=\"#444\"/>"));
    }

    private static void Scatter(StringBuilder svg, int x0, string label, double[] points, double extent, string color)
    {
        svg.AppendLine(I($"<rect x=\"{x0}\" y=\"{Top}\" width=\"{Panel}\" height=\"{Panel}\" fill=\"#fafafa\"/>"));
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            double u = (points[i] + extent) / (2 * extent), v = (points[i + 1] + extent) / (2 * extent);
            if (u < 0 || u > 1 || v < 0 || v > 1) continue;
            svg.AppendLine(I($"<circle cx=\"{x0 + (u * Panel):F1}\" cy=\"{Top + ((1 - v) * Panel):F1}\" r=\"1.2\" fill=\"{color}\" fill-opacity=\"0.5\"/>"));
        }
        Frame(svg, x0, label);
    }

    // Cells coloured by p / max p on a dark-to-bright ramp (viridis-like end points).
    private static void Heat(StringBuilder svg, int x0, string label, double[] logDensity, int side)
    {
        double max = logDensity.Max();
        double cell = (double)Panel / side;
        for (int i = 0; i < side; i++)
        {
            for (int j = 0; j < side; j++)
            {
                double v = Math.Exp(logDensity[(i * side) + j] - max);
                svg.AppendLine(I($"<rect x=\"{x0 + (i * cell):F2}\" y=\"{Top + ((side - 1 - j) * cell):F2}\" width=\"{cell + 0.3:F2}\" height=\"{cell + 0.3:F2}\" fill=\"{Color(v)}\"/>"));
            }
        }
        Frame(svg, x0, label);
    }

    private static string Color(double v)
    {
        v = Math.Clamp(v, 0, 1);
        (double r, double g, double b) lo = (68, 1, 84), mid = (33, 145, 140), hi = (253, 231, 37);
        (double r, double g, double b) c = v < 0.5 ? Mix(lo, mid, 2 * v) : Mix(mid, hi, (2 * v) - 1);
        return I($"#{(int)c.r:x2}{(int)c.g:x2}{(int)c.b:x2}");

        static (double, double, double) Mix((double r, double g, double b) a, (double r, double g, double b) b, double s) =>
            (a.r + ((b.r - a.r) * s), a.g + ((b.g - a.g) * s), a.b + ((b.b - a.b) * s));
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
