namespace OdeGen.Generators.Ir;

/// <summary>
/// Which copy of an unrolled loop an instruction belongs to, so the emitters head each copy with its index.
/// </summary>
/// <param name="Loop">The user statement of the (outermost) unrolled loop (<see cref="IrFunction.Statements"/>).</param>
/// <param name="Label">The loop variables' values in this copy, outermost first: <c>k = 1</c>, or <c>k = 1, i = 0</c>.</param>
/// <param name="Phase">The pass that made the loop: a reverse sweep's loop is headed <c>// adjoint of: for …</c>.</param>
internal sealed record UnrolledCopy(int Loop, string Label, Phase Phase);
