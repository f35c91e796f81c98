using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using OdeGen.Tests.Generated;
using Xunit.Abstractions;

namespace OdeGen.Tests.Packaging;

/// <summary>
/// The OdeGen package as a user gets it: packed from a copy of the shipped projects into a local folder feed, then
/// restored from that feed alone (a fresh package cache, no other source) by a new console project whose Program.cs is
/// the README's first example. It builds only if the generator ships in the package and runs as an analyzer, and it
/// runs only if the runtime does.
/// </summary>
public class PackageConsumerTests(ITestOutputHelper output)
{
    private const string Version = "0.1.0";

    [DotnetHostFact]
    public void Package_FromALocalFeed_BuildsAndRunsTheReadmeExample()
    {
        string repository = RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("odegen-package-").FullName;
        try
        {
            // Packing a copy keeps this run's own build outputs (which the test host has loaded) untouched.
            CopyProject(repository, work, Path.Combine("src", "OdeGen"));
            CopyProject(repository, work, Path.Combine("generators", "OdeGen.Generators"));
            File.Copy(Path.Combine(repository, "Directory.Build.props"), Path.Combine(work, "Directory.Build.props"));
            string feed = Path.Combine(work, "feed");
            Dotnet(work, null, "pack", Path.Combine("src", "OdeGen", "OdeGen.csproj"), "-c", "Release", "-o", feed);

            string package = Path.Combine(feed, $"OdeGen.{Version}.nupkg");
            using (ZipArchive zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
                foreach (string expected in new[] { "analyzers/dotnet/cs/OdeGen.Generators.dll", "lib/net8.0/OdeGen.dll", "lib/net10.0/OdeGen.dll", "PACKAGE.md" })
                    Assert.Contains(expected, entries);
                using var reader = new StreamReader(zip.GetEntry("OdeGen.nuspec")!.Open());
                string nuspec = reader.ReadToEnd();
                // Roslyn is the compiler's own; the package must not drag it (or anything else) in as a dependency.
                Assert.DoesNotContain("<dependency ", nuspec);
                // SourceLink-free: no commit id or repository in the metadata.
                Assert.DoesNotContain("<repository", nuspec);
            }

            string consumer = Directory.CreateDirectory(Path.Combine(work, "consumer")).FullName;
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="OdeGen" Version="{Version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), ReadmeFirstExample(repository));

            string printed = Dotnet(consumer, Path.Combine(work, "packages"), "run", "-c", "Release");
            // y(1) of Lorenz from (1, 1, 1) at (10, 28, 8/3), as in tests/reference/lorenz_gradients.json ("T=1").
            Match y = Regex.Match(printed, @"y\(1\) = \[(-9\.3785700\d*), (-8\.35703378\d*), (29\.3623253\d*)\]");
            Assert.True(y.Success, printed);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static string ReadmeFirstExample(string repository)
    {
        string readme = File.ReadAllText(Path.Combine(repository, "README.md"));
        return Regex.Match(readme, "```csharp\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OdeGen.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No OdeGen.sln above {AppContext.BaseDirectory}: the package is packed from the repository's sources.");
    }

    private static void CopyProject(string repository, string work, string relative)
    {
        string from = Path.Combine(repository, relative);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            string top = rel.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj") continue;
            string to = Path.Combine(work, relative, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    /// <summary>Runs the dotnet host in <paramref name="folder"/>; fails the test with its output unless it exits 0.</summary>
    private string Dotnet(string folder, string? packageCache, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost.Path!)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("-nodeReuse:false");
        // A child build must not attach to this run's test session or inherit its MSBuild settings.
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("VSTEST_", StringComparison.Ordinal) || k.StartsWith("TESTINGPLATFORM_", StringComparison.Ordinal)
                                 || k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBuild", StringComparison.Ordinal))
                     .ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        if (packageCache is not null) start.Environment["NUGET_PACKAGES"] = packageCache;

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        string text = stdout.Result + stderr.Result;
        output.WriteLine($"dotnet {string.Join(' ', arguments)}: exit {process.ExitCode} in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed (exit {process.ExitCode}):\n{text}");
        return text;
    }
}
