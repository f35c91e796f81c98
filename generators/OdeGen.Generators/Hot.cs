using System.Runtime.CompilerServices;

namespace OdeGen.Generators;

/// <summary>
/// Marks the generator's hot loops (the optimizer's rebuilds, value numbering, dead code) to be compiled fully
/// optimized at their first call.
/// </summary>
/// <remarks>
/// The IDE runs the generator on a keystroke. Under tiered compilation a method starts unoptimized (and, with dynamic
/// PGO, instrumented) and is promoted only after its calls are counted, which begins once the process has stopped
/// compiling new methods for a while: inside a compiler that is rarely the case, and the generator's ten-thousand-call
/// loops ran unoptimized for dozens of edits (the generator benchmark's Simplify step: 2-3x slower after ten warm
/// runs than with every method optimized). These few methods skip the wait; they lose dynamic PGO, which they gain
/// little from (their calls are monomorphic).
/// </remarks>
internal static class Hot
{
    /// <summary><c>MethodImplOptions.AggressiveOptimization</c> (512), which netstandard2.0's enum lacks; every runtime that runs the compiler honours it.</summary>
    public const MethodImplOptions Optimize = (MethodImplOptions)512;
}
