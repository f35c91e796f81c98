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
    /// <summary>ODE0002: adds 'partial' to the type the diagnostic names (each non-partial containing type gets its own diagnostic).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeTypePartialFix)), Shared]
    public sealed class MakeTypePartialFix : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(FixableDiagnostics.TypeNotPartial);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            TypeDeclarationSyntax? type = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (root is null || type is null || type.Modifiers.Any(SyntaxKind.PartialKeyword)) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{type.Identifier.Text}' partial",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(type, AddPartial(type)))),
                    equivalenceKey: nameof(MakeTypePartialFix)),
                context.Diagnostics);
        }

        // 'partial' must come last among the modifiers, just before 'class'/'struct'/'record'.
        private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
        {
            SyntaxToken partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
            if (type.Modifiers.Count == 0)
            {
                // Keep the declaration's leading trivia (comments, indentation) in front of the new first token.
                SyntaxToken keyword = type.Keyword;
                return type.WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                    .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(keyword.LeadingTrivia)));
            }
            return type.WithModifiers(type.Modifiers.Add(partial));
        }
    }
}
