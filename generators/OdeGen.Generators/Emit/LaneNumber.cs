namespace OdeGen.Generators.Emit;

/// <summary>
/// What the lane emitter prints differently for double and float systems: the scalar type, its literals, the lane
/// interfaces and the bit test of a mask lane. Everything else about lane code is the same text for both.
/// </summary>
internal sealed class LaneNumber
{
    /// <summary>Double systems: <c>IOdeLaneSystem</c> over <c>ILane&lt;TLane&gt;</c>.</summary>
    public static readonly LaneNumber Double = new("double", "IOdeLaneSystem", "ILane", "DoubleToInt64Bits", single: false);

    /// <summary>Float systems: <c>IOdeLaneSystemSingle</c> over <c>ILaneSingle&lt;TLane&gt;</c>.</summary>
    public static readonly LaneNumber Single = new("float", "IOdeLaneSystemSingle", "ILaneSingle", "SingleToInt32Bits", single: true);

    private readonly bool _single;

    private LaneNumber(string real, string system, string lane, string toBits, bool single)
    {
        Real = real;
        SystemInterface = "global::OdeGen." + system;
        LaneInterface = "global::OdeGen.Lanes." + lane;
        ToBits = "global::System.BitConverter." + toBits;
        _single = single;
    }

    /// <summary>The scalar type: double or float.</summary>
    public string Real { get; }

    /// <summary>The interface the lane half of the struct implements.</summary>
    public string SystemInterface { get; }

    /// <summary>The lane type's interface, without its type argument.</summary>
    public string LaneInterface { get; }

    /// <summary>The BitConverter method that reads a scalar's bits (a mask lane is all ones or all zeros).</summary>
    public string ToBits { get; }

    /// <summary>The number type of <paramref name="single"/>'s values.</summary>
    public static LaneNumber Of(bool single) => single ? Single : Double;

    /// <summary>A literal of the scalar type that round-trips exactly (the IR already rounded float values to float).</summary>
    public string Literal(double value) => _single ? Literals.Single(value) : Literals.Double(value);
}
