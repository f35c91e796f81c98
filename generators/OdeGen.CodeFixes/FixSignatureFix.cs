using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OdeGen.CodeFixes
{
    /// <summary>
    /// ODE0001 and ODE0019: rewrites the [OdeDynamics] method's signature to the one the generator differentiates,
    /// 'static void M(double t, ReadOnlySpan&lt;double&gt; y, ReadOnlySpan&lt;double&gt; p, Span&lt;double&gt; dydt)':
    /// adds 'static', makes it return void and non-generic, and gives it the four parameters without modifiers,
    /// keeping the user's parameter names when there were four. A method without a body is left alone: no
    /// signature change gives it one.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixSignatureFix)), Shared]
    public sealed class FixSignatureFix : CodeFixProvider
    {
        private static readonly string[] DefaultNames = { "t", "y", "p", "dydt" };
        private static readonly string[] Types = { "double", "ReadOnlySpan<double>", "ReadOnlySpan<double>", "Span<double>" };

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(FixableDiagnostics.InvalidSignature, FixableDiagnostics.ParameterModifier);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            MethodDeclarationSyntax? method = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (root is null || method is null || (method.Body is null && method.ExpressionBody is null)) return;

            // ODE0019 is reported on [Differentiable] functions too, whose shape (x, p, y) is not the dynamics' one.
            if (IsFunction(method)) return;
            MethodDeclarationSyntax fixedMethod = Canonical(method);
            if (fixedMethod.IsEquivalentTo(method)) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Use the [OdeDynamics] signature for '{method.Identifier.Text}'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(method, fixedMethod))),
                    equivalenceKey: nameof(FixSignatureFix)),
                context.Diagnostics);
        }

        /// <summary>Whether <paramref name="method"/> is marked [Differentiable] (a function, not dynamics); read from syntax, which is all a fix needs.</summary>
        private static bool IsFunction(MethodDeclarationSyntax method) =>
            method.AttributeLists.SelectMany(list => list.Attributes).Any(a =>
                (a.Name is QualifiedNameSyntax q ? q.Right.Identifier.Text : a.Name is AliasQualifiedNameSyntax alias ? alias.Name.Identifier.Text : a.Name.ToString())
                    is "Differentiable" or "DifferentiableAttribute");

        private static MethodDeclarationSyntax Canonical(MethodDeclarationSyntax method)
        {
            SeparatedSyntaxList<ParameterSyntax> old = method.ParameterList.Parameters;
            var parameters = Enumerable.Range(0, 4).Select(i =>
                SyntaxFactory.Parameter(SyntaxFactory.Identifier(old.Count == 4 ? old[i].Identifier.Text : DefaultNames[i]))
                    .WithType(SyntaxFactory.ParseTypeName(Types[i]).WithTrailingTrivia(SyntaxFactory.Space)));
            MethodDeclarationSyntax result = method
                .WithParameterList(method.ParameterList.WithParameters(SyntaxFactory.SeparatedList(parameters,
                    Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), 3))))
                .WithTypeParameterList(null)
                .WithConstraintClauses(default)
                .WithReturnType(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword)).WithTriviaFrom(method.ReturnType));
            if (method.TypeParameterList is not null)
                result = result.WithIdentifier(result.Identifier.WithTrailingTrivia(method.TypeParameterList.GetTrailingTrivia()));
            if (!method.Modifiers.Any(SyntaxKind.StaticKeyword))
            {
                SyntaxToken @static = SyntaxFactory.Token(SyntaxKind.StaticKeyword).WithTrailingTrivia(SyntaxFactory.Space);
                result = result.Modifiers.Count == 0
                    ? result.WithReturnType(result.ReturnType.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                        .WithModifiers(SyntaxFactory.TokenList(@static.WithLeadingTrivia(method.ReturnType.GetLeadingTrivia())))
                    : result.WithModifiers(InsertBeforePartialOrAsync(result.Modifiers, @static));
            }
            return result;
        }

        // 'static' goes after the accessibility and before 'partial', 'async', 'unsafe' and the like.
        private static SyntaxTokenList InsertBeforePartialOrAsync(SyntaxTokenList modifiers, SyntaxToken @static)
        {
            int index = 0;
            while (index < modifiers.Count && modifiers[index].Kind() is SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword
                       or SyntaxKind.InternalKeyword or SyntaxKind.ProtectedKeyword)
                index++;
            return modifiers.Insert(index, @static);
        }
    }
}
