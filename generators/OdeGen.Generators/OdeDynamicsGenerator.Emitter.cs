using OdeGen.Generators.Analyses;
using OdeGen.Generators.Emit;
using OdeGen.Generators.Model;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>The generator's version, written into [GeneratedCode].</summary>
    private static readonly string Version = typeof(OdeDynamicsGenerator).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>Plan → C# text; the emitter sees no Roslyn types and decides nothing.</summary>
    private static GeneratedFile Emit(EmitPlan system) => system.Header.Kind == TargetKind.Function
        ? FunctionTargetEmitter.Emit(system, Version)
        : SystemEmitter.Emit(system, Version);

    /// <summary>Model → the lane methods' C# text, in a second file of the same partial struct.</summary>
    private static GeneratedFile EmitLanes(EmitPlan system) => system.Header.Kind == TargetKind.Function
        ? FunctionTargetEmitter.EmitLanes(system)
        : LaneEmitter.Emit(system);
}
