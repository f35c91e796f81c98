using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// Definite writes of the output buffer (dydt, or a function's y) in a method with loops or branches, for ODE0009:
    /// the generated code clears that buffer, while the user's method reads whatever the caller's buffer holds, so an
    /// element may be read (or added to) only where every path has written it. The elements known written are kept as
    /// intervals whose ends are affine in lengths, int locals and the variables of the open loops (an element written
    /// earlier in the same iteration); a loop turns what its body wrote at its variable into the range it sweeps.
    /// </summary>
    private sealed partial class Parser
    {
        private List<ElementRanges.Interval> _outputWritten = new();

        /// <summary>ODE0009 on <paramref name="at"/> unless every path wrote the output element <paramref name="ix"/> before; false after it.</summary>
        private bool OutputWrittenBefore(BufferState buffer, IndexExpr ix, SyntaxNode at)
        {
            if (buffer != _dydtBuffer || OutputCovered(ix))
            {
                return true;
            }

            SyntaxNode read = Written(at) ?? at;
            Report(DiagnosticDescriptors.ReadBeforeWrite, read, read.ToString());
            return false;
        }

        private bool OutputCovered(IndexExpr ix)
        {
            // Every element written: any index reads a written one (or throws in the user's method), dydt[i % 4] too.
            ix = KnownSizes(ix);
            ElementRanges.Affine zero = ElementRanges.Affine.One.Plus(ElementRanges.Affine.One, -1)!;
            if (_outputWritten.Any(w => NotAbove(w.Min, zero) && LastOrAbove(w.Max)))
            {
                return true;
            }

            if (ElementRanges.Affine.Of(ix) is { } element && _outputWritten.Any(w => NotAbove(w.Min, element) && UpTo(element, w.Max)))
            {
                return true;
            }

            var ranges = _openRanges.Select(r => new LoopRange(r.Name, KnownSizes(r.Lo), KnownSizes(r.Hi))).ToList();
            return ElementRanges.Of(ix, ranges) is { } reads
                && _outputWritten.Any(w => NotAbove(w.Min, reads.Min) && UpTo(reads.Max, w.Max));
        }

        /// <summary>
        /// x ≤ <paramref name="max"/>, or <paramref name="max"/> is the output's last element: a read past it throws in the
        /// user's method, so every element it can read is below.
        /// </summary>
        private bool UpTo(ElementRanges.Affine x, ElementRanges.Affine max) => NotAbove(x, max) || LastOrAbove(max);

        /// <summary>Whether <paramref name="max"/> is at least the output's last index.</summary>
        private bool LastOrAbove(ElementRanges.Affine max) =>
            ElementRanges.Affine.Of(KnownSizes(_isFunction ? SpanNames.OutputLength : new IndexExpr.Length(Slot.Y))) is { } length
            && NotAbove(length, max.Plus(ElementRanges.Affine.One, 1));

        /// <summary>Records a write (=, += or -=) of the output element <paramref name="ix"/>.</summary>
        private void OutputWritten(BufferState buffer, IndexExpr ix)
        {
            if (buffer == _dydtBuffer && ElementRanges.Affine.Of(KnownSizes(ix)) is { } element)
            {
                AddWritten(_outputWritten, new ElementRanges.Interval(element, element));
            }
        }

        /// <summary>
        /// A write of the output element <paramref name="ix"/> that was refused (its value, or the write itself, has a
        /// diagnostic): the user's method still writes the element there, so it counts as written, and later reads of it do
        /// not add an ODE0009 that only repeats that diagnostic. Called after the right side was lowered, so a read of the
        /// element inside the right side is judged before the write, as C# runs it.
        /// </summary>
        private void RefusedWrite(BufferState buffer, IndexExpr ix) => OutputWritten(buffer, ix);

        /// <summary>The output writes known before a branch or a loop, to restore and combine after it.</summary>
        private List<ElementRanges.Interval> SaveWritten() => new(_outputWritten);

        /// <summary>
        /// After an if/else: written on both sides (a missing else writes nothing), the overlaps of the two sides' intervals.
        /// Not only the intervals one side holds whole: a side's writes merge with the earlier ones into wider intervals
        /// ([1, 1] written before, [0] in one arm: [0, 1]), which the other side, holding [1, 1], does not contain.
        /// </summary>
        private void JoinWritten(List<ElementRanges.Interval> whenTrue, List<ElementRanges.Interval> whenFalse)
        {
            var joined = new List<ElementRanges.Interval>();
            foreach (ElementRanges.Interval w in whenTrue)
            {
                foreach (ElementRanges.Interval o in whenFalse)
                {
                    if (Least(w.Min, o.Min, least: false) is { } min && Least(w.Max, o.Max, least: true) is { } max && NotAbove(min, max))
                    {
                        AddWritten(joined, new ElementRanges.Interval(min, max));
                    }
                }
            }

            _outputWritten = joined;
        }

        /// <summary>
        /// After a loop over <paramref name="range"/>: what its body wrote at its variable becomes the range swept when the
        /// iterations' elements tile it without a gap (dydt[i], dydt[3 * i + j] after a loop over j in [0, 3)), empty when
        /// it runs no iteration; other writes of its body count only when it surely runs once.
        /// </summary>
        private void CloseLoopWritten(List<ElementRanges.Interval> before, LoopRange range)
        {
            List<ElementRanges.Interval> body = _outputWritten;
            _outputWritten = before;
            if (ElementRanges.Affine.Of(KnownSizes(range.Lo)) is not { } lo || ElementRanges.Affine.Of(KnownSizes(range.Hi))?.Plus(ElementRanges.Affine.One, -1) is not { } last)
            {
                return;
            }

            bool runs = last.Plus(lo, -1) is { IsConstant: true } trips && trips.Constant >= 0;
            foreach (ElementRanges.Interval w in body.Where(w => !before.Contains(w)))
            {
                long cMin = w.Min.Coefficient(range.Name), cMax = w.Max.Coefficient(range.Name);
                if (cMin == 0 && cMax == 0)
                {
                    if (runs)
                    {
                        AddWritten(_outputWritten, w);
                    }
                }
                else if (cMin == cMax && w.Max.Plus(w.Min, -1) is { IsConstant: true } width
                    && (width.Constant + 1 == System.Math.Abs(cMin) || (runs && width.Constant + 1 > System.Math.Abs(cMin))))
                {
                    AddWritten(_outputWritten, new ElementRanges.Interval(
                        w.Min.Eliminate(range.Name, lo, last, least: true), w.Max.Eliminate(range.Name, lo, last, least: false)));
                }
            }
        }

        /// <summary>Adds <paramref name="added"/>, merged with the intervals it provably touches or overlaps.</summary>
        private static void AddWritten(List<ElementRanges.Interval> written, ElementRanges.Interval added)
        {
            for (int k = 0; k < written.Count; k++)
            {
                ElementRanges.Interval w = written[k];
                if (NotAbove(added.Min, w.Max.Plus(ElementRanges.Affine.One, 1)) && NotAbove(w.Min, added.Max.Plus(ElementRanges.Affine.One, 1))
                    && Least(w.Min, added.Min, least: true) is { } min && Least(w.Max, added.Max, least: false) is { } max)
                {
                    written.RemoveAt(k);
                    AddWritten(written, new ElementRanges.Interval(min, max));
                    return;
                }
            }

            written.Add(added);
        }

        /// <summary>x ≤ y for every value of the lengths, int locals and loop variables; false when it cannot tell.</summary>
        private static bool NotAbove(ElementRanges.Affine? x, ElementRanges.Affine? y) =>
            x is not null && y?.Plus(x, -1) is { IsConstant: true } d && d.Constant >= 0;

        private static ElementRanges.Affine? Least(ElementRanges.Affine a, ElementRanges.Affine b, bool least) =>
            NotAbove(a, b) ? (least ? a : b) : NotAbove(b, a) ? (least ? b : a) : null;
    }
}
