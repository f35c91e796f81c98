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

    // Was: File.Create emptied the file before the length check threw, so a refused save destroyed the last good one.
    [Fact]
    public void RefusedSave_LeavesTheFileAsItWas()
    {
        Model model = SmallModel();
        double[] p = Enumerable.Range(0, model.ParameterCount).Select(i => 0.1 * i).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"odegen-params-{Guid.NewGuid():N}.bin");
        try
        {
            ParameterFile.Save(path, model.Layout, p);
            byte[] good = File.ReadAllBytes(path);
            Assert.Throws<ArgumentException>(() => ParameterFile.Save(path, model.Layout, new double[3]));
            Assert.Equal(good, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Was: Save wrote a name of any length, and Load refused the file it wrote as damaged.
    [Fact]
    public void Save_RefusesANameLoadWouldRefuse_AndWritesNothing()
    {
        var layout = new ParameterLayout();
        layout.AddVector(new string('w', ParameterFile.MaxNameBytes), 2);
        using (var fits = new MemoryStream())
        {
            ParameterFile.Save(fits, layout, [1.0, 2.0]);
            Assert.Equal([1.0, 2.0], ParameterFile.Load(new MemoryStream(fits.ToArray()), layout));
        }
        var tooLong = new ParameterLayout();
        tooLong.AddVector(new string('é', ParameterFile.MaxNameBytes / 2 + 1), 2);   // 2 bytes each in UTF-8
        var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => ParameterFile.Save(stream, tooLong, [1.0, 2.0]));
        Assert.Equal("layout", e.ParamName);
        Assert.Contains($"at most {ParameterFile.MaxNameBytes}", e.Message);
        Assert.Equal(0, stream.Length);
    }
}
