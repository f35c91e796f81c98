using OdeGen.Tests.ChildProcesses;

namespace OdeGen.Tests.Packaging;

/// <summary>
/// The OdeGen package packed once for the packaging tests, from a copy of the shipped projects (packing the copy keeps
/// this run's own build outputs, which the test host has loaded, untouched), into a folder feed. Its version carries a
/// fresh pre-release suffix, so no package cache can hold an older build under the same version.
/// </summary>
public sealed class PackedOdeGen : IDisposable
{
    public PackedOdeGen()
    {
        Work = Directory.CreateTempSubdirectory("odegen-package-").FullName;
        Version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];
        if (DotnetHost.Path is null) return;
        CopyFolder(Path.Combine("src", "OdeGen"));
        CopyFolder(Path.Combine("generators", "OdeGen.Generators"));
        CopyFolder(Path.Combine("generators", "OdeGen.CodeFixes"));
        File.Copy(Path.Combine(Repository, "Directory.Build.props"), Path.Combine(Work, "Directory.Build.props"));
        Feed = Path.Combine(Work, "feed");
        PackResult = Dotnet.Run(Work, null, "pack", Path.Combine("src", "OdeGen", "OdeGen.csproj"), "-c", "Release", "-o", Feed, $"-p:Version={Version}");
    }

    /// <summary>The repository's root (the folder holding OdeGen.sln).</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>A temporary folder for everything the packaging tests write; deleted at the end.</summary>
    public string Work { get; }

    /// <summary>The package's version for this run.</summary>
    public string Version { get; }

    /// <summary>The folder feed holding OdeGen.{Version}.nupkg.</summary>
    public string Feed { get; } = "";

    /// <summary>How the pack went (checked by the tests, so a failure shows as a failed test with its output).</summary>
    public Dotnet.Result PackResult { get; } = new(-1, "not packed: no dotnet host", 0);

    /// <summary>Copies a folder of the repository (without bin/ and obj/) to the same place under <see cref="Work"/>.</summary>
    public string CopyFolder(string relative, string? destination = null)
    {
        string from = Path.Combine(Repository, relative), to = destination ?? Path.Combine(Work, relative);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (rel.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            string target = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return to;
    }

    public void Dispose()
    {
        TryDelete(Work);
        // The native test restores through the machine's package cache: drop this run's version from it.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(cache, "odegen", Version));
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OdeGen.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No OdeGen.sln above {AppContext.BaseDirectory}: the package is packed from the repository's sources.");
    }
}
