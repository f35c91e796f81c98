namespace OdeGen.Generators.Ir;

/// <summary>
/// Straight-line SSA code: a list of instructions plus the user's statements (as source text)
/// they came from, so the emitter can print each statement above the code derived from it.
/// </summary>
/// <remarks>
/// The body is one block today. Structured control flow will enter as region instructions
/// (a loop or branch owning nested bodies) in this same list; passes walk bodies recursively,
/// so none of the existing instructions or passes need to change shape.
/// </remarks>
/// <param name="Body">The instructions; a value's id is its position.</param>
/// <param name="Statements">Source text of the statements instructions point to (<see cref="Instr.Stmt"/>).</param>
/// <param name="UserStatements">How many of <paramref name="Statements"/> are the user's, in source order; the rest are notes the passes added.</param>
/// <param name="Single">Whether the values are float (the method's t is float): literals are rounded to float and printed as such.</param>
/// <param name="Naming">The names the emitters print for the spans (<see cref="SpanNames"/>); set only right before a function target is printed.</param>
internal sealed record IrFunction(EquatableArray<Instr> Body, EquatableArray<string> Statements, int UserStatements, bool Single = false,
    SpanNaming Naming = SpanNaming.Dynamics);
