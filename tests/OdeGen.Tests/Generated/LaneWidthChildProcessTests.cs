using OdeGen.Tests.ChildProcesses;
using Xunit.Abstractions;

namespace OdeGen.Tests.Generated;

/// <summary>
/// Runs <see cref="LaneSystemTests"/>, <see cref="VectorizedLoopSystemTests"/> (whose loops dispatch on the same
/// flags), <see cref="LaneSingleSystemTests"/>, the float lane kernel and operation
/// tests and the fused-step tests (Ensemble.FusedStepTests) again in child processes whose JIT may not use AVX-512 (<c>DOTNET_EnableAVX512F=0</c>, and
/// <c>DOTNET_EnableAVX512=0</c>, the name .NET 10 reads) or AVX2 (<c>DOTNET_EnableAVX2=0</c>), so Lane512 and Lane256,
/// LaneSingle512 and LaneSingle256 (and their widening to double) also run on their narrower fallbacks, and reports
/// which vector widths each child had in hardware.
/// </summary>
public class LaneWidthChildProcessTests(ITestOutputHelper output)
{
    // The double and float lane systems, and the float lane types on their own (their kernels widen to the double
    // lanes, whose hardware paths the variables switch).
    private const string ChildFilter = "FullyQualifiedName~OdeGen.Tests.Generated.LaneSystemTests|FullyQualifiedName~OdeGen.Tests.Generated.LaneSingleSystemTests"
        + "|FullyQualifiedName~OdeGen.Tests.Lanes.LaneSingleMathTests|FullyQualifiedName~OdeGen.Tests.Lanes.LaneSingleOperationTests"
        + "|FullyQualifiedName~OdeGen.Tests.Ensemble.FusedStepTests|FullyQualifiedName~OdeGen.Tests.Generated.VectorizedLoopSystemTests";

    [DotnetHostFact]
    public void LaneTests_Pass_WithAvx512AndWithAvx2SwitchedOff()
    {
        string testAssembly = typeof(LaneSystemTests).Assembly.Location;
        string[][] settings = { new[] { "DOTNET_EnableAVX512F", "DOTNET_EnableAVX512" }, new[] { "DOTNET_EnableAVX2" } };
        var children = settings.Select(variables => (Variables: variables, Run: Task.Run(() => RunChild(testAssembly, variables)))).ToList();

        foreach ((string[] variables, Task<ChildRun> run) in children)
        {
            ChildRun child = run.Result;
            string what = string.Join(" ", variables.Select(v => v + "=0"));
            output.WriteLine($"{what}: exit {child.ExitCode} in {child.Seconds:F1} s; {child.Report}; {child.VectorReport}");
            Assert.True(child.ExitCode == 0, $"{what}: the lane tests failed (exit {child.ExitCode}):\n{child.Output}");
            Assert.Contains("Passed!", child.Output, StringComparison.Ordinal);
            // The filter reached the float classes too: LaneSystemTests alone is 6 tests, all four are 60.
            int passed = int.Parse(System.Text.RegularExpressions.Regex.Match(child.Output, @"Passed:\s+(\d+)").Groups[1].Value);
            Assert.True(passed >= 50, $"{what}: only {passed} lane tests ran in the child");
            Assert.Contains("Vector512.IsHardwareAccelerated=False", child.Report, StringComparison.Ordinal);
            if (variables.Contains("DOTNET_EnableAVX2"))
            {
                Assert.Contains("Vector256.IsHardwareAccelerated=False", child.Report, StringComparison.Ordinal);
            }

            // The vectorized loops took the branch of the widest width the child has in hardware: what this test's
            // variables left, less whatever the parent process had switched off already (DOTNET_EnableAVX2=0 for the
            // whole suite, or an Arm64 machine, where Vector128 is NEON's and no wider width exists).
            string widest = child.Report.Contains("Vector256.IsHardwareAccelerated=True", StringComparison.Ordinal) ? "Vector256"
                : child.Report.Contains("Vector128.IsHardwareAccelerated=True", StringComparison.Ordinal) ? "Vector128" : "scalar";
            Assert.Contains("vectorized loops at " + widest, child.VectorReport, StringComparison.Ordinal);
        }
    }

    private static ChildRun RunChild(string testAssembly, string[] variables)
    {
        string work = Directory.CreateTempSubdirectory("odegen-lanes-").FullName;
        string report = Path.Combine(work, "report.txt"), vectorReport = Path.Combine(work, "vector-loops.txt");
        var environment = variables.ToDictionary(v => v, _ => "0");
        environment["ODEGEN_LANE_REPORT"] = report;
        environment["ODEGEN_VECTOR_LOOP_REPORT"] = vectorReport;
        Dotnet.Result run = Dotnet.Process(DotnetHost.Path!, work, null, environment, TimeSpan.FromMinutes(3),
            "test", testAssembly, "--filter", ChildFilter, "--nologo");
        string reported = File.Exists(report) ? File.ReadAllText(report) : "(no report: the hardware test did not run)";
        string vectorReported = File.Exists(vectorReport) ? File.ReadAllText(vectorReport) : "(no report: the vectorized-loop test did not run)";
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }

        return new ChildRun(run.ExitCode, run.Output, reported, vectorReported, run.Seconds);
    }

    private sealed record ChildRun(int ExitCode, string Output, string Report, string VectorReport, double Seconds);
}
