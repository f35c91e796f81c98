namespace OdeGen.Samples;

/// <summary>
/// Finds the reference data kept in the repository (tests/reference/, see its README) for programs run from
/// a source checkout: walks up from the binaries and from the working folder to the folder holding OdeGen.sln.
/// </summary>
internal static class ReferenceFiles
{
    /// <summary>The path of tests/reference/{name}, or null when no checkout holding it is found.</summary>
    public static string? Find(string name)
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "OdeGen.sln"))) continue;
                string path = Path.Combine(dir.FullName, "tests", "reference", name);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }
}
