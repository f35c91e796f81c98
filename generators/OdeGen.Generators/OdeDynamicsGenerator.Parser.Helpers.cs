using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>Fully qualified name of the attribute that marks differentiable helpers.</summary>
    internal const string HelperAttributeName = "OdeGen.OdeDifferentiableAttribute";

    /// <summary>
    /// Calls to <c>[OdeDifferentiable]</c> helpers: the helper's body is lowered in place with its
    /// parameters bound to the argument values (inlining), so one differentiation covers both.
    /// </summary>
    private sealed partial class Parser
    {
        private readonly Dictionary<ISymbol, int> _arguments = new(SymbolEqualityComparer.Default);
        private readonly List<IMethodSymbol> _inlining = new();

        private static bool IsHelper(IMethodSymbol method) =>
            method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == HelperAttributeName);

        /// <summary>
        /// The helpers reachable from <paramref name="node"/>'s calls (declared in this file), transitively; with second
        /// order also the forward rules of functions with custom derivatives, which are read like helpers then.
        /// </summary>
        private IEnumerable<SyntaxNode> HelperBodies(SyntaxNode node)
        {
            var seen = new HashSet<SyntaxNode>();
            var pending = new Stack<SyntaxNode>();
            pending.Push(node);
            while (pending.Count > 0)
            {
                foreach (InvocationExpressionSyntax call in pending.Pop().DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    IMethodSymbol? method = _semantic.GetSymbolInfo(call, _cancellationToken).Symbol as IMethodSymbol;
                    if (_secondOrder && method is not null && CustomRules(method) is { } rules)
                    {
                        int arity = method.Parameters.Length;
                        method = rules.ConstructorArguments.Length == 2 && rules.ConstructorArguments[0].Value is string jvp
                            ? method.ContainingType.GetMembers(jvp).OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.Length == 2 * arity)
                            : null;
                    }
                    else if (method is not null && !IsHelper(method))
                    {
                        method = null;
                    }

                    if (method is not null && Declaration(method) is { } declaration
                        && declaration.SyntaxTree == _syntax.SyntaxTree && seen.Add(declaration))
                    {
                        yield return declaration;
                        pending.Push(declaration);
                    }
                }
            }
        }

        /// <summary>
        /// The declaration that holds <paramref name="method"/>'s body: for a partial method the implementing part (a call
        /// binds to the declaring part, which has none); null for a method not declared in source.
        /// </summary>
        private MethodDeclarationSyntax? Declaration(IMethodSymbol method) =>
            (method.PartialImplementationPart ?? method).DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as MethodDeclarationSyntax;

        /// <summary>Inlines the helper <paramref name="method"/> called by <paramref name="invocation"/>; -1 after a diagnostic.</summary>
        private int Helper(InvocationExpressionSyntax invocation, IMethodSymbol method)
        {
            string name = method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
            MethodDeclarationSyntax? declaration = Declaration(method);
            if (declaration is null || declaration.SyntaxTree != _syntax.SyntaxTree)
            {
                Report(DiagnosticDescriptors.UnsupportedHelper, invocation, name, $"it is declared in another file; move it into the file of the {AttributeText} method so edits to it regenerate the code");
                return -1;
            }

            if (!method.IsStatic || method.ReturnType.SpecialType != _real || method.IsGenericMethod
                || method.Parameters.Any(p => p.Type.SpecialType != _real || p.RefKind != RefKind.None || p.IsParams)
                || declaration.ContainsDiagnostics)
            {
                Report(DiagnosticDescriptors.UnsupportedHelper, invocation, name, "a helper must be 'static double H(double a, ...)' with double parameters passed by value");
                return -1;
            }

            if (declaration.Body is null && declaration.ExpressionBody is null)
            {
                Report(DiagnosticDescriptors.UnsupportedHelper, invocation, name, "it has no body to differentiate; write its body in C#, or give it rules with [OdeCustomDerivative]");
                return -1;
            }

            if (_inlining.Contains(method, SymbolEqualityComparer.Default))
            {
                Report(DiagnosticDescriptors.UnsupportedHelper, invocation, name, "it calls itself; recursion has no fixed-size derivative code");
                return -1;
            }

            // Arguments are evaluated first, in order, as C# does; a default value stands in for an omitted one.
            var values = new int[method.Parameters.Length];
            for (int i = 0; i < values.Length; i++)
            {
                IParameterSymbol parameter = method.Parameters[i];
                ArgumentSyntax? argument = invocation.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameter.Name)
                    ?? (i < invocation.ArgumentList.Arguments.Count && invocation.ArgumentList.Arguments[i].NameColon is null ? invocation.ArgumentList.Arguments[i] : null);
                values[i] = argument is not null ? Lower(argument.Expression)
                    : parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is double d ? _builder.Const(d)
                    : -1;
                if (values[i] < 0)
                {
                    return -1;
                }
            }

            return Inline(method, declaration, values, name);
        }

        /// <summary>Lowers the body of <paramref name="method"/> in place with its parameters bound to <paramref name="values"/>; -1 after a diagnostic.</summary>
        private int Inline(IMethodSymbol method, MethodDeclarationSyntax declaration, int[] values, string name)
        {
            // The body names the parameters of the part that holds it (a partial method's implementing part).
            var saved = new Dictionary<ISymbol, int>(_arguments, SymbolEqualityComparer.Default);
            IMethodSymbol bodyPart = method.PartialImplementationPart ?? method;
            for (int i = 0; i < values.Length; i++)
            {
                _arguments[bodyPart.Parameters[i]] = values[i];
            }

            _inlining.Add(method);
            int result = HelperBody(declaration, name);
            _inlining.RemoveAt(_inlining.Count - 1);
            _arguments.Clear();
            foreach (KeyValuePair<ISymbol, int> entry in saved)
            {
                _arguments[entry.Key] = entry.Value;
            }

            return result;
        }

        /// <summary>An expression body, or statements ending in the only 'return expression;'.</summary>
        private int HelperBody(MethodDeclarationSyntax declaration, string name)
        {
            if (declaration.ExpressionBody is { } arrow)
            {
                return Lower(arrow.Expression);
            }

            SyntaxList<StatementSyntax> statements = declaration.Body!.Statements;
            if (statements.Count == 0 || statements[statements.Count - 1] is not ReturnStatementSyntax { Expression: { } value }
                || statements.Take(statements.Count - 1).Any(s => s.DescendantNodesAndSelf().OfType<ReturnStatementSyntax>().Any()))
            {
                Report(DiagnosticDescriptors.UnsupportedHelper, declaration.Identifier, name, "its body must end in its only 'return value;'");
                return -1;
            }

            // The helper's statements head their own code; the returned value is the caller's again (without this,
            // the code after an inlined 'if' would be headed by that 'if').
            int caller = _builder.Stmt;
            for (int i = 0; i < statements.Count - 1; i++)
            {
                Statement(statements[i], isLast: false, topLevel: false);
            }

            _builder.Stmt = caller;
            return Lower(value);
        }
    }
}

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>Fully qualified name of the attribute that gives an opaque function its derivative rules.</summary>
    internal const string CustomDerivativeAttributeName = "OdeGen.OdeCustomDerivativeAttribute";

    /// <summary>Calls to functions with user-supplied derivative rules: the generated code calls them and their rules.</summary>
    private sealed partial class Parser
    {
        private const int MaxCustomArity = 4;

        private static AttributeData? CustomRules(IMethodSymbol method) =>
            method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == CustomDerivativeAttributeName);

        /// <summary>A call of a function marked [OdeCustomDerivative]; its rules are checked here, the diagnostic (ODE0018) sits on the call.</summary>
        private int CustomCall(InvocationExpressionSyntax invocation, IMethodSymbol method, AttributeData rules)
        {
            string name = method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
            string? problem = CheckCustom(method, rules, out IMethodSymbol? jvp, out IMethodSymbol? vjp);
            if (problem is not null)
            {
                Report(DiagnosticDescriptors.InvalidCustomDerivative, invocation, name, problem);
                return -1;
            }

            int n = method.Parameters.Length;
            var args = new int[n];
            for (int i = 0; i < n; i++)
            {
                IParameterSymbol parameter = method.Parameters[i];
                ArgumentSyntax? argument = invocation.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameter.Name)
                    ?? (i < invocation.ArgumentList.Arguments.Count && invocation.ArgumentList.Arguments[i].NameColon is null ? invocation.ArgumentList.Arguments[i] : null);
                args[i] = argument is null ? -1 : Lower(argument.Expression);
                if (args[i] < 0)
                {
                    if (argument is null)
                    {
                        Report(DiagnosticDescriptors.InvalidCustomDerivative, invocation, name, "every argument must be passed (defaults are not supported)");
                    }

                    return -1;
                }
            }

            string ruleNames = Qualified(jvp!) + ";" + Qualified(vjp!);
            if (!_secondOrder || _forwardRules > 0)
            {
                return _builder.Extern(Ir.Op.Extern, Qualified(method), args, ruleNames);
            }

            int[]? partials = Partials(invocation, name, jvp!, args);
            return partials is null ? -1 : _builder.Extern(Ir.Op.Extern, Qualified(method), args.Concat(partials).ToArray(), ruleNames, n);
        }

        private static string Qualified(IMethodSymbol method) =>
            method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + method.Name;

        /// <summary>Null when the function and its rules have the documented shapes; otherwise what is wrong.</summary>
        private string? CheckCustom(IMethodSymbol method, AttributeData rules, out IMethodSymbol? jvp, out IMethodSymbol? vjp)
        {
            jvp = vjp = null;
            int n = method.Parameters.Length;
            if (!method.IsStatic || method.IsGenericMethod || method.ContainingType.IsGenericType || method.ReturnType.SpecialType != _real
                || n < 1 || n > MaxCustomArity || method.Parameters.Any(p => !IsDoubleIn(p)))
            {
                return $"the function must be 'static double F(double x1, ...)' with 1 to {MaxCustomArity} double parameters, in a non-generic type";
            }

            if (method.DeclaringSyntaxReferences.FirstOrDefault()?.SyntaxTree != _syntax.SyntaxTree)
            {
                return $"it is declared in another file; declare it and its rules in the file of the {AttributeText} method so edits regenerate the code";
            }

            if (rules.ConstructorArguments.Length != 2 || rules.ConstructorArguments[0].Value is not string jvpName || rules.ConstructorArguments[1].Value is not string vjpName)
            {
                return "the attribute must name the two rules";
            }

            jvp = method.ContainingType.GetMembers(jvpName).OfType<IMethodSymbol>().FirstOrDefault(m =>
                m.IsStatic && !m.IsGenericMethod && m.ReturnType.SpecialType == _real
                && m.Parameters.Length == 2 * n && m.Parameters.All(IsDoubleIn));
            if (jvp is null || !_semantic.IsAccessible(_syntax.SpanStart, jvp))
            {
                return $"its forward rule must be 'static double {jvpName}({string.Join(", ", Names(method, "", "Dot"))})' in the same type";
            }

            vjp = method.ContainingType.GetMembers(vjpName).OfType<IMethodSymbol>().FirstOrDefault(m =>
                m.IsStatic && !m.IsGenericMethod && m.ReturnsVoid && m.Parameters.Length == (2 * n) + 1
                && m.Parameters.Take(n + 1).All(IsDoubleIn)
                && m.Parameters.Skip(n + 1).All(p => p.RefKind == RefKind.Ref && p.Type.SpecialType == _real));
            if (vjp is null || !_semantic.IsAccessible(_syntax.SpanStart, vjp))
            {
                var parameters = method.Parameters.Select(p => "double " + p.Name).Concat(new[] { "double resultBar" })
                    .Concat(method.Parameters.Select(p => "ref double " + p.Name + "Bar"));
                return $"its reverse rule must be 'static void {vjpName}({string.Join(", ", parameters)})' in the same type";
            }

            // The generated code calls the rules, where an [Obsolete(..., true)] one is an error of its own (CS0619); a
            // warning one the user sees at their call, and the generated files do not repeat it (CS0612, CS0618).
            foreach (IMethodSymbol called in new[] { method, jvp, vjp })
            {
                AttributeData? obsolete = called.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "System.ObsoleteAttribute");
                if (obsolete is { ConstructorArguments: { Length: 2 } arguments } && arguments[1].Value is true)
                {
                    return $"'{called.Name}' is marked [Obsolete] as an error, and the generated code calls it; remove the attribute or its error flag";
                }

                _callsObsolete |= obsolete is not null;
            }

            return _semantic.IsAccessible(_syntax.SpanStart, method) ? null : $"it is not accessible from the {AttributeText} method";
        }

        private bool IsDoubleIn(IParameterSymbol p) => p.Type.SpecialType == _real && p.RefKind == RefKind.None && !p.IsParams;

        private static IEnumerable<string> Names(IMethodSymbol method, string first, string second) =>
            method.Parameters.Select(p => "double " + p.Name + first).Concat(method.Parameters.Select(p => "double " + p.Name + second));
    }
}
