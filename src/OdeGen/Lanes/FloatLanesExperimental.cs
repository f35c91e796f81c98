namespace OdeGen.Lanes;

/// <summary>
/// The diagnostic id of the float lane family (<see cref="ILaneSingle{TSelf}"/>, <c>LaneSingle1/128/256/512</c>,
/// <see cref="IOdeLaneSystemSingle"/>), marked <see cref="System.Diagnostics.CodeAnalysis.ExperimentalAttribute"/>
/// until a float solver uses it: its shape may still change with that solver. Generated float systems suppress it in
/// their own lane file; code of yours that names these types opts in with <c>&lt;NoWarn&gt;ODEGEN001&lt;/NoWarn&gt;</c>.
/// </summary>
internal static class FloatLanesExperimental
{
    /// <summary>The id the compiler reports for a use of the float lane family.</summary>
    public const string DiagnosticId = "ODEGEN001";

    /// <summary>Where the id is explained.</summary>
    public const string Url = "https://github.com/odegen/odegen/blob/main/docs/lanes.md#lane-types";
}
