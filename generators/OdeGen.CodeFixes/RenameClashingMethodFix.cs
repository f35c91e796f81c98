using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Rename;

namespace OdeGen.CodeFixes
{
    /// <summary>
    /// ODE0012: renames the [OdeDynamics] method (and every reference to it) to '{Method}Dynamics', or the first of
    /// '{Method}Dynamics2', '…3' whose name and generated '{Name}System' the type does not use yet, so the struct
    /// the generator adds no longer clashes.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RenameClashingMethodFix)), Shared]
    public sealed class RenameClashingMethodFix : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(FixableDiagnostics.GeneratedNameTaken);

        /// <inheritdoc/>
        public override FixAllProvider? GetFixAllProvider() => null;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            MethodDeclarationSyntax? method = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (model is null || method is null) return;
            if (model.GetDeclaredSymbol(method, context.CancellationToken) is not IMethodSymbol symbol || symbol.ContainingType is null) return;
            string name = FreeName(symbol);
            Solution solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create($"Rename '{symbol.Name}' to '{name}'",
                    ct => Renamer.RenameSymbolAsync(solution, symbol, new SymbolRenameOptions(), name, ct),
                    equivalenceKey: nameof(RenameClashingMethodFix)),
                context.Diagnostics);
        }

        private static string FreeName(IMethodSymbol method)
        {
            INamedTypeSymbol type = method.ContainingType;
            for (int k = 1; ; k++)
            {
                string candidate = method.Name + "Dynamics" + (k == 1 ? "" : k.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (type.GetMembers(candidate).IsEmpty && type.GetMembers(candidate + "System").IsEmpty) return candidate;
            }
        }
    }
}
