using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OdeGen.CodeFixes
{
    /// <summary>
    /// ODE0005 on a call to the user's own static method: marks that method [OdeDifferentiable] (in whichever file
    /// declares it, adding 'using OdeGen;' there when needed). Calls to methods without source in the solution
    /// (framework or package methods) get no fix: their derivative must come from a custom rule.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MarkHelperDifferentiableFix)), Shared]
    public sealed class MarkHelperDifferentiableFix : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(FixableDiagnostics.UnsupportedCall);

        /// <inheritdoc/>
        public override FixAllProvider? GetFixAllProvider() => null;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            InvocationExpressionSyntax? call = root?.FindNode(context.Span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
            if (model is null || call is null) return;
            if (model.GetSymbolInfo(call, context.CancellationToken).Symbol is not IMethodSymbol { IsStatic: true } helper) return;
            if (helper.GetAttributes().Any(a => a.AttributeClass?.Name == "OdeDifferentiableAttribute")) return;
            SyntaxReference? declaration = helper.OriginalDefinition.DeclaringSyntaxReferences.FirstOrDefault();
            if (declaration is null) return;
            Document? target = context.Document.Project.Solution.GetDocument(declaration.SyntaxTree);
            if (target is null) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Mark '{helper.Name}' [OdeDifferentiable]",
                    ct => MarkAsync(target, declaration, ct),
                    equivalenceKey: nameof(MarkHelperDifferentiableFix)),
                context.Diagnostics);
        }

        private static async Task<Solution> MarkAsync(Document document, SyntaxReference declaration, CancellationToken cancellationToken)
        {
            SyntaxNode root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) ?? throw new System.InvalidOperationException("The helper's file has no syntax root.");
            if (await declaration.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not MethodDeclarationSyntax method)
                return document.Project.Solution;
            AttributeListSyntax attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("OdeDifferentiable"))))
                .WithLeadingTrivia(method.GetLeadingTrivia())
                .WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"));
            MethodDeclarationSyntax marked = method.WithLeadingTrivia(IndentationOf(method)).WithAttributeLists(method.AttributeLists.Insert(0, attribute));
            SyntaxNode newRoot = root.ReplaceNode(method, marked);
            if (newRoot is CompilationUnitSyntax unit && !HasUsingOdeGen(unit))
                newRoot = unit.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName("OdeGen")).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n")));
            return document.WithSyntaxRoot(newRoot).Project.Solution;
        }

        // The method's own line keeps only its indentation: its comments stay above the new attribute.
        private static SyntaxTriviaList IndentationOf(MethodDeclarationSyntax method) =>
            SyntaxFactory.TriviaList(method.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());

        private static bool HasUsingOdeGen(CompilationUnitSyntax unit) =>
            unit.Usings.Any(u => u.Name?.ToString() == "OdeGen")
            || unit.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() == "OdeGen" || n.Name.ToString().StartsWith("OdeGen.", System.StringComparison.Ordinal));
    }
}
