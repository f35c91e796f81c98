using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace OdeGen.Tests.Lanes;

/// <summary>
/// Renders src/OdeGen/Lanes/Lane128/256/512.cs and LaneSingle128/256/512.cs from the two templates in
/// src/OdeGen/Lanes/Templates: the lane types differ only in their width, so a new Math function or operator is
/// written once, in the template, and <see cref="LaneTemplateTests"/> re-renders the six files.
/// </summary>
/// <remarks>
/// Placeholders are <c>$NAME$</c>. <c>$W$</c> is the register width in bits, <c>$N$</c> the lane count; the double
/// template also has lists the width decides (<c>$INDICES$</c>, <c>$STRIDED$</c>, <c>$STORESTRIDED$</c>, the stride-2
/// shuffles) and a section between <c>//$wide</c> and <c>//$end</c> kept only from 4 lanes up.
/// </remarks>
internal static class LaneTemplates
{
    /// <summary>The register widths a lane type exists for.</summary>
    public static readonly int[] Widths = [128, 256, 512];

    /// <summary>src/OdeGen/Lanes in this checkout.</summary>
    public static string LanesFolder([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "src", "OdeGen", "Lanes"));

    /// <summary>The double lane type of <paramref name="width"/> bits, as its file must read.</summary>
    public static string RenderDouble(string template, int width)
    {
        int n = width / 64;
        string text = KeepSection(template, "//$wide", "//$end", n >= 4);
        var strided = Enumerable.Range(0, n).Select(k => k switch
        {
            0 => "values[start]",
            1 => "values[start + stride]",
            _ => $"values[start + ({k} * stride)]",
        });
        var store = new StringBuilder();
        for (int k = 0; k < n; k++)
        {
            string at = k switch { 0 => "start", 1 => "start + stride", _ => $"start + ({k} * stride)" };
            store.Append(CultureInfo.InvariantCulture, $"        destination[{at}] = value.Value.GetElement({k});\n");
        }

        // Stride 2 from two loads: the even elements of [start, start + n) and the odd ones of [start + n - 1, ...),
        // each shuffle repeating its pattern in the upper half, which GetLower drops.
        string even = string.Join(", ", Enumerable.Range(0, n).Select(k => 2 * (k % (n / 2))));
        string odd = string.Join(", ", Enumerable.Range(0, n).Select(k => (2 * (k % (n / 2))) + 1));
        return Header("Lane.cs.template") + text
            .Replace("$INDICES$", string.Join(", ", Enumerable.Range(0, n).Select(k => k.ToString(CultureInfo.InvariantCulture) + ".0")))
            .Replace("$STRIDED$", string.Join(", ", strided))
            .Replace("$STORESTRIDED$", store.ToString())
            .Replace("$EVEN$", even.Length > 0 ? even[..1] + "L" + even[1..] : even)
            .Replace("$ODD$", odd.Length > 0 ? odd[..1] + "L" + odd[1..] : odd)
            .Replace("$N1$", (n - 1).ToString(CultureInfo.InvariantCulture))
            .Replace("$N2$", (2 * n - 2).ToString(CultureInfo.InvariantCulture))
            .Replace("$N$", n.ToString(CultureInfo.InvariantCulture))
            .Replace("$W$", width.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The float lane type of <paramref name="width"/> bits, as its file must read.</summary>
    public static string RenderSingle(string template, int width)
    {
        int n = width / 32;
        return Header("LaneSingle.cs.template") + template
            .Replace("$HALF$", (n / 2).ToString(CultureInfo.InvariantCulture))
            .Replace("$N$", n.ToString(CultureInfo.InvariantCulture))
            .Replace("$W$", width.ToString(CultureInfo.InvariantCulture));
    }

    private static string Header(string template) =>
        $"// Rendered from Templates/{template}: edit the template, then run\n" +
        "// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests\n";

    private static string KeepSection(string text, string open, string close, bool keep)
    {
        var lines = new List<string>();
        bool inside = false;
        foreach (string line in text.Split('\n'))
        {
            if (line.TrimEnd('\r') == open)
            {
                inside = true;
            }
            else if (line.TrimEnd('\r') == close)
            {
                inside = false;
            }
            else if (!inside || keep)
            {
                lines.Add(line);
            }
        }

        return string.Join("\n", lines);
    }
}
