namespace OdeGen.Tests.Lanes;

/// <summary>
/// The checked-in lane types are their template rendered (<see cref="LaneTemplates"/>): a hand edit to one width, or a
/// template edit not rendered, fails here. With <c>ODEGEN_ACCEPT_SNAPSHOTS=1</c> the files are rewritten instead.
/// </summary>
public class LaneTemplateTests
{
    public static TheoryData<string, int> Files() => new()
    {
        { "Lane", 128 }, { "Lane", 256 }, { "Lane", 512 },
        { "LaneSingle", 128 }, { "LaneSingle", 256 }, { "LaneSingle", 512 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void LaneTypeIsItsTemplateRendered(string family, int width)
    {
        string folder = LaneTemplates.LanesFolder();
        string template = File.ReadAllText(Path.Combine(folder, "Templates", family + ".cs.template")).ReplaceLineEndings("\n");
        string expected = family == "Lane" ? LaneTemplates.RenderDouble(template, width) : LaneTemplates.RenderSingle(template, width);
        string path = Path.Combine(folder, $"{family}{width}.cs");
        if (Environment.GetEnvironmentVariable("ODEGEN_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }

        string actual = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(expected == actual,
            $"{family}{width}.cs is not Templates/{family}.cs.template rendered; edit the template and re-render with " +
            "ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests");
    }
}
