using Microsoft.CodeAnalysis;

namespace OdeGen.Generators.Model;

/// <summary>A diagnostic as plain data: descriptor id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    /// <summary>Creates the info for <paramref name="descriptor"/> at <paramref name="location"/>.</summary>
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(arguments));

    /// <summary>True when the descriptor is an error (the method then gets no generated code).</summary>
    public bool IsError => DiagnosticDescriptors.ById(Id).DefaultSeverity == DiagnosticSeverity.Error;

    /// <summary>Turns the info back into a reportable diagnostic, located in <paramref name="compilation"/>'s tree of its file when it has one.</summary>
    public Diagnostic ToDiagnostic(Compilation? compilation = null)
    {
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        return Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None, args);
    }
}
