using System.Diagnostics;
using System.Text;

namespace OdeGen.Tests.ChildProcesses;

/// <summary>Runs the dotnet host as a child process, clear of this test run's session and MSBuild settings.</summary>
public static class Dotnet
{
    public sealed record Result(int ExitCode, string Output, double Seconds);

    public static Result Run(string folder, string? packageCache, params string[] arguments) =>
        Process(DotnetHost.Path!, folder, packageCache, [.. arguments, "-nodeReuse:false"]);

    /// <summary>Any program, with the same clean environment; waits up to 8 minutes.</summary>
    public static Result Process(string program, string folder, string? packageCache, params string[] arguments) =>
        Process(program, folder, packageCache, new Dictionary<string, string>(), TimeSpan.FromMinutes(8), arguments);

    /// <summary>Any program, with the same clean environment plus <paramref name="environment"/>; killed after <paramref name="timeout"/>.</summary>
    public static Result Process(string program, string folder, string? packageCache, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("VSTEST_", StringComparison.Ordinal) || k.StartsWith("TESTINGPLATFORM_", StringComparison.Ordinal)
                                 || k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase))
                     .ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        if (packageCache is not null) start.Environment["NUGET_PACKAGES"] = packageCache;
        foreach ((string name, string value) in environment) start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        using Process process = System.Diagnostics.Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout)) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return new Result(process.ExitCode, new StringBuilder().Append(stdout.Result).Append(stderr.Result).ToString(), clock.Elapsed.TotalSeconds);
    }
}
