using System.Globalization;
using System.Text;

namespace OdeGen.Samples.Deq;

/// <summary>cosine.csv and cosine.svg: the implicit gradient's cosine similarity to a deeply unrolled gradient, per step.</summary>
internal static class CosinePlot
{
    public static void Write(string directory, List<(int Step, double Cosine)> cosines, int deep, int samples)
    {
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("step,cosine\n");
        foreach ((int step, double cosine) in cosines) csv.Append(CultureInfo.InvariantCulture, $"{step},{cosine:R}\n");
        File.WriteAllText(Path.Combine(directory, "cosine.csv"), csv.ToString());

        const double width = 640, height = 320, left = 60, right = 20, top = 30, bottom = 40;
        double lowest = Math.Min(0.9, cosines.Min(c => c.Cosine)), steps = Math.Max(1, cosines[^1].Step);
        double X(int step) => left + ((width - left - right) * step / steps);
        double Y(double cosine) => top + ((height - top - bottom) * (1 - cosine) / (1 - lowest));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"18\">cosine(implicit gradient, gradient through {deep} unrolled steps), {samples} samples per step</text>\n");
        foreach (double tick in new[] { lowest, (1 + lowest) / 2, 1.0 })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(tick):F1}\" y2=\"{Y(tick):F1}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(tick) + 4:F1}\" text-anchor=\"end\">{tick:F3}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">training step (last {cosines[^1].Step})</text>\n");
        svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
        foreach ((int step, double cosine) in cosines) svg.Append(CultureInfo.InvariantCulture, $"{X(step):F1},{Y(cosine):F1} ");
        svg.Append("\"/>\n</svg>\n");
        File.WriteAllText(Path.Combine(directory, "cosine.svg"), svg.ToString());
    }
}
