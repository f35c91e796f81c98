using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using OdeGen.Tests.ChildProcesses;
using Xunit.Abstractions;

namespace OdeGen.Tests.Packaging;

/// <summary>
/// The OdeGen package as users get it (<see cref="PackedOdeGen"/>): a new console project whose Program.cs is the
/// README's first example, restored from the folder feed alone, builds only if the generator ships in the package and
/// runs only if the runtime does; and the embedded sample, published with NativeAOT against the package as a shared
/// library, is called from a C program compiled by gcc.
/// </summary>
public class PackageConsumerTests(PackedOdeGen package, ITestOutputHelper output) : IClassFixture<PackedOdeGen>
{
    [DotnetHostFact]
    public void Package_HoldsTheRuntimeAndTheGenerator_AndNoDependencies()
    {
        AssertPacked();
        using ZipArchive zip = ZipFile.OpenRead(Path.Combine(package.Feed, $"OdeGen.{package.Version}.nupkg"));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string expected in new[] { "analyzers/dotnet/cs/OdeGen.Generators.dll", "analyzers/dotnet/cs/OdeGen.CodeFixes.dll", "lib/net8.0/OdeGen.dll", "lib/net10.0/OdeGen.dll", "PACKAGE.md" })
            Assert.Contains(expected, entries);
        using var reader = new StreamReader(zip.GetEntry("OdeGen.nuspec")!.Open());
        string nuspec = reader.ReadToEnd();
        // Roslyn is the compiler's own; the package must not drag it (or anything else) in as a dependency.
        Assert.DoesNotContain("<dependency ", nuspec);
        // SourceLink-free: no commit id or repository in the metadata.
        Assert.DoesNotContain("<repository", nuspec);
        Assert.Contains("<readme>PACKAGE.md</readme>", nuspec);
    }

    [DotnetHostFact]
    public void ReadmeExample_InANewConsoleProject_RestoresFromTheFeedAloneAndRuns()
    {
        AssertPacked();
        string consumer = Directory.CreateDirectory(Path.Combine(package.Work, "consumer")).FullName;
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
                <PackageReference Include="OdeGen" Version="{package.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{package.Feed}" />
              </packageSources>
            </configuration>
            """);
        string readme = File.ReadAllText(Path.Combine(PackedOdeGen.Repository, "README.md"));
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), Regex.Match(readme, "```csharp\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value);

        // A fresh, empty package cache: everything the project restores must come from the feed.
        string printed = Succeeded(Dotnet.Run(consumer, Path.Combine(package.Work, "consumer-packages"), "run", "-c", "Release"), "dotnet run (consumer)");
        // y(1) of Lorenz from (1, 1, 1) at (10, 28, 8/3), as in tests/reference/lorenz_gradients.json ("T=1").
        Assert.Matches(@"y\(1\) = \[-9\.3785700\d*, -8\.35703378\d*, 29\.3623253\d*\]", printed);
    }

    [DotnetHostFact]
    public void EmbeddedSample_AsANativeLibrary_IsCalledFromC()
    {
        AssertPacked();
        string? gcc = FindOnPath("gcc");
        if (gcc is null || !OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            output.WriteLine("Skipped in effect: the native-library check needs Linux on x64 or Arm64 and gcc on PATH.");
            return;
        }

        string rid = RuntimeInformation.OSArchitecture == Architecture.X64 ? "linux-x64" : "linux-arm64";
        string embedded = package.CopyFolder(Path.Combine("samples", "Embedded"));
        // The sample's own project file, building against the package; the feed is added to the machine's sources
        // because NativeAOT's compiler package comes from those.
        File.WriteAllText(Path.Combine(embedded, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="odegen-test-feed" value="{package.Feed}" />
              </packageSources>
            </configuration>
            """);
        string native = Path.Combine(embedded, "native");
        Succeeded(Dotnet.Run(embedded, null, "publish", "Embedded.csproj", "-c", "Release", "-r", rid, "-p:NativeAot=true",
            $"-p:OdeGenPackageVersion={package.Version}", "-o", native), "dotnet publish (NativeAOT shared library)");
        string library = Path.Combine(native, "Embedded.so");
        Assert.True(File.Exists(library), $"{library} was not produced.");
        output.WriteLine($"Embedded.so: {new FileInfo(library).Length / 1024.0 / 1024.0:F2} MB");

        string c = Path.Combine(embedded, "c"), program = Path.Combine(embedded, "test_lorenz");
        Succeeded(Dotnet.Process(gcc, c, null, "-O2", "-Wall", "-Wextra", "-Werror", "-o", program, "test_lorenz.c", "-I.", library, "-lm",
            "-Wl,-rpath," + native), "gcc test_lorenz.c");
        string printed = Succeeded(Dotnet.Process(program, embedded, null), "test_lorenz");
        Assert.Contains("c checks: 20 passed, 0 failed", printed);
    }

    private void AssertPacked() => Succeeded(package.PackResult, $"dotnet pack (version {package.Version})");

    private string Succeeded(Dotnet.Result result, string what)
    {
        output.WriteLine($"{what}: exit {result.ExitCode} in {result.Seconds:F1} s");
        Assert.True(result.ExitCode == 0, $"{what} failed (exit {result.ExitCode}):\n{result.Output}");
        output.WriteLine(result.Output.Length > 2000 ? result.Output[^2000..] : result.Output);
        return result.Output;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Where(d => d.Length > 0)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
