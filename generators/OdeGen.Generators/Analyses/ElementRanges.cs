using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>A counted loop around a buffer access: its variable (by the IR's name) runs over [Lo, Hi).</summary>
internal sealed record LoopRange(string Name, IndexExpr Lo, IndexExpr Hi);

/// <summary>
/// Whether two accesses to one buffer can touch the same element, for the parser's ODE0014: a write may follow a read
/// of the same buffer when it provably leaves every element that read touched alone (the reverse sweep, recomputing
/// that read, still finds the value it read). Each access is an index over the loops around it; the elements it can
/// touch lie between the least and greatest value of the index over those loops' ranges, computed exactly where the
/// index and the bounds are affine in the loop variables (constants, lengths and int locals are terms that cancel).
/// </summary>
/// <remarks>
/// Conservative by construction: anything it cannot bound (i * j, i % 8, i / 2) may touch every element. A loop that
/// runs no iteration touches nothing, so bounds taken over its empty range decide nothing that could be wrong; an inner
/// loop's bounds that depend on an outer variable are bounded over the whole outer range, a superset of what runs.
/// </remarks>
internal static class ElementRanges
{
    /// <summary>
    /// The elements an access at <paramref name="index"/> inside <paramref name="loops"/> (outermost first) may touch:
    /// the least and greatest value of the index over the loops' ranges, free of loop variables; null if it cannot tell.
    /// </summary>
    public static Interval? Of(IndexExpr index, IReadOnlyList<LoopRange> loops)
    {
        if (Affine.Of(index) is not { } min)
        {
            return null;
        }

        Affine max = min;

        // Innermost first: its bounds may mention the outer variables, which the outer loops then eliminate.
        for (int k = loops.Count - 1; k >= 0; k--)
        {
            LoopRange loop = loops[k];
            if (Affine.Of(loop.Lo) is not { } lo || Affine.Of(loop.Hi)?.Plus(Affine.One, -1) is not { } last)
            {
                return null;
            }

            min = min.Eliminate(loop.Name, lo, last, least: true);
            max = max.Eliminate(loop.Name, lo, last, least: false);
        }

        return min.HasVariables || max.HasVariables ? null : new Interval(min, max);
    }

    /// <summary>
    /// True when no element of <paramref name="a"/> is one of <paramref name="b"/> for any value of the lengths and int
    /// locals; false when they may share one or it cannot tell (a null interval may be anything).
    /// </summary>
    public static bool Disjoint(Interval? a, Interval? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        if (a.Min.IsConstant && a.Max.IsConstant && b.Min.IsConstant && b.Max.IsConstant)
        {
            return a.Max.Constant < b.Min.Constant || b.Max.Constant < a.Min.Constant;
        }

        return Below(a.Max, b.Min) || Below(b.Max, a.Min);
    }

    /// <summary>x &lt; y for every value of the lengths and int locals: y - x is a positive constant.</summary>
    private static bool Below(Affine x, Affine y) => y.Plus(x, -1) is { IsConstant: true } d && d.Constant > 0;

    /// <summary>The least and the greatest index an access may use, each affine in lengths and int locals.</summary>
    internal sealed class Interval
    {
        public Interval(Affine min, Affine max)
        {
            Min = min;
            Max = max;
        }

        public Affine Min { get; }

        public Affine Max { get; }
    }

    /// <summary>
    /// An int expression as constant + Σ coefficient · term, each term a loop variable or a part that mentions none
    /// (a length, n / 2). Coefficients are longs: index arithmetic that large has left every span anyway.
    /// </summary>
    internal sealed class Affine
    {
        private const long Limit = 1L << 40;

        private Affine(long constant, Dictionary<IndexExpr, long> terms)
        {
            Constant = constant;
            Terms = terms;
        }

        public static Affine One { get; } = new(1, new Dictionary<IndexExpr, long>());

        public long Constant { get; }

        private Dictionary<IndexExpr, long> Terms { get; }

        public bool IsConstant => Terms.Count == 0;

        public bool HasVariables
        {
            get
            {
                foreach (IndexExpr term in Terms.Keys)
                {
                    if (term is IndexExpr.Variable)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>The affine form of <paramref name="e"/>, or null (a product or quotient involving a loop variable, or huge values).</summary>
        public static Affine? Of(IndexExpr e)
        {
            if (e.ConstantValue is int c)
            {
                return new Affine(c, new Dictionary<IndexExpr, long>());
            }

            switch (e)
            {
                case IndexExpr.Variable or IndexExpr.Length:
                    return new Affine(0, new Dictionary<IndexExpr, long> { [e] = 1 });
                case IndexExpr.Negate n:
                    return Of(n.Operand)?.Times(-1);
                case IndexExpr.Binary { Op: IndexOp.Add or IndexOp.Subtract } b:
                    Affine? left = Of(b.Left), right = left is null ? null : Of(b.Right);
                    return right is null ? null : left!.Plus(right, b.Op == IndexOp.Add ? 1 : -1);
                case IndexExpr.Binary { Op: IndexOp.Multiply } b:
                    Affine? l = Of(b.Left), r = l is null ? null : Of(b.Right);
                    if (r is not null && (l!.IsConstant || r.IsConstant))
                    {
                        return l.IsConstant ? r.Times(l.Constant) : l.Times(r.Constant);
                    }

                    return Opaque(e);
                default:
                    return Opaque(e);
            }
        }

        /// <summary>A part that is not affine is one term when it mentions no loop variable (its value is the same wherever it is read).</summary>
        private static Affine? Opaque(IndexExpr e) =>
            e.Variables().Count == 0 ? new Affine(0, new Dictionary<IndexExpr, long> { [e] = 1 }) : null;

        /// <summary>this + factor · other.</summary>
        public Affine? Plus(Affine other, long factor)
        {
            var terms = new Dictionary<IndexExpr, long>(Terms);
            foreach (KeyValuePair<IndexExpr, long> t in other.Terms)
            {
                long sum = (terms.TryGetValue(t.Key, out long have) ? have : 0) + (factor * t.Value);
                if (sum == 0)
                {
                    terms.Remove(t.Key);
                }
                else
                {
                    terms[t.Key] = sum;
                }
            }

            return Checked(Constant + (factor * other.Constant), terms);
        }

        public Affine? Times(long factor)
        {
            var terms = new Dictionary<IndexExpr, long>();
            if (factor != 0)
            {
                foreach (KeyValuePair<IndexExpr, long> t in Terms)
                {
                    terms[t.Key] = t.Value * factor;
                }
            }

            return Checked(Constant * factor, terms);
        }

        /// <summary>The coefficient of the loop variable <paramref name="name"/> (0 when the form does not mention it).</summary>
        public long Coefficient(string name) =>
            Terms.TryGetValue(IndexExpr.Of(name), out long coefficient) ? coefficient : 0;

        /// <summary>
        /// The form with the loop variable <paramref name="name"/> replaced by the end of its range [lo, last] that makes
        /// the value least (or greatest): its lower end where its coefficient has the sign that asks for it, else its upper.
        /// </summary>
        public Affine Eliminate(string name, Affine lo, Affine last, bool least)
        {
            var variable = (IndexExpr.Variable)IndexExpr.Of(name);
            if (!Terms.TryGetValue(variable, out long coefficient))
            {
                return this;
            }

            var without = new Dictionary<IndexExpr, long>(Terms);
            without.Remove(variable);
            Affine end = (coefficient > 0) == least ? lo : last;
            return new Affine(Constant, without).Plus(end, coefficient) ?? Unbounded;
        }

        /// <summary>A form no comparison proves anything about (its loop variable never leaves it).</summary>
        private static Affine Unbounded { get; } = new(0, new Dictionary<IndexExpr, long> { [IndexExpr.Of("?")] = 1 });

        private static Affine? Checked(long constant, Dictionary<IndexExpr, long> terms)
        {
            if (constant is > Limit or < -Limit)
            {
                return null;
            }

            foreach (long v in terms.Values)
            {
                if (v is > Limit or < -Limit)
                {
                    return null;
                }
            }

            return new Affine(constant, terms);
        }
    }
}
