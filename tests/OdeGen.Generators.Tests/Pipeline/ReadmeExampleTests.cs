using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// The README's C# is what a new user pastes first: its first block must compile as the Program.cs of a new
/// console project (implicit usings on, as the SDK's template has them) and print the right numbers; the later
/// blocks continue it and must compile with it.
/// </summary>
public class ReadmeExampleTests
{
    private static readonly Lazy<string[]> Blocks = new(() =>
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        return Regex.Matches(readme, "```csharp\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
    });

    [Fact]
    public void FirstBlock_CompilesAsAConsoleProgram_AndPrintsLorenzAtT1()
    {
        Assert.True(Blocks.Value.Length >= 2, "README.md should hold the first example and the ensemble example as ```csharp blocks.");
        CSharpCompilation program = ConsoleProgram(Blocks.Value[0]);
        GeneratorRun run = GeneratorHarness.Run(program);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        string printed = RunEntryPoint(CompiledSystems.EmitAndLoad(run.Output));
        // y(1) of Lorenz from (1, 1, 1) at (10, 28, 8/3): tests/reference/lorenz_gradients.json, "T=1".
        Match y = Regex.Match(printed, @"y\(1\) = \[([^,]+), ([^,]+), ([^\]]+)\]");
        Assert.True(y.Success, printed);
        double[] expected = [-9.378570010925072, -8.357033788426644, 29.362325337363448];
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected[i], double.Parse(y.Groups[i + 1].Value, CultureInfo.InvariantCulture), 1e-6);
    }

    [Fact]
    public void AllBlocksTogether_Compile()
    {
        // Each later block continues the first: its statements run after the first block's, its types join the file.
        var usings = new List<string>();
        var statements = new List<string>();
        var types = new List<string>();
        foreach (string block in Blocks.Value)
        {
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block, GeneratorHarness.ParseOptions).GetRoot();
            Assert.DoesNotContain(root.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
            usings.AddRange(root.Usings.Select(u => u.ToFullString().Trim()));
            statements.AddRange(root.Members.OfType<GlobalStatementSyntax>().Select(s => s.ToFullString()));
            types.AddRange(root.Members.Where(m => m is not GlobalStatementSyntax).Select(m => m.ToFullString()));
        }
        string source = string.Join("\n", usings.Distinct()) + "\n" + string.Concat(statements) + "\n" + string.Concat(types);
        GeneratorRun run = GeneratorHarness.Run(ConsoleProgram(source));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    private static CSharpCompilation ConsoleProgram(string source) =>
        GeneratorHarness.Compile(source).WithOptions(
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));

    // Shared with ModelsDocExampleTests: the console is one per process, so captures must not overlap.
    internal static readonly object ConsoleLock = new();

    private static string RunEntryPoint(Assembly assembly)
    {
        MethodInfo main = assembly.EntryPoint ?? throw new InvalidOperationException("The program has no entry point.");
        lock (ConsoleLock)
        {
            TextWriter original = Console.Out;
            var captured = new StringWriter(CultureInfo.InvariantCulture);
            Console.SetOut(captured);
            try
            {
                main.Invoke(null, main.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            }
            finally
            {
                Console.SetOut(original);
            }
            return captured.ToString();
        }
    }
}
