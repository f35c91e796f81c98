using System.Diagnostics;
using System.Globalization;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Peers;

/// <summary>
/// A fact that runs only where the SUNDIALS CVODES peer can run: either benchmarks/run-peers.sh has built
/// benchmarks/peers/build/cvodes_lorenz, or gcc and the libsundials-dev headers and libraries are installed (the test
/// then compiles the one C file, well under a second). Elsewhere, or with ODEGEN_SKIP_PEERS=1, it is skipped at
/// discovery with the reason.
/// </summary>
public sealed class CvodesPeerFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the peer is unavailable.</summary>
    public CvodesPeerFactAttribute()
    {
        if (CvodesPeer.Unavailable() is { } reason) Skip = reason;
    }
}

/// <summary>Finds, builds if needed, and runs the CVODES peer program.</summary>
public static class CvodesPeer
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OdeGen.sln"))) return dir.FullName;
        return null;
    });

    private static string Source => Path.Combine(Root.Value!, "benchmarks", "peers", "cvodes_lorenz.c");
    private static string Prebuilt => Path.Combine(Root.Value!, "benchmarks", "peers", "build", "cvodes_lorenz");

    private static bool PrebuiltIsCurrent =>
        File.Exists(Prebuilt) && File.GetLastWriteTimeUtc(Prebuilt) >= File.GetLastWriteTimeUtc(Source);

    /// <summary>Null when the peer can run here; otherwise why not.</summary>
    public static string? Unavailable()
    {
        if (Environment.GetEnvironmentVariable("ODEGEN_SKIP_PEERS") == "1") return "CVODES peer: skipped because ODEGEN_SKIP_PEERS=1.";
        if (Root.Value is null) return "CVODES peer: the repository root (OdeGen.sln) was not found above the test binaries.";
        if (!File.Exists(Source)) return $"CVODES peer: {Source} is missing.";
        if (PrebuiltIsCurrent) return null;
        if (!File.Exists("/usr/include/cvodes/cvodes.h"))
            return "CVODES peer: SUNDIALS is not installed (no /usr/include/cvodes/cvodes.h); run `bash benchmarks/run-peers.sh` (installs libsundials-dev) to enable this test.";
        if (FindOnPath("gcc") is null) return "CVODES peer: gcc is not on PATH; install build-essential or run benchmarks/run-peers.sh.";
        return null;
    }

    /// <summary>Runs the peer for one case without timing it and returns the values of its RESULT line.</summary>
    public static double[] Run(string kase)
    {
        string exe = PrebuiltIsCurrent ? Prebuilt : Built.Value;
        string output = Execute(exe, $"once only {kase}");
        string line = output.Split('\n').Single(l => l.StartsWith($"RESULT {kase} ", StringComparison.Ordinal));
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[6].Split(',')
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    // Compiled at most once per test run, whichever test asks first.
    private static readonly Lazy<string> Built = new(Build);

    private static string Build()
    {
        string dir = Path.Combine(Path.GetTempPath(), "odegen-peers-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "cvodes_lorenz");
        Execute("gcc", $"-O1 -o \"{exe}\" \"{Source}\" -lsundials_cvodes -lsundials_nvecserial -lsundials_sunlinsoldense -lsundials_sunmatrixdense -lsundials_sunnonlinsolfixedpoint -lm");
        return exe;
    }

    private static string Execute(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException($"{file} {arguments} did not finish within 60 s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

/// <summary>
/// Our gradients against SUNDIALS CVODES (an independent implementation: a multistep method, its own adjoint machinery)
/// on Lorenz at T = 1, L = Σ y(T), rtol = atol = 1e-8 on their side; ours at 1e-10 so that the difference is CVODES's error.
/// </summary>
public class CvodesPeerTests
{
    private static readonly double[] Y0 = [1, 1, 1], P = [10, 28, 8.0 / 3];

    private static double[] Ours(Sensitivity s)
    {
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10 };
        OdeGradient g = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [1.0], [1, 1, 1], s, options);
        Assert.True(g.IsSuccess, g.Status.ToString());
        return [.. g.Y0, .. g.Parameters];
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"component {i}: ours {expected[i]:R}, CVODES {actual[i]:R}, difference {Math.Abs(expected[i] - actual[i]):E2} > {relative * scale:E2}");
    }

    [CvodesPeerFact]
    public void AdjointGradientAgreesWithCvodeB() =>
        AssertClose(Ours(Sensitivity.InterpolatingAdjoint()), CvodesPeer.Run("adjoint1"), 1e-5);

    [CvodesPeerFact]
    public void ForwardSensitivityGradientAgreesWithCvodesForwardSensitivities() =>
        AssertClose(Ours(Sensitivity.Forward), CvodesPeer.Run("fsens1"), 1e-5);
}
