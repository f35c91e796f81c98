using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Compares text with a reviewed file <c>Snapshots/{name}.verified.cs</c> in the test project's root folder.
/// On a mismatch the actual text is written to <c>{name}.received.cs</c> and the test fails
/// with the first differing lines; with <c>ODEGEN_ACCEPT_SNAPSHOTS=1</c> the verified file is overwritten.
/// </summary>
/// <remarks>
/// One folder for every snapshot, whichever folder the calling test lives in: tests move between folders as the
/// project regroups them, and a snapshot's name (not its test's file) is what a reviewer looks it up by.
/// </remarks>
internal static class Snapshot
{
    /// <summary>The project's <c>Snapshots</c> folder, the sibling of this file's folder (found from where this file was compiled).</summary>
    private static readonly string Folder = SnapshotsFolder();

    /// <summary>Asserts <paramref name="text"/> equals the verified snapshot <paramref name="name"/>.</summary>
    public static void Verify(string name, string text)
    {
        string verifiedPath = Path.Combine(Folder, name + ".verified.cs");
        string receivedPath = Path.Combine(Folder, name + ".received.cs");
        string actual = Normalize(Scrub(text));

        if (Environment.GetEnvironmentVariable("ODEGEN_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        string? expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        string reason = expected is null ? "no verified snapshot exists" : Diff(expected, actual);
        Assert.Fail($"Snapshot '{name}' differs: {reason}\nReceived: {receivedPath}\nAccept with ODEGEN_ACCEPT_SNAPSHOTS=1 after review.");
    }

    private static string SnapshotsFolder([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "Snapshots"));

    /// <summary>Replaces the generator's version so a version bump does not churn every snapshot.</summary>
    public static string Scrub(string text) =>
        Regex.Replace(text, "GeneratedCode\\(\"OdeGen.Generators\", \"[^\"]*\"\\)", "GeneratedCode(\"OdeGen.Generators\", \"<version>\")");

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>A short diff: the first differing line with two lines of context from each side.</summary>
    private static string Diff(string expected, string actual)
    {
        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line])
        {
            line++;
        }

        var sb = new StringBuilder($"first difference at line {line + 1} (verified {e.Length} lines, received {a.Length})\n");
        for (int i = line; i < Math.Min(line + 3, Math.Max(e.Length, a.Length)); i++)
        {
            if (i < e.Length)
            {
                sb.Append("- ").Append(e[i]).Append('\n');
            }

            if (i < a.Length)
            {
                sb.Append("+ ").Append(a[i]).Append('\n');
            }
        }

        return sb.ToString();
    }
}
