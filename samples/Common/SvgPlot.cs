using System.Globalization;
using System.Text;

namespace OdeGen.Samples;

/// <summary>
/// A small SVG line-plot writer for the samples (no plotting package is available here):
/// a grid of panels, each with axes, "nice" ticks, labelled series and a legend.
/// </summary>
public sealed class SvgPlot
{
    private readonly List<Panel> _panels = [];
    private readonly int _columns;
    private readonly string _title;
    private const int PanelWidth = 520, PanelHeight = 380, Margin = 60, TitleHeight = 40;

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>Creates an empty figure with <paramref name="columns"/> panels per row.</summary>
    public SvgPlot(string title, int columns = 2)
    {
        _title = title;
        _columns = columns;
    }

    /// <summary>Adds a panel and returns it so series can be added.</summary>
    public Panel AddPanel(string title, string xLabel, string yLabel)
    {
        var panel = new Panel(title, xLabel, yLabel);
        _panels.Add(panel);
        return panel;
    }

    /// <summary>Writes the figure to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, Render());

    /// <summary>The SVG document.</summary>
    public string Render()
    {
        int rows = (_panels.Count + _columns - 1) / _columns;
        int width = _columns * PanelWidth, height = TitleHeight + rows * PanelHeight;
        var svg = new StringBuilder();
        svg.AppendLine(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">"));
        svg.AppendLine(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        svg.AppendLine(Invariant($"<text x=\"{width / 2}\" y=\"26\" font-size=\"18\" text-anchor=\"middle\">{Escape(_title)}</text>"));
        for (int i = 0; i < _panels.Count; i++)
        {
            double x0 = (i % _columns) * PanelWidth, y0 = TitleHeight + (i / _columns) * PanelHeight;
            _panels[i].Render(svg, x0, y0);
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>One set of axes.</summary>
    public sealed class Panel
    {
        private readonly string _title, _xLabel, _yLabel;
        private readonly List<(string Label, double[] X, double[] Y, bool Dashed)> _series = [];
        private readonly List<(string Label, double[] X, double[] Y, double[] U, double[] V)> _arrows = [];

        internal Panel(string title, string xLabel, string yLabel)
        {
            _title = title;
            _xLabel = xLabel;
            _yLabel = yLabel;
        }

        /// <summary>Adds a polyline; <paramref name="dashed"/> draws it dashed (e.g. a reference curve).</summary>
        public Panel Line(string label, double[] x, double[] y, bool dashed = false)
        {
            if (x.Length != y.Length) throw new ArgumentException("x and y must have the same length.");
            _series.Add((label, x, y, dashed));
            return this;
        }

        /// <summary>
        /// Adds a quiver: an arrow from (x[i], y[i]) to (x[i] + u[i], y[i] + v[i]) for each i, in data units
        /// (scale u and v to the grid spacing first, e.g. for a vector field).
        /// </summary>
        public Panel Arrows(string label, double[] x, double[] y, double[] u, double[] v)
        {
            if (x.Length != y.Length || u.Length != x.Length || v.Length != x.Length) throw new ArgumentException("x, y, u and v must have the same length.");
            _arrows.Add((label, x, y, u, v));
            return this;
        }

        internal void Render(StringBuilder svg, double left, double top)
        {
            double plotLeft = left + Margin, plotTop = top + 30;
            double plotWidth = PanelWidth - Margin - 20, plotHeight = PanelHeight - 30 - Margin;
            var (xMin, xMax) = Range(s => s.X);
            var (yMin, yMax) = Range(s => s.Y);
            double[] xTicks = NiceTicks(ref xMin, ref xMax), yTicks = NiceTicks(ref yMin, ref yMax);
            double Px(double x) => plotLeft + (x - xMin) / (xMax - xMin) * plotWidth;
            double Py(double y) => plotTop + plotHeight - (y - yMin) / (yMax - yMin) * plotHeight;

            svg.AppendLine(Invariant($"<text x=\"{left + PanelWidth / 2.0:0.#}\" y=\"{top + 20:0.#}\" font-size=\"14\" text-anchor=\"middle\">{Escape(_title)}</text>"));
            foreach (double tx in xTicks)
            {
                svg.AppendLine(Invariant($"<line x1=\"{Px(tx):0.##}\" y1=\"{plotTop:0.##}\" x2=\"{Px(tx):0.##}\" y2=\"{plotTop + plotHeight:0.##}\" stroke=\"#e5e5e5\"/>"));
                svg.AppendLine(Invariant($"<text x=\"{Px(tx):0.##}\" y=\"{plotTop + plotHeight + 16:0.##}\" font-size=\"11\" text-anchor=\"middle\">{FormatTick(tx)}</text>"));
            }
            foreach (double ty in yTicks)
            {
                svg.AppendLine(Invariant($"<line x1=\"{plotLeft:0.##}\" y1=\"{Py(ty):0.##}\" x2=\"{plotLeft + plotWidth:0.##}\" y2=\"{Py(ty):0.##}\" stroke=\"#e5e5e5\"/>"));
                svg.AppendLine(Invariant($"<text x=\"{plotLeft - 6:0.##}\" y=\"{Py(ty) + 4:0.##}\" font-size=\"11\" text-anchor=\"end\">{FormatTick(ty)}</text>"));
            }
            svg.AppendLine(Invariant($"<rect x=\"{plotLeft:0.##}\" y=\"{plotTop:0.##}\" width=\"{plotWidth:0.##}\" height=\"{plotHeight:0.##}\" fill=\"none\" stroke=\"#333\"/>"));
            svg.AppendLine(Invariant($"<text x=\"{plotLeft + plotWidth / 2:0.##}\" y=\"{plotTop + plotHeight + 36:0.##}\" font-size=\"12\" text-anchor=\"middle\">{Escape(_xLabel)}</text>"));
            svg.AppendLine(Invariant($"<text transform=\"translate({left + 14:0.##},{plotTop + plotHeight / 2:0.##}) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">{Escape(_yLabel)}</text>"));

            for (int s = 0; s < _series.Count; s++)
            {
                var (label, xs, ys, dashed) = _series[s];
                string color = Palette[s % Palette.Length];
                var points = new StringBuilder();
                for (int i = 0; i < xs.Length; i++)
                {
                    if (!double.IsFinite(xs[i]) || !double.IsFinite(ys[i])) continue;
                    points.Append(Invariant($"{Px(xs[i]):0.##},{Py(ys[i]):0.##} "));
                }
                string dash = dashed ? " stroke-dasharray=\"6,4\"" : "";
                svg.AppendLine(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.3\"{dash} points=\"{points}\"/>"));
                double ly = plotTop + 14 + 16 * s;
                svg.AppendLine(Invariant($"<line x1=\"{plotLeft + plotWidth - 120:0.##}\" y1=\"{ly - 4:0.##}\" x2=\"{plotLeft + plotWidth - 100:0.##}\" y2=\"{ly - 4:0.##}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>"));
                svg.AppendLine(Invariant($"<text x=\"{plotLeft + plotWidth - 95:0.##}\" y=\"{ly:0.##}\" font-size=\"11\">{Escape(label)}</text>"));
            }

            for (int s = 0; s < _arrows.Count; s++)
            {
                var (label, xs, ys, us, vs) = _arrows[s];
                string color = Palette[(_series.Count + s) % Palette.Length];
                for (int i = 0; i < xs.Length; i++)
                {
                    double ax = Px(xs[i]), ay = Py(ys[i]), bx = Px(xs[i] + us[i]), by = Py(ys[i] + vs[i]);
                    double dx = bx - ax, dy = by - ay, length = Math.Sqrt(dx * dx + dy * dy);
                    if (!double.IsFinite(length) || length < 1e-9) continue;
                    // The head: two strokes back from the tip at ±25°, a third of the shaft long (at most 6 px).
                    double head = Math.Min(6, length / 3), ux = dx / length, uy = dy / length, c = Math.Cos(0.44), sn = Math.Sin(0.44);
                    double h1x = bx - head * (c * ux - sn * uy), h1y = by - head * (sn * ux + c * uy);
                    double h2x = bx - head * (c * ux + sn * uy), h2y = by - head * (-sn * ux + c * uy);
                    svg.AppendLine(Invariant($"<path d=\"M{ax:0.##},{ay:0.##} L{bx:0.##},{by:0.##} M{h1x:0.##},{h1y:0.##} L{bx:0.##},{by:0.##} L{h2x:0.##},{h2y:0.##}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1\"/>"));
                }
                double ly = plotTop + 14 + 16 * (_series.Count + s);
                svg.AppendLine(Invariant($"<line x1=\"{plotLeft + plotWidth - 120:0.##}\" y1=\"{ly - 4:0.##}\" x2=\"{plotLeft + plotWidth - 100:0.##}\" y2=\"{ly - 4:0.##}\" stroke=\"{color}\" stroke-width=\"2\"/>"));
                svg.AppendLine(Invariant($"<text x=\"{plotLeft + plotWidth - 95:0.##}\" y=\"{ly:0.##}\" font-size=\"11\">{Escape(label)}</text>"));
            }
        }

        private (double Min, double Max) Range(Func<(string Label, double[] X, double[] Y, bool Dashed), double[]> pick)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            void Include(double v)
            {
                if (double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
            }
            foreach (var s in _series)
                foreach (double v in pick(s)) Include(v);
            // Arrows count with both ends; pick tells which axis (it returns X or Y of a pseudo-series).
            foreach (var a in _arrows)
            {
                bool isX = pick(("", a.X, a.Y, false)) == a.X;
                double[] start = isX ? a.X : a.Y, delta = isX ? a.U : a.V;
                for (int i = 0; i < start.Length; i++) { Include(start[i]); Include(start[i] + delta[i]); }
            }
            if (!double.IsFinite(min)) return (0, 1);
            if (max - min < 1e-300) { min -= 1; max += 1; }
            return (min, max);
        }
    }

    // Ticks at 1, 2 or 5 × 10^k, about six of them; widens the range to whole ticks.
    private static double[] NiceTicks(ref double min, ref double max)
    {
        double raw = (max - min) / 6;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.First(m => m * magnitude >= raw) * magnitude;
        double lo = Math.Floor(min / step) * step, hi = Math.Ceiling(max / step) * step;
        min = lo;
        max = hi;
        int count = (int)Math.Round((hi - lo) / step) + 1;
        return Enumerable.Range(0, count).Select(i => lo + i * step).ToArray();
    }

    private static string FormatTick(double v) => Math.Abs(v) < 1e-12 ? "0" : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
