namespace OdeGen.Generators.Ir;

/// <summary>Facts about slots that the simplifier, optimizer and emitters share.</summary>
internal static class SlotFacts
{
    /// <summary>Output spans that the generated method adds to (+=) rather than overwrites: every store to them counts.</summary>
    public static bool Accumulates(Slot slot) => slot is Slot.YBar or Slot.PBar or Slot.YBarDot or Slot.PBarDot;

    /// <summary>Inputs that are one number, not a span: t, tDot and a scalar seed s.</summary>
    public static bool IsScalar(Slot slot) => slot is Slot.T or Slot.TDot or Slot.S;
}
