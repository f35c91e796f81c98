using System.Text.Json;
using OdeGen.Neural;
using OdeGen.Tests.Sensitivities;

namespace OdeGen.Tests.Neural;

/// <summary>tests/reference/spiral_init.json: torchdiffeq's spiral demo at its initial weights, on one fixed batch.</summary>
internal sealed class SpiralReference
{
    public required double[] Parameters { get; init; }
    public required List<TrajectorySample> Batch { get; init; }
    public required Dictionary<string, Entry> Results { get; init; }

    /// <summary>One block of "reference": loss, gradient norm, evaluation counts, per-tensor gradients in our layout.</summary>
    public sealed record Entry(double Loss, double GradNorm, int NfeForward, int NfeBackward, double[] Gradient);

    // PyTorch's names for the tensors, in the order of TanhMlpSystem's layout.
    private static readonly (string Weights, string Grad)[] Tensors = [("W1", "net.0.weight"), ("b1", "net.0.bias"), ("W2", "net.2.weight"), ("b2", "net.2.bias")];

    public static SpiralReference Load(ParameterLayout layout)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SensitivityTestSupport.FindReferenceFile("spiral_init.json")));
        JsonElement root = doc.RootElement;
        Assert.Equal("float64", root.GetProperty("dtype").GetString());

        double[] p = layout.CreateVector();
        foreach (var (name, _) in Tensors)
        {
            double[] values = Flatten(root.GetProperty("weights").GetProperty(name));
            Assert.Equal(layout[name].Length, values.Length);
            values.CopyTo(layout[name].Of(p));
        }

        // batch_y0 is [20][2]; batch_y is [10][20][2] (time first, as torchdiffeq returns it).
        double[] t = Flatten(root.GetProperty("batch_t"));
        double[][] y0 = root.GetProperty("batch_y0").EnumerateArray().Select(Flatten).ToArray();
        double[][][] y = root.GetProperty("batch_y").EnumerateArray().Select(r => r.EnumerateArray().Select(Flatten).ToArray()).ToArray();
        Assert.Equal(root.GetProperty("batch_size").GetInt32(), y0.Length);
        Assert.Equal(root.GetProperty("batch_time").GetInt32(), t.Length);
        var batch = new List<TrajectorySample>();
        for (int m = 0; m < y0.Length; m++)
        {
            double[] target = new double[t.Length * 2];
            for (int i = 0; i < t.Length; i++) y[i][m].CopyTo(target, 2 * i);
            batch.Add(new TrajectorySample(y0[m], t[0], t, target));
        }

        var results = new Dictionary<string, Entry>();
        foreach (JsonProperty block in root.GetProperty("reference").EnumerateObject())
        {
            JsonElement e = block.Value;
            double[] gradient = layout.CreateVector();
            foreach (var (name, grad) in Tensors) Flatten(e.GetProperty("grad").GetProperty(grad)).CopyTo(layout[name].Of(gradient));
            results[block.Name] = new Entry(e.GetProperty("loss").GetDouble(), e.GetProperty("grad_norm").GetDouble(),
                e.GetProperty("nfe_fwd").GetInt32(), e.GetProperty("nfe_bwd").GetInt32(), gradient);
        }
        return new SpiralReference { Parameters = p, Batch = batch, Results = results };
    }

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
}
