using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace OdeGen.Generators.Model;

/// <summary>
/// The names of the generated files. The compiler requires them to be distinct ignoring case within a generator
/// (a repeat throws, which drops every file of the run: CS8785), and they may hold only some characters, so the
/// name of a system is an encoding of its struct's fully qualified name that is one-to-one for every legal type.
/// </summary>
/// <remarks>
/// A key is the namespace's parts joined by '.', then '.', then the containing types, outermost first, joined
/// by '+' (as in metadata names), each followed by "`N" when it has N type parameters, then '.' and the struct's
/// name: <c>Scenarios.Outer+Inner`1.RhsSystem</c>. In each name ASCII letters, digits and '_' stay; every other
/// UTF-16 unit becomes "(XXXX)", its code in hex. No escaped name holds '.', '+', '`', '(' or ')' other than
/// as written by an escape, so the type <c>B.C</c> in namespace <c>A</c> (<c>A.B+C</c>) is told from the type
/// <c>C</c> in namespace <c>A.B</c> (<c>A.B.C</c>), <c>Twin&lt;T&gt;</c> (<c>Twin`1</c>) from <c>Twin_T_</c>,
/// and a key can be read back into the names it was made from.
/// Keys differ as C# names differ, by case too, but hint names are compared ignoring case: keys that differ only
/// in case (<c>Foo</c> and <c>foo</c>) get <see cref="CaseSuffix"/>, which records which letters are capitals.
/// File-local types never get here (ODE0022), so in code that compiles a type's full name is unique; for code
/// that does not, <see cref="Plan"/> finds the keys that are shared.
/// </remarks>
internal static class HintNames
{
    /// <summary>How a scalar system's file name ends.</summary>
    public const string Extension = ".g.cs";

    /// <summary>The key of the struct <paramref name="structName"/> nested in <paramref name="types"/> (outermost first).</summary>
    public static string Key(IEnumerable<string> namespaceParts, IEnumerable<(string Name, int Arity)> types, string structName)
    {
        var sb = new StringBuilder();
        foreach (string part in namespaceParts)
        {
            Escape(sb, part);
            sb.Append('.');
        }

        bool first = true;
        foreach ((string name, int arity) in types)
        {
            if (!first)
            {
                sb.Append('+');
            }

            first = false;
            Escape(sb, name);
            if (arity > 0)
            {
                sb.Append('`').Append(arity.ToString(CultureInfo.InvariantCulture));
            }
        }

        sb.Append('.');
        Escape(sb, structName);
        return sb.ToString();
    }

    /// <summary><paramref name="name"/> with every character other than an ASCII letter, digit or '_' written as "(XXXX)".</summary>
    public static string Escape(string name)
    {
        var sb = new StringBuilder(name.Length);
        Escape(sb, name);
        return sb.ToString();
    }

    private static void Escape(StringBuilder sb, string name)
    {
        foreach (char c in name)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('(').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append(')');
            }
        }
    }

    /// <summary>
    /// What the names of all systems need: the keys that equal another, different key when case is ignored (they
    /// get <see cref="CaseSuffix"/>), and the keys that two systems share. Both sorted, so the plan is the same
    /// whatever order the systems come in, and both mostly empty.
    /// </summary>
    /// <remarks>
    /// Two systems share a key only when two distinct types have one full name, which the compiler rejects
    /// (<c>partial class X</c> beside <c>partial struct X</c>: CS0261; a second type X: CS0101; the same method
    /// twice in one type is ODE0012). Their files are left out, so the compiler's error stands alone instead of
    /// a failed AddSource that would drop every system (CS8785).
    /// </remarks>
    public static HintPlan Plan(IEnumerable<string> keys)
    {
        var all = keys.ToList();
        var duplicates = all.GroupBy(k => k, System.StringComparer.Ordinal).Where(g => g.Skip(1).Any()).Select(g => g.Key).ToList();
        var twins = new List<string>();
        foreach (IGrouping<string, string> group in all.Distinct(System.StringComparer.Ordinal).GroupBy(k => k, System.StringComparer.OrdinalIgnoreCase))
        {
            if (group.Skip(1).Any())
            {
                twins.AddRange(group);
            }
        }

        twins.Sort(System.StringComparer.Ordinal);
        duplicates.Sort(System.StringComparer.Ordinal);
        return new HintPlan(new EquatableArray<string>(twins.ToArray()), new EquatableArray<string>(duplicates.ToArray()));
    }

    /// <summary>
    /// "-" and, in lower-case hex, one bit per ASCII letter of <paramref name="key"/> (1 for a capital), four
    /// letters to a digit. Keys equal ignoring case differ in some letter's case, so their suffixes differ; keys
    /// never hold '-', so a suffixed name equals no other.
    /// </summary>
    public static string CaseSuffix(string key)
    {
        var sb = new StringBuilder("-");
        int bits = 0, count = 0;
        foreach (char c in key)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                bits = (bits << 1) | (c <= 'Z' ? 1 : 0);
                if (++count == 4)
                {
                    sb.Append("0123456789abcdef"[bits]);
                    bits = count = 0;
                }
            }
        }

        if (count > 0)
        {
            sb.Append("0123456789abcdef"[bits]);
        }

        return sb.ToString();
    }

    /// <summary>
    /// The hint name of a file of the system <paramref name="key"/>: the key, its case suffix if it has a twin, and
    /// <paramref name="ending"/>; null when another system has the same key (the file is left out).
    /// </summary>
    public static string? HintName(string key, string ending, HintPlan plan) =>
        plan.Duplicates.Contains(key) ? null
        : (plan.CaseTwins.Contains(key) ? key + CaseSuffix(key) : key) + ending;
}

/// <summary>The keys that need a case suffix, and the keys two systems share (see <see cref="HintNames.Plan"/>).</summary>
internal sealed record HintPlan(EquatableArray<string> CaseTwins, EquatableArray<string> Duplicates);
