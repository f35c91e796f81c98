using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// The optimization pipeline between differentiation and emission. <see cref="Simplifier"/> (folding,
/// zero/one propagation, common subexpressions, dead code) runs first and last; between them the loop
/// passes: short constant loops unrolled and loop-invariant values moved before their loops; then, for the
/// derivative methods only, loop-carried output adjoints kept in locals, loops over the same range fused (and
/// buffers that only one iteration touches kept in locals), buffers touched only at constant elements in straight-line
/// code replaced by values, repeated reads of a buffer element merged, and products fused into their sums.
/// </summary>
internal static class Optimizer
{
    /// <summary>Optimizes <paramref name="function"/>; <paramref name="exact"/> keeps every result bit for bit (Evaluate).</summary>
    public static IrFunction Run(IrFunction function, bool exact)
    {
        IrFunction f = LoopInvariantHoisting.Run(LoopUnroller.Run(Simplifier.Run(function, exact), exact), exact);
        if (!exact)
        {
            f = BufferScalarization.Run(LoopFusion.Run(AccumulatorPromotion.Run(f)), exact);
            f = FmaContraction.Run(LoadForwarding.Run(ConstantElements.Run(f)));
        }

        return Simplifier.Run(f, exact);
    }
}
