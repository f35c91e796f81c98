using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>Saved parameters load back bit for bit; a file of another layout, version or length is refused with a message that says so.</summary>
public class ParameterFileTests
{
    private static Model SmallModel(int hidden = 4) => new(new Linear(3, hidden), new Tanh(hidden), new Linear(hidden, 2));

    private static byte[] Saved(Model model, double[] parameters)
    {
        using var stream = new MemoryStream();
        ParameterFile.Save(stream, model.Layout, parameters);
        return stream.ToArray();
    }

    private static InvalidDataException Refused(Model model, byte[] bytes) =>
        Assert.Throws<InvalidDataException>(() => ParameterFile.Load(new MemoryStream(bytes), model.Layout));

    [Fact]
    public void SaveThenLoad_GivesTheSameBits()
    {
        Model model = SmallModel();
        double[] p = model.CreateParameters(seed: 5);
        p[0] = double.Epsilon;
        p[1] = -0.0;
        string path = Path.Combine(Path.GetTempPath(), $"odegen-params-{Guid.NewGuid():N}.bin");
        try
        {
            model.Save(path, p);
            double[] loaded = model.Load(path);
            Assert.Equal(p.Select(BitConverter.DoubleToInt64Bits), loaded.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(8 + 4 + 4 + model.Layout.Slices.Sum(s => 12 + s.Name.Length) + 8 + (8 * p.Length), new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AnotherLayout_IsRefusedNamingTheSlice()
    {
        byte[] bytes = Saved(SmallModel(hidden: 4), SmallModel(hidden: 4).CreateParameters());
        string message = Refused(SmallModel(hidden: 5), bytes).Message;
        Assert.Contains("'0.Linear.weight' [4×3]", message);
        Assert.Contains("'0.Linear.weight' [5×3]", message);
        var other = new Model(new Linear(3, 2));
        Assert.Contains("holds 4 slices", Refused(other, bytes).Message);
    }

    [Fact]
    public void AnotherVersion_NotAParameterFile_Truncated_AndTrailingBytes_AreRefused()
    {
        Model model = SmallModel();
        byte[] bytes = Saved(model, model.CreateParameters());

        byte[] version = (byte[])bytes.Clone();
        version[8] = 2;
        Assert.Contains("format version 2", Refused(model, version).Message);

        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("not an OdeGen parameter file", Refused(model, magic).Message);
        Assert.Contains("not an OdeGen parameter file", Refused(model, [1, 2, 3]).Message);

        Assert.Contains($"ends after {model.ParameterCount - 1} of its {model.ParameterCount} values", Refused(model, bytes[..^8]).Message);
        Assert.Contains("truncated", Refused(model, bytes[..20]).Message);
        Assert.Contains("bytes follow", Refused(model, [.. bytes, 0]).Message);
    }

    [Fact]
    public void Save_RejectsAVectorOfTheWrongLength()
    {
        Model model = SmallModel();
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => ParameterFile.Save(new MemoryStream(), model.Layout, new double[3])).ParamName);
    }
}
