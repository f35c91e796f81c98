using OdeGen.Latent;

namespace OdeGen.Tests.Latent;

/// <summary>The CSV loader of irregular series: the example file, a round trip, and each malformed row with its line and reason.</summary>
public class IrregularSeriesCsvTests
{
    private static IReadOnlyList<IrregularSeries> Parse(string text) => IrregularSeriesCsv.Read(new StringReader(text), "test.csv");

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException(relative);
    }

    [Fact]
    public void TheExampleFileLoadsWithItsMasks()
    {
        var series = IrregularSeriesCsv.Load(RepositoryFile("samples/LatentOde/example.csv"));
        Assert.Equal(["patient-a", "patient-b", "patient-c"], series.Select(s => s.Id));
        Assert.Equal([4, 5, 2], series.Select(s => s.Count));
        Assert.All(series, s => Assert.Equal(2, s.FeatureCount));
        IrregularSeries a = series[0];
        Assert.Equal([0.0, 0.35, 1.10, 2.40], a.Times.ToArray());
        Assert.Equal([0.0, 1.0], a.Mask.Slice(4, 2).ToArray());   // the empty x at t = 1.10 is missing
        Assert.Equal([0.0, 0.88], a.Values.Slice(4, 2).ToArray());
        Assert.Equal(7, a.ObservedCount);
    }

    [Fact]
    public void InterleavedRowsGroupBySeriesAndNaNIsAllowedWhenMasked()
    {
        var series = Parse("id,time,v,m\nb,1,2,1\na,0.5,NaN,0\nb,2,3,1\na,0.75,-1e-3,1\n");
        Assert.Equal(["b", "a"], series.Select(s => s.Id));
        Assert.Equal([1.0, 2.0], series[0].Times.ToArray());
        Assert.Equal([0.0, -1e-3], series[1].Values.ToArray());
        Assert.Equal([0.0, 1.0], series[1].Mask.ToArray());
    }

    [Fact]
    public void SaveThenLoadGivesTheSameSeries()
    {
        var original = Parse("id,time,x,y,mx,my\ns,0.1,1.5,,1,0\ns,0.25,-2,3,1,1\nt,0,4,5,1,1\n");
        var writer = new StringWriter();
        IrregularSeriesCsv.Write(writer, original);
        var again = Parse(writer.ToString());
        Assert.Equal(original.Count, again.Count);
        for (int s = 0; s < original.Count; s++)
        {
            Assert.Equal(original[s].Id, again[s].Id);
            Assert.Equal(original[s].Times.ToArray(), again[s].Times.ToArray());
            Assert.Equal(original[s].Values.ToArray(), again[s].Values.ToArray());
            Assert.Equal(original[s].Mask.ToArray(), again[s].Mask.ToArray());
        }
    }

    [Theory]
    [InlineData("id,time,x,mx\na,0,1,1,7\n", 2, "5 columns, but the header has 4")]
    [InlineData("id,time,x\na,0,1\n", 1, "the header has 3 columns")]
    [InlineData("# c\nid,time,x,mx\na,zero,1,1\n", 3, "time (column 2) is 'zero'")]
    [InlineData("id,time,x,mx\na,1,1,1\na,1,2,1\n", 3, "is not after its previous time 1 (line 2)")]
    [InlineData("id,time,x,mx\na,2,1,1\nb,0,1,1\na,1.5,2,1\n", 4, "not after its previous time 2 (line 2)")]
    [InlineData("id,time,x,mx\na,0,1,0.5\n", 2, "a mask is 0 or 1")]
    [InlineData("id,time,x,mx\na,0,,1\n", 2, "value 1 (column 3) is empty")]
    [InlineData("id,time,x,mx\na,0,NaN,1\n", 2, "its mask is 1")]
    [InlineData("id,time,x,mx\n,0,1,1\n", 2, "series id (column 1) is empty")]
    [InlineData("id,time,x,mx\na,Infinity,1,1\n", 2, "times must be finite")]
    [InlineData("id,time,x,mx\n\n# nothing\n", 3, "no observations")]
    [InlineData("", 0, "no header line")]
    public void MalformedFilesNameTheLineAndTheReason(string text, int line, string reason)
    {
        var e = Assert.Throws<IrregularSeriesCsvException>(() => Parse(text));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"test.csv, line {line}: ", e.Message, StringComparison.Ordinal);
    }

    // Ids that Read would not give back: "#7" made its rows comment lines (the series vanished), " a " came back as "a", two
    // series with one id came back as one, a comma in a feature name shifted the header's columns.
    [Theory]
    [InlineData("#7")]
    [InlineData(" a ")]
    [InlineData("")]
    [InlineData("a\nb")]
    [InlineData("a,b")]
    public void Write_RefusesAnIdThatWouldNotReadBack(string id)
    {
        IrregularSeries good = new("ok", [1.0, 2.0], [1.0, 2.0], features: 1), bad = new(id, [1.0, 2.0], [3.0, 4.0], features: 1);
        var writer = new StringWriter();
        Assert.Throws<ArgumentException>(() => IrregularSeriesCsv.Write(writer, [good, bad]));
        Assert.Equal("", writer.ToString());   // nothing half-written
    }

    [Fact]
    public void Write_RefusesDuplicateIdsAndCommasInFeatureNames()
    {
        IrregularSeries first = new("a", [1.0, 2.0], [1.0, 2.0], features: 1), second = new("a", [3.0, 4.0], [3.0, 4.0], features: 1);
        Assert.Contains("Two series have the id 'a'", Assert.Throws<ArgumentException>(() => IrregularSeriesCsv.Write(new StringWriter(), [first, second])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => IrregularSeriesCsv.Write(new StringWriter(), [first], ["x,y"]));
        string path = Path.Combine(Path.GetTempPath(), $"odegen-csv-{Guid.NewGuid():N}.csv");
        Assert.Throws<ArgumentException>(() => IrregularSeriesCsv.Save(path, [first, second]));
        Assert.False(File.Exists(path), "Save checks before it creates the file");

        // What is written reads back as written: "#b" is fine after the first column, a '#' inside an id too.
        IrregularSeries hashInside = new("s#1", [0.5, 1.5], [1.0, 2.0], features: 1);
        var writer = new StringWriter();
        IrregularSeriesCsv.Write(writer, [first, hashInside], ["#b"]);
        IReadOnlyList<IrregularSeries> back = Parse(writer.ToString());
        Assert.Equal(["a", "s#1"], back.Select(s => s.Id));
    }

    // times.Length × features wrapped around in int (3 × 1431655766 = 2 mod 2³²): two values passed the size check and the
    // copy loop ran off them (IndexOutOfRangeException).
    [Fact]
    public void FeatureCountWhoseProductWraps_IsAnArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => new IrregularSeries("a", [1.0, 2.0, 3.0], [0.5, 0.5], features: 1431655766));
        Assert.Contains("4294967298", e.Message, StringComparison.Ordinal);
    }
}
