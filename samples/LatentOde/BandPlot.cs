using System.Globalization;
using System.Text;

namespace OdeGen.Samples.LatentOde;

/// <summary>
/// A small SVG writer for the latent-ODE pictures: a grid of panels, each with lines, shaded bands (mean ± 2σ) and
/// points, and a dashed vertical line where extrapolation starts.
/// </summary>
public sealed class BandPlot(string title, int columns)
{
    private const int Width = 460, Height = 300, Margin = 45, TitleHeight = 36;
    private readonly List<Panel> _panels = [];

    /// <summary>Adds a panel.</summary>
    public Panel Add(string panelTitle, double split)
    {
        var panel = new Panel(panelTitle, split);
        _panels.Add(panel);
        return panel;
    }

    /// <summary>Writes the SVG file.</summary>
    public void Save(string path)
    {
        int rows = (_panels.Count + columns - 1) / columns;
        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * Width}\" height=\"{TitleHeight + (rows * Height)}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        svg.Append(F($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{columns * Width / 2}\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">{title}</text>\n"));
        for (int i = 0; i < _panels.Count; i++) _panels[i].Render(svg, (i % columns) * Width, TitleHeight + ((i / columns) * Height));
        svg.Append("</svg>\n");
        File.WriteAllText(path, svg.ToString());
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One set of axes (time across).</summary>
    public sealed class Panel(string title, double split)
    {
        private readonly List<(double[] X, double[] Y, string Color, bool Dashed)> _lines = [];
        private readonly List<(double[] X, double[] Low, double[] High, string Color)> _bands = [];
        private readonly List<(double[] X, double[] Y, string Color, bool Hollow)> _points = [];

        /// <summary>A polyline.</summary>
        public Panel Line(double[] x, double[] y, string color, bool dashed = false) { _lines.Add((x, y, color, dashed)); return this; }

        /// <summary>A shaded band between low and high.</summary>
        public Panel Band(double[] x, double[] low, double[] high, string color) { _bands.Add((x, low, high, color)); return this; }

        /// <summary>Markers.</summary>
        public Panel Points(double[] x, double[] y, string color, bool hollow = false) { _points.Add((x, y, color, hollow)); return this; }

        internal void Render(StringBuilder svg, double left, double top)
        {
            var xs = _lines.SelectMany(l => l.X).Concat(_points.SelectMany(p => p.X)).ToArray();
            var ys = _lines.SelectMany(l => l.Y).Concat(_bands.SelectMany(b => b.Low.Concat(b.High))).Concat(_points.SelectMany(p => p.Y)).ToArray();
            double x0 = xs.Min(), x1 = xs.Max(), y0 = ys.Min(), y1 = ys.Max(), pad = 0.05 * (y1 - y0 + 1e-9);
            y0 -= pad;
            y1 += pad;
            double Px(double x) => left + Margin + ((x - x0) / (x1 - x0) * (Width - (1.5 * Margin)));
            double Py(double y) => top + (Height - Margin) - ((y - y0) / (y1 - y0) * (Height - (1.8 * Margin)));
            svg.Append(F($"<text x=\"{left + (Width / 2)}\" y=\"{top + 18}\" text-anchor=\"middle\">{title}</text>\n"));
            svg.Append(F($"<rect x=\"{Px(x0)}\" y=\"{Py(y1)}\" width=\"{Px(x1) - Px(x0)}\" height=\"{Py(y0) - Py(y1)}\" fill=\"none\" stroke=\"#444\"/>\n"));
            for (int i = 0; i <= 4; i++)
            {
                double tx = x0 + ((x1 - x0) * i / 4), ty = y0 + ((y1 - y0) * i / 4);
                svg.Append(F($"<text x=\"{Px(tx)}\" y=\"{Py(y0) + 14}\" text-anchor=\"middle\">{tx:0.##}</text><text x=\"{Px(x0) - 4}\" y=\"{Py(ty) + 4}\" text-anchor=\"end\">{ty:0.##}</text>\n"));
            }

            svg.Append(F($"<line x1=\"{Px(split)}\" y1=\"{Py(y0)}\" x2=\"{Px(split)}\" y2=\"{Py(y1)}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"));
            foreach (var (x, low, high, color) in _bands)
            {
                var path = new StringBuilder();
                for (int i = 0; i < x.Length; i++) path.Append(F($"{Px(x[i]):0.#},{Py(high[i]):0.#} "));
                for (int i = x.Length - 1; i >= 0; i--) path.Append(F($"{Px(x[i]):0.#},{Py(low[i]):0.#} "));
                svg.Append(F($"<polygon points=\"{path}\" fill=\"{color}\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"));
            }

            foreach (var (x, y, color, dashed) in _lines)
            {
                var path = new StringBuilder();
                for (int i = 0; i < x.Length; i++) path.Append(F($"{Px(x[i]):0.#},{Py(y[i]):0.#} "));
                svg.Append(F($"<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{(dashed ? " stroke-dasharray=\"5 3\"" : "")}/>\n"));
            }

            foreach (var (x, y, color, hollow) in _points)
                for (int i = 0; i < x.Length; i++)
                    svg.Append(F($"<circle cx=\"{Px(x[i]):0.#}\" cy=\"{Py(y[i]):0.#}\" r=\"2.8\" fill=\"{(hollow ? "white" : color)}\" stroke=\"{color}\"/>\n"));
        }
    }
}
