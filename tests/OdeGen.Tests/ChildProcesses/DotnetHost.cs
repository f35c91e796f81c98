namespace OdeGen.Tests.ChildProcesses;

/// <summary>The dotnet host that runs tests: DOTNET_HOST_PATH (set by the SDK), then DOTNET_ROOT, then PATH.</summary>
internal static class DotnetHost
{
    public static readonly string? Path = Find();

    private static string? Find()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(System.IO.Path.Combine(root, exe)))
        {
            return System.IO.Path.Combine(root, exe);
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator)
            .Where(dir => dir.Length > 0)
            .Select(dir => System.IO.Path.Combine(dir, exe))
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>A fact that is skipped, with the reason, when no dotnet host can be found to start the child runs.</summary>
public sealed class DotnetHostFactAttribute : FactAttribute
{
    public DotnetHostFactAttribute()
    {
        if (DotnetHost.Path is null)
        {
            Skip = "No dotnet host found (DOTNET_HOST_PATH, DOTNET_ROOT, PATH): the child runs with AVX-512 and AVX2 switched off cannot start.";
        }
    }
}
