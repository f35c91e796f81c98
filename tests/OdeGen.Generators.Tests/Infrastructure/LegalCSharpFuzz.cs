using System.Globalization;
using System.Text;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>One fuzzed program: its source, where its marked method is, and what kind of method it is.</summary>
internal sealed record FuzzProgram(int Seed, int Index, string Source, string Namespace, string TypeName, string Method, bool IsFunction, bool IsFloat,
    bool SecondOrder, bool Vectorized, int Size = 3)
{
    /// <summary>The reflection name of the containing type.</summary>
    public string FullTypeName => Namespace + "." + TypeName;

    /// <summary>The reflection name of the generated struct.</summary>
    public string GeneratedTypeName => FullTypeName + "+" + Method + (IsFunction ? "Function" : "System");

    /// <inheritdoc/>
    public override string ToString() => $"fuzz seed {Seed} program {Index}";
}

/// <summary>
/// A seeded grammar of legal C# <c>[OdeDynamics]</c> methods and <c>[Differentiable]</c> functions that deliberately goes
/// beyond docs/supported-csharp.md: besides the subset it writes what users write (var and const locals, nested ?:,
/// if/else chains, for/while/do loops with break and continue, early return, switch statements and expressions on ints,
/// is-patterns on doubles, tuples and deconstruction, local functions, static helpers with and without
/// [OdeDifferentiable], Math/MathF/double.* functions, Clamp/Min/Max/Abs/Sign, int locals and casts, compound
/// assignments, checked/unchecked, ^k indices, slices, stackalloc, throw statements and expressions, nameof,
/// parenthesized targets, static readonly fields, float methods). The generator must either handle each program right
/// or refuse it with a located ODE diagnostic. Every operation is well defined for y, x in [-0.9, 0.9], p in [0.5, 1.5],
/// t in [0, 1] (denominators and logarithm arguments are bounded away from zero; no throw is reached), so finite
/// differences are a fair reference wherever the program is smooth. Whether a program is legal C# is checked by the
/// test (it compiles it without the generator first); the grammar aims to be legal but is not trusted to be.
/// </summary>
internal sealed class LegalCSharpFuzz
{
    /// <summary>
    /// Every span of a program has this many elements (declared in the attribute, or passed to the constructor): 3, whose
    /// constant loops the optimizer unrolls, or 6, whose loops stay loops.
    /// </summary>
    private readonly int size;

    private readonly Random r;
    private readonly bool fl;
    private readonly bool function;
    private readonly string t, y, p, outSpan, num, math;
    private readonly List<string> members = new();
    private readonly List<string> localFunctions = new();
    private readonly List<string> helpers = new();
    private readonly List<string> fields = new();
    private int names;

    /// <summary>How often a construct outside the documented subset is written (0 for half the programs).</summary>
    private double wild;

    private LegalCSharpFuzz(Random random, bool isFloat, bool isFunction)
    {
        r = random;
        size = random.Next(3) == 0 ? 6 : 3;
        fl = isFloat;
        function = isFunction;
        t = "t";
        y = isFunction ? "x" : "y";
        p = "p";
        outSpan = isFunction ? "y" : "dydt";
        num = isFloat ? "float" : "double";
        math = isFloat ? "MathF" : "Math";
    }

    /// <summary>
    /// Program <paramref name="index"/> of the stream seeded with <paramref name="seed"/>, in namespace Fuzz{seed}_{index}.
    /// The seed is combined arithmetically (HashCode.Combine is randomized per process), so a printed seed reproduces.
    /// </summary>
    public static FuzzProgram Create(int seed, int index)
    {
        var random = new Random(unchecked((seed * 104729) + index));
        bool isFunction = random.Next(3) == 0, isFloat = random.Next(5) == 0;
        bool secondOrder = !isFloat && random.Next(4) == 0, vectorize = !isFloat && random.Next(6) == 0;
        return new LegalCSharpFuzz(random, isFloat, isFunction).Program(seed, index, secondOrder, vectorize);
    }

    private FuzzProgram Program(int seed, int index, bool secondOrder, bool vectorize)
    {
        wild = r.Next(4) switch { 0 or 1 => 0, 2 => 0.03, _ => 0.15 };
        string ns = $"Fuzz{seed}_{index}";
        string type = r.Next(4) == 0 ? "Model" : "Sys";
        string method = function ? "G" : "Rhs";

        // Members the body may use: static readonly fields, const fields, static helpers.
        if (r.Next(3) == 0)
        {
            string name = "Gain" + names++;
            members.Add($"private static readonly {num} {name} = {Lit(0.5 + r.NextDouble())};");
            fields.Add(name);
        }

        if (r.Next(4) == 0)
        {
            string name = "C" + names++;
            members.Add($"public const {num} {name} = {Lit(Math.Round(r.NextDouble(), 2))};");
            fields.Add(name);
        }

        int helperCount = r.Next(3);
        for (int h = 0; h < helperCount; h++)
        {
            Helper();
        }

        var scope = new Scope();
        var body = new StringBuilder();
        int statements = 2 + r.Next(6);
        for (int s = 0; s < statements; s++)
        {
            Statement(body, scope, 1, loopVar: null);
        }

        // Most programs write every output at the end, so the derivative check sees all of them.
        for (int i = 0; i < size; i++)
        {
            if (r.Next(4) != 0 || !scope.Written.Contains(i))
            {
                body.AppendLine($"{Out(i)} {(scope.Written.Contains(i) && r.Next(3) == 0 ? "+=" : "=")} {Expr(scope, Depth(), null)};");
                scope.Written.Add(i);
            }
        }

        foreach (string local in localFunctions)
        {
            body.AppendLine(local);
        }

        string attribute = Attribute(secondOrder, vectorize);
        bool expressionBodied = r.Next(20) == 0;
        string methodBody = expressionBodied
            ? $"    => {outSpan}[{r.Next(size)}] = {Expr(new Scope(), Depth(), null)};"
            : $"{{\n{Indent(body.ToString(), 8)}    }}";
        string signature = function
            ? $"(ReadOnlySpan<{num}> {y}, ReadOnlySpan<{num}> {p}, Span<{num}> {outSpan})"
            : $"({num} {t}, ReadOnlySpan<{num}> {y}, ReadOnlySpan<{num}> {p}, Span<{num}> {outSpan})";
        // Sometimes a partial method, marked on its defining declaration (as [GeneratedRegex] is) or on its implementation.
        string declaration = r.Next(8) switch
        {
            0 => $"{attribute}\n    public static partial void {method}{signature};\n\n    public static partial void {method}{signature}\n    {methodBody}",
            1 => $"public static partial void {method}{signature};\n\n    {attribute}\n    public static partial void {method}{signature}\n    {methodBody}",
            _ => $"{attribute}\n    public static void {method}{signature}\n    {methodBody}",
        };
        string typeKeyword = r.Next(5) == 0 ? "partial struct" : r.Next(3) == 0 ? "partial class" : "static partial class";
        string source = $$"""
            using OdeGen;
            using static System.{{math}};
            using M = System.{{math}};

            namespace {{ns}};

            public {{typeKeyword}} {{type}}
            {
                {{string.Join("\n    ", members)}}

                {{declaration}}
            }
            """;
        return new FuzzProgram(seed, index, source, ns, type, method, function, fl, secondOrder, vectorize, size);
    }

    private string Attribute(bool secondOrder, bool vectorize)
    {
        var args = new List<string>();
        // Sizes declared most of the time; otherwise inferred from the indices or passed to the constructor.
        if (r.Next(5) != 0)
        {
            args.AddRange(function
                ? new[] { $"Inputs = {size}", $"Parameters = {size}", $"Outputs = {size}" }
                : new[] { $"States = {size}", $"Parameters = {size}" });
        }

        if (secondOrder)
        {
            args.Add("SecondOrder = true");
        }

        if (vectorize)
        {
            args.Add("VectorizeLoops = true");
        }

        string name = function ? "Differentiable" : "OdeDynamics";
        return args.Count == 0 ? $"[{name}]" : $"[{name}({string.Join(", ", args)})]";
    }

    /// <summary>A static helper num → num, marked [OdeDifferentiable] or not (then it is an unsupported call).</summary>
    private void Helper()
    {
        string name = "H" + names++;
        var scope = new Scope();
        scope.Numbers.Add("a");
        string attr = Wild() ? "" : "[OdeDifferentiable] ";
        int form = r.Next(3);
        if (form == 1 && !Wild())
        {
            form = 0; // an early return in a helper is outside the subset
        }

        string helper = form switch
        {
            0 => $"{attr}private static {num} {name}({num} a) => {Expr(scope, 2, null, inputs: false)};",
            1 => $"{attr}internal static {num} {name}({num} a)\n    {{\n        var b = {Expr(scope, 2, null, inputs: false)};\n        if (b > a) {{ return b * a; }}\n        return {Expr(WithB(scope), 2, null, inputs: false)};\n    }}",
            _ => $"{attr}public static {num} {name}({num} a)\n    {{\n        {num} b = a;\n        for (int k = 0; k < 2; k++) {{ b = b * {Lit(0.5)} + {Expr(scope, 1, null, inputs: false)}; }}\n        return a < {Lit(0)} ? -b : b;\n    }}",
        };
        members.Add(helper);
        helpers.Add(name);
    }

    private static Scope WithB(Scope scope)
    {
        var copy = scope.Clone();
        copy.Numbers.Add("b");
        return copy;
    }

    private int Depth() => 1 + r.Next(4);

    /// <summary>True when this program writes a construct outside the documented subset here.</summary>
    private bool Wild() => r.NextDouble() < wild;

    /// <summary>
    /// Names of the generated code's parameters, locals and types, keywords and non-ASCII letters: a user's local may
    /// be called anything, and the generated code must not mix it up with its own.
    /// </summary>
    private static readonly string[] RiskyNames =
    {
        "yDot", "pDot", "tDot", "yBar", "pBar", "tBar", "xDot", "xBar", "a", "s", "f", "fDot", "dydtDot", "yBarDot", "pBarDot",
        "TLane", "lane", "lanes", "result", "value", "States", "Parameters", "Inputs", "Outputs", "@checked", "@double", "δ", "_x", "System", "global", "OdeGen", "Evaluate", "Jvp", "Vjp", "Hvp", "span", "buffer", "tmp", "v0Dot", "acc0Bar",
    };

    private readonly HashSet<string> used = new();

    private string Fresh(string prefix)
    {
        // Local functions' parameters are a and b, their local m; the helpers' a and b.
        if (r.Next(8) == 0)
        {
            string risky = RiskyNames[r.Next(RiskyNames.Length)];
            if (risky is not ("a" or "b" or "m") && used.Add(risky))
            {
                return risky;
            }
        }

        return prefix + names++;
    }

    private string Lit(double value)
    {
        string text = value.ToString("0.0##", CultureInfo.InvariantCulture);
        return fl ? text + "f" : text;
    }

    private string Const() => Lit(Math.Round((r.NextDouble() * 2) - 1, 2));

    private string Out(int i) => r.Next(8) switch
    {
        0 when i == size - 1 => $"{outSpan}[^1]",
        1 => $"({outSpan}[{i}])",
        _ => $"{outSpan}[{i}]",
    };

    /// <summary>One statement into <paramref name="body"/>; <paramref name="loopVar"/> is the index of the enclosing loop, if any.</summary>
    private void Statement(StringBuilder body, Scope scope, int depth, string? loopVar)
    {
        int choice = r.Next(depth > 2 ? 8 : 24);
        while (choice is 8 or 9 or 11 or 12 or 14 or 15 or 17 or 18 && !Wild())
        {
            choice = r.Next(depth > 2 ? 8 : 24);
        }

        switch (choice)
        {
            case 0 or 1:
            {
                string name = Fresh("v");
                string decl = r.Next(3) switch { 0 => "var", _ => num };
                body.AppendLine($"{decl} {name} = {Expr(scope, Depth(), loopVar)};");
                scope.Numbers.Add(name);
                break;
            }

            case 2 when Assignable(scope.Numbers).Count > 0:
            {
                List<string> targets = Assignable(scope.Numbers);
                string target = targets[r.Next(targets.Count)];
                if (r.Next(4) == 0)
                {
                    target = $"({target})";
                }

                string rhs = Expr(scope, Depth(), loopVar);
                body.AppendLine(r.Next(6) switch
                {
                    0 => $"{target} += {rhs};",
                    1 => $"{target} -= {rhs};",
                    2 => $"{target} *= {Squash(rhs)};",
                    3 => $"{target} /= {Lit(1.5)} + ({rhs}) * ({rhs});",
                    4 when Wild() => $"{target}++;",
                    _ => $"{target} = {rhs};",
                });
                break;
            }

            case 3:
            {
                int i = r.Next(size);
                bool written = scope.Written.Contains(i);
                string op = written && r.Next(2) == 0 ? new[] { "+=", "-=", "*=" }[r.Next(3)] : "=";
                body.AppendLine($"{Out(i)} {op} {Expr(scope, Depth(), loopVar)};");
                if (depth == 1)
                {
                    scope.Written.Add(i);
                }

                break;
            }

            case 4:
            {
                string name = "c" + names++; // constants are named c… (see Assignable)
                bool isInt = r.Next(2) == 0;
                body.AppendLine(isInt ? $"const int {name} = {r.Next(3)};" : $"const {num} {name} = {Const()};");
                (isInt ? scope.Ints : scope.Numbers).Add(name);
                break;
            }

            case 5:
            {
                string name = Fresh("k");
                body.AppendLine((Wild() ? r.Next(3) : 3) switch
                {
                    0 => $"int {name} = (int)({y}[{r.Next(size)}] * 1.9 + 2);",
                    1 => $"int {name} = {y}.Length - {1 + r.Next(size)};",
                    2 => $"var {name} = nameof({p}).Length - 1;",
                    _ => $"int {name} = {r.Next(3)};",
                });
                scope.Ints.Add(name);
                break;
            }

            case 6:
                If(body, scope, depth, loopVar);
                break;

            case 7 when loopVar is null && depth == 1:
                Loop(body, scope, depth);
                break;

            case 8 when scope.Ints.Count > 0:
                Switch(body, scope, depth, loopVar);
                break;

            case 9:
            {
                string a = Fresh("v"), b = Fresh("v");
                string e1 = Expr(scope, Depth(), loopVar), e2 = Expr(scope, Depth(), loopVar);
                body.AppendLine(r.Next(3) switch
                {
                    0 => $"var ({a}, {b}) = ({e1}, {e2});",
                    1 => $"({num} {a}, {num} {b}) = ({e1}, {e2});",
                    _ => $"{num} {a} = ({e1}, {e2}).Item1, {b} = {e2};",
                });
                scope.Numbers.Add(a);
                scope.Numbers.Add(b);
                if (r.Next(3) == 0)
                {
                    body.AppendLine($"({a}, {b}) = ({b}, {a});");
                }

                break;
            }

            case 10 when depth == 1 && loopVar is null:
            {
                string name = Fresh("h");
                body.AppendLine($"Span<{num}> {name} = stackalloc {num}[{size}];");
                for (int i = 0; i < size; i++)
                {
                    body.AppendLine($"{name}[{i}] = {Expr(scope, 2, null)};");
                }

                scope.Buffers.Add(name);
                break;
            }

            case 11 when depth == 1 && loopVar is null:
            {
                string name = Fresh("s");
                body.AppendLine(r.Next(3) switch
                {
                    0 => $"ReadOnlySpan<{num}> {name} = {y}[1..];",
                    1 => $"ReadOnlySpan<{num}> {name} = {y}.Slice(1, 2);",
                    _ => $"var {name} = {p}[..2];",
                });
                scope.Slices.Add(name);
                break;
            }

            case 12:
                body.AppendLine(r.Next(3) switch
                {
                    0 => $"if ({p}.Length < {size}) throw new ArgumentException(\"too short\", nameof({p}));",
                    1 => $"if ({num}.IsNaN({y}[0])) {{ throw new ArgumentOutOfRangeException(nameof({y})); }}",
                    _ => $"_ = {y}.Length >= {size} ? 0 : throw new InvalidOperationException(nameof({y}));",
                });
                break;

            case 13 when Assignable(scope.Numbers).Count > 0:
            {
                List<string> targets = Assignable(scope.Numbers);
                string target = targets[r.Next(targets.Count)];
                body.AppendLine($"{(r.Next(2) == 0 ? "checked" : "unchecked")} {{ {target} += {Expr(scope, 2, loopVar)}; }}");
                break;
            }

            case 14 when depth == 1 && loopVar is null:
            {
                // Early return: the outputs written so far are the result.
                body.AppendLine($"if ({Condition(scope, loopVar)})");
                body.AppendLine("{");
                int i = r.Next(size);
                body.AppendLine($"    {outSpan}[{i}] = {Expr(scope, 2, loopVar)};");
                body.AppendLine("    return;");
                body.AppendLine("}");
                break;
            }

            case 15:
            {
                string name = Fresh("L");
                if (r.Next(2) == 0)
                {
                    localFunctions.Add($"static {num} {name}({num} a) => a * {math}.Tanh(a) + {Const()};");
                    scope.LocalFunctions.Add((name, 1));
                }
                else
                {
                    localFunctions.Add($"{num} {name}({num} a, {num} b)\n{{\n    {num} m = a > b ? a : b;\n    return m * {Lit(0.5)} + {math}.Sin(b);\n}}");
                    scope.LocalFunctions.Add((name, 2));
                }

                break;
            }

            case 16 when scope.Numbers.Count > 0:
            {
                // Declared first, assigned in both branches.
                string name = Fresh("w");
                body.AppendLine($"{num} {name};");
                body.AppendLine($"if ({Condition(scope, loopVar)}) {name} = {Expr(scope, Depth(), loopVar)}; else {name} = {Expr(scope, Depth(), loopVar)};");
                scope.Numbers.Add(name);
                break;
            }

            case 17 when scope.Ints.Count > 0:
            {
                string name = Fresh("v");
                string k = scope.Ints[r.Next(scope.Ints.Count)];
                body.AppendLine($"{num} {name} = {k} switch {{ 0 => {Expr(scope, 2, loopVar)}, 1 or 2 => {Expr(scope, 2, loopVar)}, _ => {Expr(scope, 2, loopVar)} }};");
                scope.Numbers.Add(name);
                break;
            }

            case 18 when Assignable(scope.Ints).Count > 0:
            {
                List<string> targets = Assignable(scope.Ints);
                string k = targets[r.Next(targets.Count)];
                body.AppendLine(r.Next(3) switch
                {
                    0 => $"{k}++;",
                    1 => $"{k} += {1 + r.Next(2)};",
                    _ => $"{k} = {k} % 2;",
                });
                break;
            }

            case 19 when Assignable(scope.Numbers).Count > 0 && depth == 1:
            {
                // Chained assignment: an output and a local get the same value.
                List<string> targets = Assignable(scope.Numbers);
                int i = r.Next(size);
                body.AppendLine($"{Out(i)} = {targets[r.Next(targets.Count)]} = {Expr(scope, Depth(), loopVar)};");
                scope.Written.Add(i);
                break;
            }

            case 20 when Assignable(scope.Numbers).Count > 1:
            {
                // An assignment used as a value.
                List<string> targets = Assignable(scope.Numbers);
                string u = targets[r.Next(targets.Count)], w = targets[r.Next(targets.Count)];
                body.AppendLine($"{u} = ({w} = {Expr(scope, Depth(), loopVar)}) * {Lit(0.5)} + {w};");
                break;
            }

            case 21 when scope.Written.Count > 0:
            {
                int i = scope.Written.First();
                body.AppendLine(r.Next(3) switch
                {
                    0 => $"{outSpan}[{i}]++;",
                    1 => $"--{outSpan}[{i}];",
                    _ => $"{outSpan}[{i}] -= -{Expr(scope, 2, loopVar)};",
                });
                break;
            }

            case 22 when Assignable(scope.Numbers).Count > 0:
            {
                List<string> targets = Assignable(scope.Numbers);
                body.AppendLine($"if ({Condition(scope, loopVar)}) {{ }} else {targets[r.Next(targets.Count)]} = {Expr(scope, 2, loopVar)};");
                body.AppendLine(";");
                break;
            }

            default:
            {
                string name = Fresh("v");
                body.AppendLine($"{num} {name} = {Expr(scope, Depth(), loopVar)};");
                scope.Numbers.Add(name);
                break;
            }
        }
    }

    /// <summary>The names that are not constants (const locals are named c…).</summary>
    private static List<string> Assignable(List<string> names) => names.Where(n => !n.StartsWith('c')).ToList();

    private void If(StringBuilder body, Scope scope, int depth, string? loopVar)
    {
        body.AppendLine($"if ({Condition(scope, loopVar)})");
        Block(body, scope, depth, loopVar);
        int elses = r.Next(3);
        for (int e = 0; e < elses; e++)
        {
            if (e < elses - 1 || r.Next(2) == 0)
            {
                body.AppendLine($"else if ({Condition(scope, loopVar)})");
            }
            else
            {
                body.AppendLine("else");
            }

            Block(body, scope, depth, loopVar);
        }
    }

    private void Block(StringBuilder body, Scope scope, int depth, string? loopVar)
    {
        var inner = scope.Clone();
        var text = new StringBuilder();
        int count = 1 + r.Next(2);
        for (int s = 0; s < count; s++)
        {
            Statement(text, inner, depth + 1, loopVar);
        }

        if (loopVar is not null && Wild())
        {
            text.AppendLine(r.Next(2) == 0 ? "continue;" : "break;");
        }

        body.AppendLine("{");
        body.Append(Indent(text.ToString(), 4));
        body.AppendLine("}");
    }

    private void Loop(StringBuilder body, Scope scope, int depth)
    {
        string acc = Fresh("acc");
        body.AppendLine($"{num} {acc} = {Const()};");
        string bound = r.Next(3) switch { 0 => $"{y}.Length", 1 => $"{outSpan}.Length", _ => size.ToString(CultureInfo.InvariantCulture) };
        var inner = scope.Clone();
        string i = Fresh("i");
        inner.Ints.Add(i);
        var text = new StringBuilder();
        text.AppendLine($"{acc} += {Expr(inner, Depth(), i)};");

        // A buffer filled by the loop and read after it (a second loop may read a neighbour's element).
        string? buffer = r.Next(3) == 0 ? Fresh("hb") : null;
        if (buffer is not null)
        {
            body.AppendLine($"Span<{num}> {buffer} = stackalloc {num}[{size}];");
            text.AppendLine($"{buffer}[{i}] = {Expr(inner, Depth(), i)};");
        }

        if (r.Next(4) == 0)
        {
            string j = Fresh("j");
            var nested = inner.Clone();
            nested.Ints.Add(j);
            string jBound = r.Next(2) == 0 ? size.ToString(CultureInfo.InvariantCulture) : i; // square or triangular
            text.AppendLine($"for (int {j} = 0; {j} < {jBound}; {j}++) {{ {acc} += {y}[{j}] * {Expr(nested, 2, i)}; }}");
        }

        int count = r.Next(3);
        for (int s = 0; s < count; s++)
        {
            Statement(text, inner, depth + 1, i);
        }

        if (r.Next(2) == 0)
        {
            text.AppendLine($"{outSpan}[{i}] = {Expr(inner, Depth(), i)};");
        }

        if (Wild())
        {
            text.AppendLine($"if ({i} == {r.Next(size)}) {(r.Next(2) == 0 ? "continue" : "break")};");
            text.AppendLine($"{acc} -= {Expr(inner, 1, i)};");
        }

        string block = Indent(text.ToString(), 4);
        switch (Wild() ? r.Next(2) : 2 + r.Next(3))
        {
            case 0:
                body.AppendLine($"int {i} = 0;");
                body.AppendLine($"while ({i} < {bound})");
                body.AppendLine("{");
                body.Append(block.Replace("continue;", $"{{ {i}++; continue; }}", StringComparison.Ordinal));
                body.AppendLine($"    {i}++;");
                body.AppendLine("}");
                break;
            case 1:
                body.AppendLine($"int {i} = 0;");
                body.AppendLine("do");
                body.AppendLine("{");
                body.Append(block.Replace("continue;", $"{{ {i}++; continue; }}", StringComparison.Ordinal));
                body.AppendLine($"    {i}++;");
                body.AppendLine($"}} while ({i} < {bound});");
                break;
            case 2:
                body.AppendLine($"for (int {i} = {bound} - 1; {i} >= 0; {i}--)");
                body.AppendLine("{");
                body.Append(block);
                body.AppendLine("}");
                break;
            default:
                body.AppendLine($"for (int {i} = 0; {i} < {bound}; {i}++)");
                body.AppendLine("{");
                body.Append(block);
                body.AppendLine("}");
                break;
        }

        scope.Numbers.Add(acc);
        if (buffer is not null)
        {
            scope.Buffers.Add(buffer);
            if (r.Next(2) == 0)
            {
                string k = Fresh("i");
                var after = scope.Clone();
                after.Ints.Add(k);
                body.AppendLine($"for (int {k} = 0; {k} < {size}; {k}++) {outSpan}[{k}] {(r.Next(2) == 0 ? "=" : "+=")} {buffer}[({k} + 1) % {size}] * {Expr(after, 2, k)};");
            }
        }
    }

    private void Switch(StringBuilder body, Scope scope, int depth, string? loopVar)
    {
        string k = scope.Ints[r.Next(scope.Ints.Count)];
        body.AppendLine($"switch ({k})");
        body.AppendLine("{");
        foreach (string label in new[] { "case 0:", "case 1:\ncase 2:", "default:" })
        {
            body.AppendLine(Indent(label, 4).TrimEnd());
            var inner = scope.Clone();
            var text = new StringBuilder();
            Statement(text, inner, depth + 1, loopVar);
            text.AppendLine("break;");
            body.Append(Indent("{\n" + Indent(text.ToString(), 4) + "}\n", 4));
        }

        body.AppendLine("}");
    }

    private string Condition(Scope scope, string? loopVar, bool inputs = true)
    {
        string a = Expr(scope, 2, loopVar, inputs);
        int choice = r.Next(8);
        while (choice <= 2 && !Wild())
        {
            choice = r.Next(8);
        }

        string c = choice switch
        {
            0 => $"{a} is > {Const()} and < {Lit(1.5)}",
            1 => $"{a} is not > {Const()}",
            2 when scope.Ints.Count > 0 => $"{scope.Ints[r.Next(scope.Ints.Count)]} is 0 or 2",
            3 when scope.Ints.Count > 0 => $"{scope.Ints[r.Next(scope.Ints.Count)]} == {r.Next(3)}",
            4 => $"{a} > {Const()} && {Expr(scope, 1, loopVar, inputs)} <= {Const()}",
            5 => $"!({a} < {Const()}) || {Expr(scope, 1, loopVar, inputs)} >= {Lit(0.8)}",
            6 => $"{a} >= {Expr(scope, 1, loopVar, inputs)}",
            _ => $"{a} > {Const()}",
        };
        return c;
    }

    /// <summary>A bounded form of <paramref name="e"/> for multiplicative updates.</summary>
    private string Squash(string e) => $"{math}.Tanh({e})";

    private string Expr(Scope scope, int depth, string? loopVar, bool inputs = true)
    {
        if (depth <= 0 || r.Next(4) == 0)
        {
            return Leaf(scope, loopVar, inputs);
        }

        string a = $"({Expr(scope, depth - 1, loopVar, inputs)})", b = $"({Expr(scope, depth - 1, loopVar, inputs)})";
        string m = math;
        string g = fl ? "float" : "double";
        int choice = r.Next(46);
        while (choice is 17 or 23 or 25 or 26 or 27 or 43 or 44 && !Wild())
        {
            choice = r.Next(34);
        }

        return choice switch
        {
            0 or 1 => $"{a} + {b}",
            2 or 3 => $"{a} - {b}",
            4 or 5 => $"{m}.Tanh({a}) * {b}",
            6 => $"{a} / ({Lit(1.5)} + {b} * {b})",
            7 => $"-{a}",
            8 => $"{m}.Sin({a}) * {m}.Cos({b})",
            9 => $"{m}.Exp({m}.Sin({a}))",
            10 => $"{m}.Sqrt({Lit(1.0)} + {a} * {a})",
            11 => $"{m}.Log({Lit(2.0)} + {m}.Sin({a}))",
            12 => $"{m}.Pow({Lit(1.5)} + {m}.Sin({a}), {Lit(0.5)} + {Lit(0.25)} * {m}.Sin({b}))",
            13 => $"{m}.Atan2({m}.Sin({a}), {Lit(2.0)} + {m}.Cos({b}))",
            14 => $"{g}.Sin({a}) + {g}.Cbrt({Lit(2.0)} + {g}.Sin({b}))",
            15 => $"{Condition(scope, loopVar, inputs)} ? {a} : {b}",
            16 => $"{Condition(scope, loopVar, inputs)} ? {a} : {Condition(scope, loopVar, inputs)} ? {b} : {Const()}",
            17 => $"{a} is > {Const()} ? {a} : {b}",
            18 => $"Math.Max({a}, {b})",
            19 => $"Math.Min({a}, {b}) + Math.Abs({b})",
            20 => fl ? $"Math.Clamp({a}, {Lit(-0.5)}, {Lit(0.5)})" : $"Math.Clamp({a}, -0.5, 0.5)",
            21 => $"Math.Sign({a}) * {b}",
            22 => $"{(r.Next(2) == 0 ? "checked" : "unchecked")}({a} * {b})",
            23 when scope.LocalFunctions.Count > 0 => LocalCall(scope, a, b),
            24 when helpers.Count > 0 => $"{helpers[r.Next(helpers.Count)]}({a})",
            25 when scope.Ints.Count > 0 => $"{scope.Ints[r.Next(scope.Ints.Count)]} switch {{ 0 => {a}, 1 => {b}, _ => {Const()} }}",
            26 => $"({num})(int)({a} * {Lit(2.0)}) * {b}",
            27 when inputs => $"{y}.Length > 0 ? {a} : throw new InvalidOperationException()",
            28 => $"{m}.FusedMultiplyAdd({m}.Tanh({a}), {b}, {Lit(0.5)})",
            29 => $"{a} * {a} * {b}",
            30 => $"{m}.Atan({a}) + {m}.Asin({Lit(0.5)} * {m}.Tanh({b}))",
            31 => $"{g}.CopySign({a}, {b})",
            32 => $"{m}.Sinh({m}.Tanh({a})) + {m}.Cosh({m}.Sin({b}))",
            // Spellings of the same calls: named arguments in another order, using static, an alias, global::, int arguments.
            34 => $"{m}.Atan2(x: {Lit(2.0)} + {m}.Cos({b}), y: {m}.Sin({a}))",
            35 => $"{m}.Pow(y: {Lit(0.5)} + {Lit(0.25)} * {m}.Sin({b}), x: {Lit(1.5)} + {m}.Sin({a}))",
            36 => $"Tanh({a}) * Sin({b})",
            37 => $"M.Exp(M.Sin({a}))",
            38 => $"global::System.{m}.Cos({a}) * {b}",
            39 => $"{m}.Pow({a}, 2) + Math.Max({b}, 0)",
            40 => $"{m}.FusedMultiplyAdd(z: {Lit(0.5)}, x: {m}.Tanh({a}), y: {b})",
            41 => fl ? $"{a} * MathF.PI + {b} * MathF.E" : $"{a} * Math.PI + {b} * Math.E",
            42 => $"{a} * {Lit(1e-1)} + {b} * {(fl ? "1_0.0f" : "1_0.0")} * {(fl ? ".5f" : ".5")}",
            43 => $"({num})({a}) + default({num}) * {b}",
            44 => $"{(fl ? "float" : "double")}.Hypot({a}, {b})",
            _ => $"{a} * {b}",
        };
    }

    private string LocalCall(Scope scope, string a, string b)
    {
        (string name, int arity) = scope.LocalFunctions[r.Next(scope.LocalFunctions.Count)];
        return arity == 2 ? $"{name}({a}, {b})" : $"{name}({a})";
    }

    private string Leaf(Scope scope, string? loopVar, bool inputs)
    {
        int choice = r.Next(20);
        while (choice is 14 or 16 && !Wild())
        {
            choice = r.Next(20);
        }

        if (!inputs)
        {
            return choice < 12 ? scope.Numbers[r.Next(scope.Numbers.Count)] : Const();
        }

        return choice switch
        {
            0 or 1 => $"{y}[{r.Next(size)}]",
            2 => $"{p}[{r.Next(size)}]",
            3 when !function => t,
            4 => $"{y}[^{1 + r.Next(size)}]",
            5 => $"{p}[^1]",
            6 when fields.Count > 0 => fields[r.Next(fields.Count)],
            7 or 8 when scope.Numbers.Count > 0 => scope.Numbers[r.Next(scope.Numbers.Count)],
            9 when scope.Ints.Count > 0 => $"({num}){scope.Ints[r.Next(scope.Ints.Count)]}",
            10 when scope.Ints.Count > 0 => $"{scope.Ints[r.Next(scope.Ints.Count)]} * {y}[{r.Next(size)}]",
            11 when loopVar is not null => $"{y}[{loopVar}]",
            12 when loopVar is not null => r.Next(3) switch
            {
                0 => $"{p}[({loopVar} + 1) % {size}]",
                1 => $"{y}[^({loopVar} + 1)]",
                _ => $"{p}[{size - 1} - {loopVar}]",
            },
            13 when scope.Buffers.Count > 0 => $"{scope.Buffers[r.Next(scope.Buffers.Count)]}[{r.Next(size)}]",
            14 when scope.Slices.Count > 0 => $"{scope.Slices[r.Next(scope.Slices.Count)]}[{r.Next(2)}]",
            15 when scope.Written.Count > 0 => $"{outSpan}[{scope.Written.First()}]",
            16 => $"{y}[1..][{r.Next(2)}]",
            17 => $"({y}[{r.Next(size)}])",
            _ => Const(),
        };
    }

    private static string Indent(string text, int spaces)
    {
        string pad = new(' ', spaces);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join("\n", lines.Select(l => l.Length == 0 ? l : pad + l)) + "\n";
    }

    /// <summary>What a statement may read: number locals, int locals, buffers, slices, local functions, written outputs.</summary>
    private sealed class Scope
    {
        public List<string> Numbers { get; private init; } = new();

        public List<string> Ints { get; private init; } = new();

        public List<string> Buffers { get; private init; } = new();

        public List<string> Slices { get; private init; } = new();

        public List<(string Name, int Arity)> LocalFunctions { get; private init; } = new();

        public HashSet<int> Written { get; private init; } = new();

        public Scope Clone() => new()
        {
            Numbers = new List<string>(Numbers),
            Ints = new List<string>(Ints),
            Buffers = new List<string>(Buffers),
            Slices = new List<string>(Slices),
            LocalFunctions = LocalFunctions, // local functions are declared at the end of the body, visible everywhere
            Written = new HashSet<int>(Written),
        };
    }
}
