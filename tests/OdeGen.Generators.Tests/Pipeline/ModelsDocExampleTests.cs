using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// docs/models.md opens with a program a user pastes as the Program.cs of a new console project: it must stay under 30
/// lines, compile with the generator, and train (its printed loss at step 300 below a twentieth of step 0's).
/// </summary>
public class ModelsDocExampleTests
{
    [Fact]
    public void FirstBlock_CompilesRunsAndTrains()
    {
        string doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "models.md"));
        string block = Regex.Match(doc, "```csharp\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.True(block.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 30, "The models.md example should fit in under 30 lines.");

        CSharpCompilation program = GeneratorHarness.Compile(block).WithOptions(
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
        GeneratorRun run = GeneratorHarness.Run(program);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        // The program saves model.params in the current folder (the test's output folder); the test removes it.
        string saved = Path.Combine(Environment.CurrentDirectory, "model.params");
        string printed = Run(CompiledSystems.EmitAndLoad(run.Output));
        try
        {
            MatchCollection losses = Regex.Matches(printed, @"step (\d+): loss (\S+),");
            Assert.Equal(4, losses.Count);
            double first = double.Parse(losses[0].Groups[2].Value, CultureInfo.InvariantCulture);
            double last = double.Parse(losses[3].Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(last < first / 20, printed);
            Assert.True(File.Exists(saved), "The example saves model.params.");
        }
        finally
        {
            File.Delete(saved);
        }
    }

    // Runs the program's Main with the console captured (under the README tests' lock: one console per process).
    private static string Run(Assembly assembly)
    {
        MethodInfo main = assembly.EntryPoint ?? throw new InvalidOperationException("The program has no entry point.");
        lock (ReadmeExampleTests.ConsoleLock)
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
