using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>The user's dynamics method, callable without boxing its spans.</summary>
public delegate void Dynamics(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

/// <summary>A generated system paired with the user method it was generated from.</summary>
public sealed record SystemUnderTest(string Name, IOdeSystem System, Dynamics User)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Every scenario of <see cref="TestSources"/> compiled once, with the generator's output, into
/// one in-memory assembly (one compilation is much faster than one per system), loaded into a
/// collectible context that takes OdeGen from the default context so instances cast to IOdeSystem.
/// </summary>
internal static class CompiledSystems
{
    private static readonly Lazy<Assembly> Compiled = new(Compile);
    private static readonly Lazy<IReadOnlyDictionary<string, SystemUnderTest>> Loaded = new(Load);
    private static readonly Lazy<IReadOnlyDictionary<string, IOdeLaneSystemSingle>> LoadedSingles = new(LoadSingles);

    /// <summary>The double systems by "Type.Method" name.</summary>
    public static IReadOnlyDictionary<string, SystemUnderTest> All => Loaded.Value;

    /// <summary>The float systems of the same assembly (IOdeSystemSingle, with their lane methods), by "Type.Method" name.</summary>
    public static IReadOnlyDictionary<string, IOdeLaneSystemSingle> Singles => LoadedSingles.Value;

    /// <summary>Compiles, emits and loads <paramref name="compilation"/>; fails the test on any error.</summary>
    public static Assembly EmitAndLoad(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return new TestLoadContext().LoadFromStream(stream);
    }

    private static Assembly Compile()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.Executable));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return EmitAndLoad(run.Output);
    }

    private static IReadOnlyDictionary<string, IOdeLaneSystemSingle> LoadSingles() =>
        Compiled.Value.GetTypes().Where(t => t.IsValueType && typeof(IOdeSystemSingle).IsAssignableFrom(t))
            .ToDictionary(t => t.DeclaringType!.Name + "." + t.Name[..^"System".Length], t => (IOdeLaneSystemSingle)Activator.CreateInstance(t)!);

    private static IReadOnlyDictionary<string, SystemUnderTest> Load() => SystemsOf(Compiled.Value);

    /// <summary>The double systems of <paramref name="assembly"/> (a compilation of scenarios) by "Type.Method" name.</summary>
    public static IReadOnlyDictionary<string, SystemUnderTest> SystemsOf(Assembly assembly)
    {
        var systems = new Dictionary<string, SystemUnderTest>();
        foreach (Type type in assembly.GetTypes().Where(t => t.IsValueType && typeof(IOdeSystem).IsAssignableFrom(t)))
        {
            // A struct nested in a generic type is generic itself; close both over object.
            Type[] args = type.GetGenericArguments().Select(_ => typeof(object)).ToArray();
            Type closed = type.ContainsGenericParameters ? type.MakeGenericType(args) : type;
            Type owner = type.DeclaringType!.ContainsGenericParameters ? type.DeclaringType.MakeGenericType(args) : type.DeclaringType;
            string method = type.Name[..^"System".Length];
            MethodInfo user = owner.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
            string name = owner.Name.Split('`')[0] + "." + method;
            systems.Add(name, new SystemUnderTest(name, (IOdeSystem)Activator.CreateInstance(closed)!, user.CreateDelegate<Dynamics>()));
        }

        return systems;
    }

    /// <summary>Resolves nothing itself, so OdeGen and the BCL come from the default context.</summary>
    private sealed class TestLoadContext : AssemblyLoadContext
    {
        public TestLoadContext()
            : base("OdeGen.Generators.Tests", isCollectible: true)
        {
        }

        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}
