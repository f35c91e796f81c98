using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>The decision for the loop opened at <paramref name="Open"/>: vectorized (<paramref name="Plan"/>), or why not.</summary>
internal sealed record LoopDecision(int Open, string Variable, string? Reason, VectorLoop? Plan);

/// <summary>What a vectorized body takes from around it, in the helper's parameter order.</summary>
internal enum LoopParameterKind
{
    /// <summary>An enclosing loop's variable (an int in the indices).</summary>
    Int,

    /// <summary>One of the method's spans (<see cref="LoopParameter.Slot"/>).</summary>
    Span,

    /// <summary>A buffer (stackalloc or dydt) by its Buf instruction.</summary>
    Buffer,

    /// <summary>A value computed before the loop: broadcast to every lane.</summary>
    Value,

    /// <summary>A variable from before the loop that the loop only reads: broadcast.</summary>
    Variable,

    /// <summary>A variable the loop adds to: per-lane sums, added to it after the loop (by ref).</summary>
    Sum,

    /// <summary>t or tDot.</summary>
    Time,

    /// <summary>
    /// A static readonly field the body reads, by its number (<see cref="LoopParameter.Id"/>) and full name
    /// (<see cref="LoopParameter.Name"/>): the helper reads it by that name and broadcasts it before its loop, so it is
    /// no parameter of the helper.
    /// </summary>
    Field,
}

/// <summary>One parameter of a vectorized loop's helper.</summary>
internal sealed record LoopParameter(LoopParameterKind Kind, int Id, Slot Slot, string? Name);

/// <summary>
/// A loop chosen for vectorization: its region, variable and bounds, the stride of each access in the body
/// by instruction (0: the same element in every lane), and the helper's parameters.
/// </summary>
/// <remarks>Equatable (the strides a sorted array, not a dictionary), so the plan that holds it is cached by the driver.</remarks>
internal sealed record VectorLoop(int Open, int Close, string Variable, IndexExpr Lower, IndexExpr Upper,
    EquatableArray<AccessStride> Strides, EquatableArray<LoopParameter> Parameters)
{
    /// <summary>The parameters the method passes to the helper, in order: all but the fields, which the helper reads itself.</summary>
    public IEnumerable<LoopParameter> Arguments => Parameters.Where(q => q.Kind != LoopParameterKind.Field);

    /// <summary>The stride of the access at instruction <paramref name="id"/>; throws for an instruction that is none.</summary>
    public int Stride(int id)
    {
        int lo = 0, hi = Strides.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            int at = Strides[mid].Id;
            if (at == id)
            {
                return Strides[mid].Stride;
            }

            if (at < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        throw new KeyNotFoundException($"instruction {id} is no access of the loop at {Open}");
    }
}

/// <summary>The stride of one access of a vectorized body: 0 the same element in every lane, 1 contiguous, s a strided load.</summary>
internal readonly record struct AccessStride(int Id, int Stride);
