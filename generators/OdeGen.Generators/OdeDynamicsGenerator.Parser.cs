using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators;

public sealed partial class OdeDynamicsGenerator
{
    /// <summary>
    /// Roslyn → model. The only place that touches symbols and syntax; its output is plain data.
    /// Any exception becomes ODE0011 on the method name instead of escaping into the compiler.
    /// </summary>
    private static Result<SystemModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetNode is not MethodDeclarationSyntax syntax)
        {
            return NotATypeMethod(context, cancellationToken);
        }

        try
        {
            return new Parser(context, syntax, cancellationToken).Run();
        }
        catch (InsufficientExecutionStackException)
        {
            // Deep nesting the parser's own limit did not catch (it reports ODE0025 on the node where it can).
            return Result<SystemModel>.Fail(DiagnosticInfo.Create(DiagnosticDescriptors.NestedTooDeeply,
                syntax.Identifier.GetLocation(), MaxNesting.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Result<SystemModel>.Fail(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError,
                syntax.Identifier.GetLocation(), syntax.Identifier.Text, e.GetType().Name + ": " + e.Message));
        }
    }

    /// <summary>
    /// ODE0020 for [OdeDynamics] on a local function, a lambda, an accessor or an operator: the struct goes into
    /// the method's type, and these have none of their own (or no name to build the struct's from).
    /// </summary>
    private static Result<SystemModel> NotATypeMethod(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        SyntaxNode node = context.TargetNode;
        string what = node switch
        {
            LocalFunctionStatementSyntax local => $"the local function '{local.Identifier.ValueText}'",
            AnonymousFunctionExpressionSyntax => "a lambda",
            AccessorDeclarationSyntax accessor => $"the '{accessor.Keyword.ValueText}' accessor",
            OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax => "an operator",
            DestructorDeclarationSyntax => "a finalizer",
            ConstructorDeclarationSyntax => "a constructor",
            _ => "this declaration",
        };
        SyntaxNode at = context.Attributes.IsEmpty ? node
            : context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken) ?? node;
        bool function = context.Attributes.FirstOrDefault()?.AttributeClass?.ToDisplayString() == FunctionAttributeName;
        return Result<SystemModel>.Fail(DiagnosticInfo.Create(DiagnosticDescriptors.NotATypeMethod, at.GetLocation(), what,
            function ? "Differentiable" : "OdeDynamics", function ? "Function" : "System"));
    }

    /// <summary>One method's parse: signature, containing types, then the body statement by statement.</summary>
    private sealed partial class Parser
    {
        private readonly GeneratorAttributeSyntaxContext _context;
        private readonly MethodDeclarationSyntax _syntax;
        private readonly IMethodSymbol _method;
        private readonly SemanticModel _semantic;
        private readonly CancellationToken _cancellationToken;
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private readonly HashSet<DiagnosticInfo> _reported = new();
        private readonly IrBuilder _builder;
        private readonly List<string> _statements = new();
        private readonly Dictionary<ISymbol, int> _locals = new(SymbolEqualityComparer.Default);

        /// <summary>Locals whose declaration or assignment was reported: reads of them stay quiet (one diagnostic, not a trail of ODE0009).</summary>
        private readonly HashSet<ISymbol> _refusedLocals = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<int, int> _dydt = new();

        /// <summary>Output elements (straight-line methods) whose write was reported: reads of them stay quiet, as for <see cref="_refusedLocals"/>.</summary>
        private readonly HashSet<int> _refusedOutputs = new();

        /// <summary>
        /// Where an assignment used as a value would run only sometimes, said for its ODE0004 ("a condition (…)", "a side of
        /// '?:' (…)"); null where assignments inside expressions run as C# runs them, in order, once.
        /// </summary>
        private string? _sideEffectsRefused;

        /// <summary>The static readonly fields read so far, numbered in order of first use (their IR <see cref="Slot.Field"/> index).</summary>
        private readonly Dictionary<ISymbol, int> _fields = new(SymbolEqualityComparer.Default);

        /// <summary>The method's number type: double, or float when t is float (the float flavour).</summary>
        private readonly SpecialType _real;
        private int _declaredStates, _declaredParameters, _maxState = -1, _maxParameter = -1;
        private bool _vectorizeLoops, _fuseMultiplyAdds;

        /// <summary>
        /// Whether the method is a [Differentiable] function (x, p, y) rather than [OdeDynamics] (t, y, p, dydt). Its spans
        /// are lowered into the same slots (x as Y, y as Dydt), so everything downstream is shared; the differences are
        /// that there is no t and that the output's length (<see cref="_declaredOutputs"/>, <see cref="_maxOutput"/>) is
        /// its own, the length of Slot.Dydt in indices (<see cref="Ir.SpanNames.OutputLength"/>).
        /// </summary>
        private readonly bool _isFunction;
        private int _declaredOutputs, _maxOutput = -1;

        /// <summary>The name of the generated struct: {Method}System or {Method}Function.</summary>
        private string StructName => _method.Name + (_isFunction ? "Function" : "System");

        public Parser(GeneratorAttributeSyntaxContext context, MethodDeclarationSyntax syntax, CancellationToken cancellationToken)
        {
            _context = context;
            _method = (IMethodSymbol)context.TargetSymbol;

            // The attribute on a partial method's defining declaration ('static partial void Rhs(…);'), as on [GeneratedRegex]:
            // the body is its implementation's. Only one in the same file is read: the generator re-runs when the marked
            // method's file changes, so a body elsewhere could go stale (the check for a body then reports it).
            if (syntax.Body is null && syntax.ExpressionBody is null && _method.PartialImplementationPart is { } implementation
                && implementation.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is MethodDeclarationSyntax body
                && body.SyntaxTree == syntax.SyntaxTree)
            {
                _method = implementation;
                syntax = body;
            }

            _syntax = syntax;
            _isFunction = context.Attributes[0].AttributeClass?.ToDisplayString() == FunctionAttributeName;
            ITypeSymbol? first = _method.Parameters.Length > 0 ? _method.Parameters[0].Type : null;
            if (_isFunction && first is INamedTypeSymbol { TypeArguments.Length: 1 } span)
            {
                first = span.TypeArguments[0];   // a function's first parameter is x, a span of its number type
            }

            _real = first?.SpecialType == SpecialType.System_Single ? SpecialType.System_Single : SpecialType.System_Double;
            _builder = new IrBuilder(exact: true, single: _real == SpecialType.System_Single);
            _semantic = context.SemanticModel;
            _cancellationToken = cancellationToken;
        }

        public Result<SystemModel> Run()
        {
            // A method in a declaration that is not a class, struct, interface or record (a C# 14 'extension' block,
            // which this Roslyn does not know): there is no type the struct could be re-declared in.
            if (_syntax.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault(t => t is not (ClassDeclarationSyntax or StructDeclarationSyntax
                    or InterfaceDeclarationSyntax or RecordDeclarationSyntax)) is { } block)
            {
                SyntaxNode at = _context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(_cancellationToken) ?? _syntax;
                Report(DiagnosticDescriptors.NotATypeMethod, at, $"a method of an '{block.Keyword.ValueText}' block",
                    _isFunction ? "Differentiable" : "OdeDynamics", _isFunction ? "Function" : "System");
                return Finish(null);
            }

            // Code with syntax errors already has the compiler's errors; generated code built from missing
            // names (a type or namespace without its identifier) would add errors of its own.
            if (HasSyntaxErrors())
            {
                return Finish(null);
            }

            ReadAttribute();
            CheckNotFileLocal();
            EquatableArray<ContainingType> types = ContainingTypes();
            CheckNameIsFree();
            if (!CheckSignature())
            {
                return Finish(null);
            }

            BeginLoopMode((SyntaxNode?)_syntax.Body ?? _syntax.ExpressionBody!);
            if (_syntax.Body is { } body)
            {
                Statements(body.Statements, topLevel: true);
            }
            else if (_syntax.ExpressionBody is { } arrow && ShallowEnough(arrow.Expression))
            {
                ExpressionStatement(arrow.Expression, arrow.Expression);
            }

            // Sizes of loops over y.Length or p.Length are known only at run time (-1) unless declared.
            int states = _declaredStates > 0 ? _declaredStates : _dynamicStates ? -1 : _maxState + 1;
            int parameters = _declaredParameters > 0 ? _declaredParameters : _dynamicParameters ? -1 : _maxParameter + 1;
            int outputs = !_isFunction ? states : _declaredOutputs > 0 ? _declaredOutputs : _dynamicOutputs ? -1 : _maxOutput + 1;
            int userStatements = _statements.Count;
            if (!_loopMode)
            {
                StoreUnwrittenOutputs(outputs);
            }

            CheckSecondOrderSizes(states);
            string? ns = _method.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
            var header = new SystemHeader(ns, types, _method.Name, states, parameters, _real == SpecialType.System_Single, _vectorizeLoops, HintKey(), _secondOrder,
                _isFunction ? TargetKind.Function : TargetKind.Dynamics, outputs, _fuseMultiplyAdds, _callsObsolete);
            IrFunction primal = _builder.Build(_statements.ToEquatableArray(), userStatements);
            CheckSize(primal);
            CheckSecondOrderSize(primal, states);
            return Finish(new SystemModel(header, primal));
        }

        /// <summary>The struct's fully qualified name, encoded for file names (<see cref="HintNames"/>).</summary>
        private string HintKey()
        {
            var namespaces = new List<string>();
            for (INamespaceSymbol? n = _method.ContainingNamespace; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace)
            {
                namespaces.Insert(0, n.Name);
            }

            var types = new List<(string, int)>();
            for (INamedTypeSymbol? t = _method.ContainingType; t is not null; t = t.ContainingType)
            {
                types.Insert(0, (t.Name, t.Arity));
            }

            return HintNames.Key(namespaces, types, StructName);
        }

        private bool HasSyntaxErrors() =>
            _syntax.ContainsDiagnostics
            || _syntax.Ancestors().OfType<BaseTypeDeclarationSyntax>().Any(t => t.Identifier.IsMissing || t.Identifier.ContainsDiagnostics
                || (t is TypeDeclarationSyntax { TypeParameterList: { } list } && list.ContainsDiagnostics))
            || _syntax.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ContainsDiagnostics || n.Name.IsMissing);

        private Result<SystemModel> Finish(SystemModel? model)
        {
            bool failed = model is null || _diagnostics.Any(d => d.IsError);
            return new Result<SystemModel>(failed ? null : model, _diagnostics.ToEquatableArray());
        }

        /// <summary>
        /// Adds the diagnostic once: a helper inlined at several calls reports what is in its body once, not per call. The
        /// words of the message that depend on the kind of code it is about follow <paramref name="args"/> (<see cref="KindWords"/>).
        /// </summary>
        private void Report(DiagnosticDescriptor descriptor, SyntaxNodeOrToken at, params string[] args)
        {
            var diagnostic = DiagnosticInfo.Create(descriptor, at.GetLocation(), args.Concat(KindWords(descriptor)).ToArray());
            if (_reported.Add(diagnostic))
            {
                _diagnostics.Add(diagnostic);
            }
        }

        /// <summary>
        /// Dense Jacobians grow with the square of the sizes; beyond this the generated file would be
        /// unreasonably large (and slow to generate), so larger systems are a diagnostic, not a hang.
        /// </summary>
        private const int MaxSize = 1000;

        private void ReadAttribute()
        {
            AttributeData attribute = _context.Attributes[0];
            foreach (KeyValuePair<string, TypedConstant> arg in attribute.NamedArguments)
            {
                if (arg.Key == "VectorizeLoops")
                {
                    _vectorizeLoops = arg.Value.Value is true;
                    continue;
                }

                if (arg.Key == "FuseMultiplyAdds")
                {
                    _fuseMultiplyAdds = arg.Value.Value is true;
                    continue;
                }

                if (arg.Key == "SecondOrder")
                {
                    _secondOrder = arg.Value.Value is true;
                    continue;
                }

                int value = arg.Value.Value is int v ? v : 0;
                if (value < 0 || value > MaxSize)
                {
                    SyntaxNode at = AttributeArgument(attribute, arg.Key);
                    Report(DiagnosticDescriptors.UnsupportedSize, at, arg.Key, value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    value = 0;
                }

                if (arg.Key is "States" or "Inputs")
                {
                    _declaredStates = value;
                }
                else if (arg.Key == "Outputs")
                {
                    _declaredOutputs = value;
                }
                else if (arg.Key == "Parameters")
                {
                    _declaredParameters = value;
                }
            }
        }

        /// <summary>The named argument <paramref name="name"/> of the attribute (for a diagnostic's location), else the method.</summary>
        private SyntaxNode AttributeArgument(AttributeData attribute, string name) =>
            (attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments
                .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name) ?? (SyntaxNode)_syntax;

        /// <summary>The types around the method, outermost first; each must be partial (ODE0002 on its name).</summary>
        private EquatableArray<ContainingType> ContainingTypes()
        {
            var types = new List<ContainingType>();
            foreach (TypeDeclarationSyntax type in _syntax.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    Report(DiagnosticDescriptors.TypeNotPartial, type.Identifier, type.Identifier.Text, StructName);
                }

                // 'static', 'readonly' and 'ref' must match the user's declaration; 'partial' goes right before the kind.
                IEnumerable<string> modifiers = type.Modifiers
                    .Where(m => m.IsKind(SyntaxKind.StaticKeyword) || m.IsKind(SyntaxKind.ReadOnlyKeyword) || m.IsKind(SyntaxKind.RefKeyword))
                    .Select(m => m.Text)
                    .Distinct()   // a duplicated modifier is the compiler's error (CS1004), not one to repeat
                    .Concat(new[] { "partial", type.Keyword.Text });
                if (type is RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not 0 } record)
                {
                    modifiers = modifiers.Concat(new[] { record.ClassOrStructKeyword.Text });
                }

                // Type parameters by name and variance only: their attributes (and comments) belong to the user's part,
                // and repeating an attribute on a second part is CS0579.
                string typeParameters = type.TypeParameterList is { } list
                    ? "<" + string.Join(", ", list.Parameters.Select(t => (t.VarianceKeyword.RawKind == 0 ? "" : t.VarianceKeyword.Text + " ") + t.Identifier.Text)) + ">"
                    : "";
                types.Insert(0, new ContainingType(string.Join(" ", modifiers), type.Identifier.Text + typeParameters));

                // A type with 'in' or 'out' type parameters (a variant interface) cannot contain a struct (CS8427).
                if (type.TypeParameterList?.Parameters.FirstOrDefault(t => t.VarianceKeyword.RawKind != 0) is { } variant)
                {
                    Report(DiagnosticDescriptors.VariantContainingType, variant.VarianceKeyword, type.Identifier.ValueText, variant.Identifier.ValueText,
                        variant.VarianceKeyword.ValueText, StructName);
                }
            }

            return types.ToEquatableArray();
        }

        /// <summary>
        /// A file-local type (or a type inside one) cannot get a part from another file: a 'file partial' type in the
        /// generated file would be a second, unrelated type. ODE0022 on the 'file' keyword.
        /// </summary>
        private void CheckNotFileLocal()
        {
            bool reported = false;
            foreach (TypeDeclarationSyntax type in _syntax.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                SyntaxToken file = type.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.FileKeyword));
                if (file.IsKind(SyntaxKind.FileKeyword))
                {
                    Report(DiagnosticDescriptors.FileLocalType, file, type.Identifier.ValueText, StructName);
                    reported = true;
                }
            }

            // 'file' written only on another part of the type (itself the compiler's error): on the type's name here.
            for (INamedTypeSymbol? t = _method.ContainingType; t is not null && !reported; t = t.ContainingType)
            {
                if (t.IsFileLocal && _syntax.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault() is { } nearest)
                {
                    Report(DiagnosticDescriptors.FileLocalType, nearest.Identifier, t.Name, StructName);
                    reported = true;
                }
            }
        }

        /// <summary>
        /// The input compilation holds no generated code, so any member with the struct's name (a field, a method, a
        /// nested type, in any part of the type) or a type parameter of that name is the user's.
        /// </summary>
        private void CheckNameIsFree()
        {
            string name = StructName;
            INamedTypeSymbol type = _method.ContainingType;
            ISymbol? member = type.GetMembers(name).FirstOrDefault();
            string? clash = member switch
            {
                INamedTypeSymbol => $"the nested type '{name}'",
                IMethodSymbol => $"the method '{name}'",
                IPropertySymbol => $"the property '{name}'",
                IEventSymbol => $"the event '{name}'",
                not null => $"the member '{name}'",
                _ when type.TypeParameters.Any(t => t.Name == name) => $"the type parameter '{name}'",
                _ when type.Name == name => $"the type '{name}' itself",
                _ => null,
            };
            if (clash is not null)
            {
                Report(DiagnosticDescriptors.GeneratedNameTaken, _syntax.Identifier, type.Name, name, _method.Name, clash);
            }

            // Overloads marked alike would get one struct; a system and a function of one name do not clash (MSystem, MFunction).
            string attributeName = _isFunction ? FunctionAttributeName : AttributeName;
            int marked = type.GetMembers(_method.Name).Count(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == attributeName));
            if (marked > 1)
            {
                Report(DiagnosticDescriptors.GeneratedNameTaken, _syntax.Identifier, type.Name, name, _method.Name,
                    $"the struct of another [{(_isFunction ? "Differentiable" : "OdeDynamics")}] method named '{_method.Name}'");
            }
        }

        private void StoreUnwrittenOutputs(int outputs)
        {
            for (int i = 0; i < outputs; i++)
            {
                if (!_dydt.ContainsKey(i))
                {
                    _statements.Add($"{(_isFunction ? "y" : "dydt")}[{i}] is never written by {_method.Name}: it is 0");
                    _builder.Stmt = _statements.Count - 1;
                    _builder.Store(Slot.Dydt, i, _builder.Const(0));
                }
            }
        }

        /// <summary>
        /// Source text of a statement on one line, for the comment above its generated code. Every
        /// character C# treats as a line break is folded, or the rest would escape the comment.
        /// </summary>
        private static string OneLine(SyntaxNode node)
        {
            string text = Regex.Replace(node.ToString(), @"\s*(\r\n|[\r\n\u0085\u2028\u2029])\s*", " ");
            return node is ExpressionSyntax ? text + ";" : text;
        }

        // ---- signature ----------------------------------------------------------------------

        /// <summary>Checks static void M(double, ReadOnlySpan&lt;double&gt;, ReadOnlySpan&lt;double&gt;, Span&lt;double&gt;) with a body.</summary>
        private bool CheckSignature()
        {
            int before = _diagnostics.Count;
            string name = _method.Name;
            DiagnosticDescriptor invalid = _isFunction ? DiagnosticDescriptors.InvalidFunctionSignature : DiagnosticDescriptors.InvalidSignature;
            if (!_method.IsStatic)
            {
                Report(invalid, _syntax.Identifier, name, "must be static");
            }

            if (!_method.ReturnsVoid)
            {
                Report(invalid, _syntax.ReturnType, name, "must return void");
            }

            if (_syntax.TypeParameterList is { } typeParameters)
            {
                Report(invalid, typeParameters, name, "must not be generic");
            }

            if (_syntax.Body is null && _syntax.ExpressionBody is null)
            {
                Report(invalid, _syntax.Identifier, name, _method.PartialImplementationPart is null ? "must have a body"
                    : "must have its body in the same file (its partial implementation is in another file, whose edits would not regenerate the code)");
            }

            CheckParameters(name);
            return _diagnostics.Count == before;
        }

        private void CheckParameters(string name)
        {
            if (_isFunction)
            {
                CheckFunctionParameters(name);
                return;
            }

            if (_method.Parameters.Length != 4)
            {
                Report(DiagnosticDescriptors.InvalidSignature, _syntax.ParameterList, name,
                    $"has {_method.Parameters.Length} parameters where 4 are required");
                return;
            }

            string r = _real == SpecialType.System_Single ? "float" : "double";
            string[] expected = { r, $"ReadOnlySpan<{r}>", $"ReadOnlySpan<{r}>", $"Span<{r}>" };
            string[] roles = { "the time t", "the states y", "the parameters p", "the output dydt" };
            for (int i = 0; i < 4; i++)
            {
                IParameterSymbol parameter = _method.Parameters[i];
                CheckModifiers(_syntax.ParameterList.Parameters[i], name, expected[i]);
                if (!HasType(parameter.Type, i))
                {
                    Report(DiagnosticDescriptors.InvalidSignature, _syntax.ParameterList.Parameters[i], name,
                        $"has parameter '{parameter.Name}' of type '{parameter.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' where '{expected[i]}' ({roles[i]}) is required");
                }
            }
        }

        /// <summary>
        /// ODE0019 on 'ref', 'in', 'out', 'ref readonly' or 'params': the generated methods take the values by value.
        /// 'scoped' and 'this' change nothing the generated code relies on (it copies the body, never calls the method).
        /// </summary>
        private void CheckModifiers(ParameterSyntax parameter, string method, string expectedType)
        {
            var rejected = parameter.Modifiers.Where(m => !m.IsKind(SyntaxKind.ScopedKeyword) && !m.IsKind(SyntaxKind.ThisKeyword)).ToList();
            if (rejected.Count == 0)
            {
                return;
            }

            string text = string.Join(" ", rejected.Select(m => m.Text));
            var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(rejected[0].SpanStart, rejected[rejected.Count - 1].Span.End);
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ParameterModifier, Location.Create(_syntax.SyntaxTree, span),
                text, parameter.Identifier.ValueText, method, expectedType, AttributeText));
        }

        /// <summary>A function's three parameters: ReadOnlySpan x, ReadOnlySpan p, Span y of its number type (ODE0030, ODE0019).</summary>
        private void CheckFunctionParameters(string name)
        {
            if (_method.Parameters.Length != 3)
            {
                Report(DiagnosticDescriptors.InvalidFunctionSignature, _syntax.ParameterList, name,
                    $"has {_method.Parameters.Length} parameters where 3 are required");
                return;
            }

            string r = _real == SpecialType.System_Single ? "float" : "double";
            string[] expected = { $"ReadOnlySpan<{r}>", $"ReadOnlySpan<{r}>", $"Span<{r}>" };
            string[] roles = { "the inputs x", "the parameters p", "the outputs y" };
            for (int i = 0; i < 3; i++)
            {
                IParameterSymbol parameter = _method.Parameters[i];
                CheckModifiers(_syntax.ParameterList.Parameters[i], name, expected[i]);
                if (!HasType(parameter.Type, i + 1))
                {
                    Report(DiagnosticDescriptors.InvalidFunctionSignature, _syntax.ParameterList.Parameters[i], name,
                        $"has parameter '{parameter.Name}' of type '{parameter.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' where '{expected[i]}' ({roles[i]}) is required");
                }
            }
        }

        private bool HasType(ITypeSymbol type, int position)
        {
            if (position == 0)
            {
                return type.SpecialType == _real;
            }

            string span = position == 3 ? "System.Span<T>" : "System.ReadOnlySpan<T>";
            return type is INamedTypeSymbol { TypeArguments.Length: 1 } named
                && named.OriginalDefinition.ToDisplayString() == span
                && named.TypeArguments[0].SpecialType == _real;
        }

        /// <summary>
        /// Which of the method's parameters <paramref name="symbol"/> is: 0 t, 1 y, 2 p, 3 dydt, -1 none. A function's x, p
        /// and y are 1, 2 and 3: they are lowered as the dynamics' y, p and dydt.
        /// </summary>
        private int Role(ISymbol? symbol)
        {
            for (int i = 0; i < _method.Parameters.Length; i++)
            {
                if (SymbolEqualityComparer.Default.Equals(symbol, _method.Parameters[i]))
                {
                    return _isFunction ? i + 1 : i;
                }
            }

            return -1;
        }

        // ---- statements ---------------------------------------------------------------------

        private void Statements(SyntaxList<StatementSyntax> statements, bool topLevel)
        {
            for (int i = 0; i < statements.Count; i++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (topLevel && !ShallowEnough(statements[i]))
                {
                    continue;
                }

                Statement(statements[i], isLast: i == statements.Count - 1, topLevel);
            }
        }

        /// <summary>Lowers one statement; a bare <c>return;</c> is allowed only as the method's last statement.</summary>
        private void Statement(StatementSyntax statement, bool isLast, bool topLevel)
        {
            if (!Enter(statement))
            {
                return;
            }

            try
            {
                StatementAt(statement, isLast, topLevel);
            }
            catch (InsufficientExecutionStackException)
            {
                TooDeep(statement);
            }
            finally
            {
                _nesting--;
            }
        }

        private void StatementAt(StatementSyntax statement, bool isLast, bool topLevel)
        {
            switch (statement)
            {
                case BlockSyntax block:
                    Statements(block.Statements, topLevel: false);
                    return;
                case CheckedStatementSyntax context:
                    if (!IntArithmeticIn(context, context.Keyword.ValueText))
                    {
                        Statements(context.Block.Statements, topLevel: false);
                    }

                    return;
                case EmptyStatementSyntax:
                    return;
                case ReturnStatementSyntax { Expression: null } when isLast && topLevel:
                    return;
                case LocalDeclarationStatementSyntax declaration when declaration.UsingKeyword.RawKind == 0 && declaration.AwaitKeyword.RawKind == 0:
                    BeginStatement(statement);
                    Declaration(declaration);
                    return;
                case ExpressionStatementSyntax expression:
                    ExpressionStatement(expression.Expression, statement);
                    return;
                case ForStatementSyntax loop when _loopMode:
                    ForLoop(loop);
                    return;
                case IfStatementSyntax branch when _loopMode:
                    IfStatement(branch);
                    return;
                default:
                    Report(DiagnosticDescriptors.UnsupportedStatement, statement.GetFirstToken(), Keyword(statement));
                    return;
            }
        }

        /// <summary>An assignment (or, reported, anything else) used as a statement or as an expression body.</summary>
        private void ExpressionStatement(ExpressionSyntax expression, SyntaxNode source)
        {
            switch (expression)
            {
                case AssignmentExpressionSyntax assignment:
                    BeginStatement(source);
                    Assignment(assignment, asValue: false);
                    return;
                case PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax when IncrementOf(expression) is { } step:
                    BeginStatement(source);
                    Increment(expression, step, asValue: false);
                    return;
                case InvocationExpressionSyntax invocation:
                    // Lower reports ODE0005 for anything but Math; a Math call's discarded result is ODE0003.
                    if (Lower(invocation) >= 0)
                    {
                        Report(DiagnosticDescriptors.UnsupportedStatement, expression.GetFirstToken(), "call");
                    }

                    return;
                default:
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression, Describe(expression));
                    return;
            }
        }

        private void BeginStatement(SyntaxNode source)
        {
            _statements.Add(OneLine(source));
            _builder.Stmt = _statements.Count - 1;
        }

        private static string Keyword(StatementSyntax statement) => statement switch
        {
            LocalFunctionStatementSyntax => "local function",
            LocalDeclarationStatementSyntax => "using declaration",
            LabeledStatementSyntax => "labeled",
            _ => statement.GetFirstToken().Text,
        };

        private void Declaration(LocalDeclarationStatementSyntax declaration)
        {
            if (declaration.IsConst)
            {
                return;   // reads of a const local are folded by the compiler's constant value
            }

            foreach (VariableDeclaratorSyntax variable in declaration.Declaration.Variables)
            {
                if (_semantic.GetDeclaredSymbol(variable, _cancellationToken) is not ILocalSymbol local)
                {
                    continue;
                }

                if (local.Type.SpecialType == SpecialType.System_Int32 && local.RefKind == RefKind.None)
                {
                    IntDeclaration(variable, local, declaration.Declaration.Type);
                    continue;
                }

                if (IsDoubleSpan(local.Type) && local.RefKind == RefKind.None)
                {
                    BufferDeclaration(variable, local, declaration.Declaration.Type);
                    continue;
                }

                if (local.RefKind == RefKind.None && IsReadOnlyRealSpan(local.Type) && variable.Initializer is { } sliced
                    && Slice(sliced.Value) is { } alias)
                {
                    _slices[local] = alias;   // never assigned again: a read-only span local of a slice is a name for it
                    continue;
                }

                if (local.Type.SpecialType != _real || local.RefKind != RefKind.None)
                {
                    string type = local.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                    Report(DiagnosticDescriptors.UnsupportedExpression, declaration.Declaration.Type, local.RefKind == RefKind.None
                        ? $"A local of type '{type}'"
                        : $"The {(local.RefKind == RefKind.RefReadOnly ? "'ref readonly'" : "'ref'")} local '{local.Name}' (a reference to another variable; declare a plain '{type}' local holding a copy of the value)");
                    _refusedLocals.Add(local);
                    continue;
                }

                if (variable.Initializer is { } initializer)
                {
                    SetLocal(local, Lower(initializer.Value));
                }
            }
        }

        /// <summary>
        /// An assignment (=, +=, -=, *=, /=), as a statement or as a value: the value it yields is the one assigned, as in C#
        /// (<c>dydt[0] = v = e;</c>, <c>u = (w = e) * 0.5 + w;</c>); -1 after a diagnostic.
        /// </summary>
        private int Assignment(AssignmentExpressionSyntax assignment, bool asValue)
        {
            Op? op = assignment.Kind() switch
            {
                SyntaxKind.SimpleAssignmentExpression => null,
                SyntaxKind.AddAssignmentExpression => Op.Add,
                SyntaxKind.SubtractAssignmentExpression => Op.Sub,
                SyntaxKind.MultiplyAssignmentExpression => Op.Mul,
                SyntaxKind.DivideAssignmentExpression => Op.Div,
                _ => Op.Store,
            };
            if (op == Op.Store)
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, assignment.OperatorToken, $"The '{assignment.OperatorToken.Text}' operator");
                return -1;
            }

            return Update(AssignedTo(assignment), op, () => Lower(assignment.Right), assignment, yieldOld: false, asValue);
        }

        /// <summary>
        /// <c>x++</c>, <c>++x</c>, <c>x--</c>, <c>--x</c> on a number: <c>x += 1</c> (or <c>-= 1</c>), whose value is x's new
        /// value for the prefix forms and its old one for the postfix forms, as in C#; -1 after a diagnostic.
        /// </summary>
        private int Increment(ExpressionSyntax expression, Op step, bool asValue) =>
            Update(Written(expression)!, step, () => _builder.Const(1), expression, yieldOld: expression is PostfixUnaryExpressionSyntax, asValue);

        /// <summary>
        /// What an assignment or an increment (<c>x++</c>, <c>--dydt[0]</c>) writes, without its parentheses; null for other
        /// expressions. Branches and loops look for the locals their bodies write with it.
        /// </summary>
        private static ExpressionSyntax? Written(SyntaxNode node)
        {
            ExpressionSyntax? left = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PostfixUnaryExpressionSyntax post when post.IsKind(SyntaxKind.PostIncrementExpression) || post.IsKind(SyntaxKind.PostDecrementExpression) => post.Operand,
                PrefixUnaryExpressionSyntax pre when pre.IsKind(SyntaxKind.PreIncrementExpression) || pre.IsKind(SyntaxKind.PreDecrementExpression) => pre.Operand,
                _ => null,
            };
            while (left is ParenthesizedExpressionSyntax parenthesized)
            {
                left = parenthesized.Expression;
            }

            return left;
        }

        /// <summary>Op.Add for ++, Op.Sub for --, on an operand of the method's number type; null for anything else.</summary>
        private Op? IncrementOf(ExpressionSyntax expression)
        {
            SyntaxKind kind = expression.Kind();
            Op? step = kind is SyntaxKind.PostIncrementExpression or SyntaxKind.PreIncrementExpression ? Op.Add
                : kind is SyntaxKind.PostDecrementExpression or SyntaxKind.PreDecrementExpression ? Op.Sub
                : null;
            ExpressionSyntax? operand = expression switch
            {
                PostfixUnaryExpressionSyntax post => post.Operand,
                PrefixUnaryExpressionSyntax pre => pre.Operand,
                _ => null,
            };
            return step is not null && operand is not null && IsDouble(operand) ? step : null;
        }

        /// <summary>
        /// Assigns <c>left = left op value()</c> (just <c>value()</c> when <paramref name="op"/> is null) and returns the value
        /// the expression has in C#: the new value, or with <paramref name="yieldOld"/> (a postfix ++ or --) the old one.
        /// The old value is read before <paramref name="value"/> is lowered, as C# evaluates a compound assignment.
        /// </summary>
        private int Update(ExpressionSyntax left, Op? op, Func<int> value, SyntaxNode at, bool yieldOld, bool asValue)
        {
            if (Target(left) is not { } target)
            {
                return -1;
            }

            if (target.Buffer is { } buffer)
            {
                if (op is Op.Mul or Op.Div && _openLoops.Count == 0 && _openBranches == 0)
                {
                    // At the top of the method, x *= e is x = x * (e) on the element: its old value is read once and kept
                    // (the reverse sweep never reads it again), then replaced. Inside a loop or a branch it stays ODE0014.
                    int kept = BufferRead(buffer, target.Ix!, left);
                    int factor = kept < 0 ? -1 : value();
                    int product = factor < 0 ? -1 : BufferWrite(buffer, target.Ix!, null, () => _builder.Binary(op.Value, kept, factor), at);
                    if (product < 0)
                    {
                        RefusedWrite(buffer, target.Ix!);
                    }

                    return product < 0 ? -1 : product;
                }

                // An element's old value is a read of it (for a postfix ++ used as a value), made before the write.
                int before = yieldOld && asValue ? BufferRead(buffer, target.Ix!, left) : 0;
                int written = before < 0 ? -1 : BufferWrite(buffer, target.Ix!, op, value, at);
                if (written < 0)
                {
                    RefusedWrite(buffer, target.Ix!);
                    return -1;
                }

                return !asValue ? written : yieldOld ? before : op is null ? written : BufferRead(buffer, target.Ix!, left);
            }

            if (target.Local is { } accumulated && _accumulators.TryGetValue(accumulated, out int variable))
            {
                // The new value of an accumulator inside its loop would be a read of it there (ODE0014 in ReadLocal).
                int added = AccumulatorWrite(accumulated, variable, op, value, at);
                return added < 0 || !asValue ? added : ReadLocal(accumulated, left);
            }

            // Compound assignment x op= e means x = x op (e); the old value is read first.
            int old = op is null ? 0 : ReadTarget(target, left);
            int result = old < 0 ? -1 : value();
            if (old < 0 || result < 0)
            {
                if (target.Local is null)
                {
                    // The user's method writes the element all the same: later reads of it stay quiet (one diagnostic, not a trail of ODE0009).
                    _refusedOutputs.Add(target.Index);
                }

                return -1;
            }

            if (op is { } binary)
            {
                result = _builder.Binary(binary, old, result);
            }

            if (target.Local is { } local)
            {
                SetLocal(local, result);
            }
            else
            {
                _dydt[target.Index] = result;
                _builder.Store(Slot.Dydt, target.Index, result);
            }

            return yieldOld ? old : result;
        }

        private void SetLocal(ILocalSymbol local, int value)
        {
            if (value < 0)
            {
                _locals.Remove(local);   // already reported; later reads stay quiet
                _refusedLocals.Add(local);
                return;
            }

            _locals[local] = value;
            bool keyword = SyntaxFacts.GetKeywordKind(local.Name) != SyntaxKind.None;
            _builder.Name(value, keyword ? null : local.Name);
        }

        /// <summary>An assignable place: a double local, dydt[constant], or (with loops) an element of a buffer or dydt.</summary>
        private sealed record AssignTarget(ILocalSymbol? Local, int Index, BufferState? Buffer = null, IndexExpr? Ix = null);

        private bool IsDoubleSpan(ITypeSymbol type) =>
            type is INamedTypeSymbol { TypeArguments.Length: 1 } named
            && named.OriginalDefinition.ToDisplayString() == "System.Span<T>"
            && named.TypeArguments[0].SpecialType == _real;

        /// <summary>The buffer an element access goes to (a stackalloc local, or dydt in a method with loops); null for others.</summary>
        private BufferState? BufferOf(ISymbol? symbol) =>
            symbol is null ? null : _buffers.TryGetValue(symbol, out BufferState? buffer) ? buffer : Role(symbol) == 3 ? _dydtBuffer : null;

        /// <summary>The index of an element access into a buffer; null after a diagnostic.</summary>
        private IndexExpr? BufferIndex(ElementAccessExpressionSyntax access, BufferState buffer)
        {
            if (buffer == _dydtBuffer)
            {
                return ElementIndex(access, 3, out int index, out IndexExpr? ix) ? ix ?? IndexExpr.Of(index) : null;
            }

            ExpressionSyntax? argument = access.ArgumentList.Arguments.Count == 1 ? access.ArgumentList.Arguments[0].Expression : null;
            IndexExpr? text = argument is null ? null : IndexTree(argument);
            if (_unrolledVariables.Count > 0 && text?.ConstantValue is int folded)
            {
                text = IndexExpr.Of(folded);   // h[(i + 1) % 3] in a copy of an unrolled loop is a constant element
            }

            if (text is null)
            {
                Report(DiagnosticDescriptors.NonConstantIndex, (SyntaxNode?)argument ?? access.ArgumentList, argument?.ToString() ?? access.ArgumentList.ToString(), access.Expression.ToString());
                return null;
            }

            // A constant index (a constant, or an int local that is one) must be inside the buffer: negative never is,
            // and a stackalloc of constant size has a known end.
            if (text is IndexExpr.Constant { Value: int constant } && (constant < 0 || constant >= buffer.ConstantSize))
            {
                Report(DiagnosticDescriptors.BufferIndexOutOfRange, argument!, constant.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    access.Expression.ToString(), buffer.Size.Print(_isFunction ? SpanNaming.Function : SpanNaming.Dynamics));
                return null;
            }

            return text;
        }

        /// <summary>An assignment's target without its parentheses: (x) = … and ((dydt[0])) += … assign x and dydt[0].</summary>
        private static ExpressionSyntax AssignedTo(AssignmentExpressionSyntax assignment)
        {
            ExpressionSyntax left = assignment.Left;
            while (left is ParenthesizedExpressionSyntax parenthesized)
            {
                left = parenthesized.Expression;
            }

            return left;
        }

        private AssignTarget? Target(ExpressionSyntax left)
        {
            ISymbol? symbol = _semantic.GetSymbolInfo(left is ElementAccessExpressionSyntax e ? e.Expression : left, _cancellationToken).Symbol;
            int role = Role(symbol);
            if (left is IdentifierNameSyntax && symbol is ILocalSymbol local && local.Type.SpecialType == _real && local.RefKind == RefKind.None)
            {
                return new AssignTarget(local, 0);
            }

            if (left is IdentifierNameSyntax && symbol is ILocalSymbol refused && _refusedLocals.Contains(refused))
            {
                return null;   // its declaration was reported
            }

            // The output span (role 3 for dynamics and functions alike) is written element by element: replacing the
            // parameter itself has its own message, as "an input" would be wrong and its advice would not fit.
            if (left is IdentifierNameSyntax && role >= 0)
            {
                Report(role == 3 ? DiagnosticDescriptors.AssignToOutput : DiagnosticDescriptors.WriteToInput, left, symbol!.Name);
                return null;
            }

            if (left is ElementAccessExpressionSyntax access && role is 1 or 2)
            {
                Report(DiagnosticDescriptors.WriteToInput, left, symbol!.Name);
                return null;
            }

            if (symbol is not null && _rejectedBuffers.Contains(symbol))
            {
                return null;
            }

            if (left is ElementAccessExpressionSyntax bufferElement && BufferOf(symbol) is { } buffer)
            {
                IndexExpr? ix = BufferIndex(bufferElement, buffer);
                return ix is null ? null : new AssignTarget(null, -1, buffer, ix);
            }

            if (left is ElementAccessExpressionSyntax element && role == 3)
            {
                int index = Index(element, isState: true);
                return index < 0 ? null : new AssignTarget(null, index);
            }

            Report(DiagnosticDescriptors.UnsupportedExpression, left, $"Assigning to '{left}'");
            RefuseLocalsIn(left);
            return null;
        }

        /// <summary>Marks the locals that <paramref name="left"/> (an assignment's target that was reported) declares or names as refused.</summary>
        private void RefuseLocalsIn(ExpressionSyntax left)
        {
            foreach (SyntaxNode node in left.DescendantNodesAndSelf())
            {
                ISymbol? symbol = node switch
                {
                    SingleVariableDesignationSyntax designation => _semantic.GetDeclaredSymbol(designation, _cancellationToken),
                    IdentifierNameSyntax name => _semantic.GetSymbolInfo(name, _cancellationToken).Symbol,
                    _ => null,
                };
                if (symbol is ILocalSymbol local)
                {
                    _refusedLocals.Add(local);
                }
            }
        }

        private int ReadTarget(AssignTarget target, ExpressionSyntax left)
        {
            if (target.Local is { } local)
            {
                return ReadLocal(local, left);
            }

            if (_dydt.TryGetValue(target.Index, out int value))
            {
                return value;
            }

            if (!_refusedOutputs.Contains(target.Index))
            {
                Report(DiagnosticDescriptors.ReadBeforeWrite, left, left.ToString());
            }

            return -1;
        }

        private int ReadLocal(ILocalSymbol local, SyntaxNode at)
        {
            if (_accumulators.ContainsKey(local))
            {
                Report(DiagnosticDescriptors.OverwrittenValue, at, local.Name,
                    $"it is read inside a loop that accumulates into it; read it after the loop, declare it inside the loop, or give the loop constant bounds (the declared sizes count) of at most {MaxParseTimeTrips} iterations, which are unrolled");
                return -1;
            }

            if (_locals.TryGetValue(local, out int value))
            {
                return value;
            }

            if (!_refusedLocals.Contains(local))
            {
                Report(DiagnosticDescriptors.ReadBeforeWrite, at, local.Name);
            }

            return -1;
        }

        // ---- expressions --------------------------------------------------------------------

        /// <summary>Lowers a double-valued expression to an IR value; -1 after reporting a diagnostic.</summary>
        /// <remarks>
        /// A chain of binary operators down its left operands (<c>a + b + c + …</c>, how C# parses a long sum, with any
        /// parentheses and unary plus on the way) is walked in a loop, so a 10,000-term sum costs no stack; right operands,
        /// unary minus and call arguments recurse, at most <see cref="MaxNesting"/> levels deep (ODE0025).
        /// </remarks>
        private int Lower(ExpressionSyntax expression)
        {
            if (!Enter(expression))
            {
                return -1;
            }

            try
            {
                var chain = new List<(Op Op, ExpressionSyntax Right)>();   // outermost first
                ExpressionSyntax e = expression;
                int value;
                while (true)
                {
                    Optional<object?> constant = _semantic.GetConstantValue(e, _cancellationToken);
                    if (constant.HasValue)
                    {
                        value = Constant(e, constant.Value);
                        break;
                    }

                    // An int index expression used as a number ((i + 1) * y[i], k * y[0]): converted as C# converts it. In
                    // straight-line methods too: the emitters write an index input as (double)(index) wherever it stands.
                    if (IndexTree(e) is { } index)
                    {
                        value = _builder.Input(Slot.Index, 0, index);
                        break;
                    }

                    if (e is ParenthesizedExpressionSyntax parenthesized)
                    {
                        e = parenthesized.Expression;
                    }
                    else if (e is PrefixUnaryExpressionSyntax plus && plus.IsKind(SyntaxKind.UnaryPlusExpression))
                    {
                        e = plus.Operand;
                    }
                    else if (e is CheckedExpressionSyntax context)
                    {
                        if (IntArithmeticIn(context, context.Keyword.ValueText))
                        {
                            value = -1;
                            break;
                        }

                        e = context.Expression;
                    }
                    else if (e is BinaryExpressionSyntax binary && BinaryOp(binary) is { } op && IsDouble(binary))
                    {
                        chain.Add((op, binary.Right));
                        e = binary.Left;
                    }
                    else
                    {
                        value = LowerOperand(e);
                        break;
                    }
                }

                // The left operand first, then each right operand, as C# evaluates them.
                for (int k = chain.Count - 1; k >= 0; k--)
                {
                    int right = Lower(chain[k].Right);
                    value = value < 0 || right < 0 ? -1 : _builder.Binary(chain[k].Op, value, right);
                }

                return value;
            }
            catch (InsufficientExecutionStackException)
            {
                // The compiler's own binding of a deep expression ran short of stack on this thread first.
                TooDeep(expression);
                return -1;
            }
            finally
            {
                _nesting--;
            }
        }

        /// <summary>
        /// Whether <paramref name="context"/>, a checked or unchecked expression or block, holds int arithmetic that is not a
        /// constant (reported, ODE0004 on the first). Floating-point arithmetic never overflows, so around double code the
        /// context changes nothing and is read through; the generated code does int arithmetic (indices, loop steps) in the
        /// project's default context, which would drop the user's overflow checks, so int arithmetic inside it is refused.
        /// </summary>
        private bool IntArithmeticIn(SyntaxNode context, string keyword)
        {
            foreach (SyntaxNode node in context.DescendantNodes())
            {
                if (node is BinaryExpressionSyntax or PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax or CastExpressionSyntax or AssignmentExpressionSyntax
                    && _semantic.GetTypeInfo(node, _cancellationToken).Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                        or SpecialType.System_Int16 or SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_UInt16
                        or SpecialType.System_UInt32 or SpecialType.System_UInt64
                    && !_semantic.GetConstantValue(node, _cancellationToken).HasValue)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, node,
                        $"The int arithmetic '{node}' inside '{keyword}' (the generated code does not check its overflow as '{keyword}' would; move it out of the '{keyword}' context, or make it a constant)");
                    return true;
                }
            }

            return false;
        }

        /// <summary>Lowers what is not a constant, an index, parentheses, unary plus or a binary operator on doubles.</summary>
        private int LowerOperand(ExpressionSyntax expression)
        {
            switch (expression)
            {
                case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
                    int operand = Lower(unary.Operand);
                    return operand < 0 ? -1 : _builder.Neg(operand);
                case CastExpressionSyntax cast when IsDouble(cast) && IndexTree(cast.Expression) is { } castIndex:
                    return _builder.Input(Slot.Index, 0, castIndex);
                // (double)x on a double (float on a float in a float method) is x: the cast changes nothing.
                case CastExpressionSyntax cast when IsDouble(cast) && IsDouble(cast.Expression):
                    return Lower(cast.Expression);
                // (double)(int)x, or (int)x where a number is expected: x toward zero, whose derivative is 0 where it is defined.
                case CastExpressionSyntax cast when IsDouble(cast) && Unparenthesized(cast.Expression) is CastExpressionSyntax inner && IntCastOfNumber(inner):
                    return Truncated(inner);
                case CastExpressionSyntax cast when IntCastOfNumber(cast):
                    return Truncated(cast);
                case ElementAccessExpressionSyntax access:
                    return ReadElement(access);
                case IdentifierNameSyntax identifier:
                    return Identifier(identifier);
                case MemberAccessExpressionSyntax member when _semantic.GetSymbolInfo(member, _cancellationToken).Symbol is IFieldSymbol field && IsReadOnlyNumber(field):
                    return Field(field, member);
                case InvocationExpressionSyntax invocation:
                    return Call(invocation);
                case ConditionalExpressionSyntax conditional when _loopMode:
                    return Conditional(conditional);
                case SwitchExpressionSyntax choice when _loopMode:
                    return SwitchExpression(choice);
                case AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax when _sideEffectsRefused is null
                    && (expression is AssignmentExpressionSyntax || IncrementOf(expression) is not null):
                    return expression is AssignmentExpressionSyntax valueOf ? Assignment(valueOf, asValue: true) : Increment(expression, IncrementOf(expression)!.Value, asValue: true);
                case AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax when _sideEffectsRefused is not null
                    && (expression is AssignmentExpressionSyntax || IncrementOf(expression) is not null):
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression, $"The assignment '{expression}' inside {_sideEffectsRefused}");
                    if (expression is AssignmentExpressionSyntax refused)
                    {
                        RefuseLocalsIn(refused.Left);
                    }

                    return -1;
                default:
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression, Describe(expression));
                    if (expression is AssignmentExpressionSyntax assignment)
                    {
                        RefuseLocalsIn(assignment.Left);
                    }

                    return -1;
            }
        }

        /// <summary>
        /// <c>(int)x</c> on a number, used as a number: the IR's Truncate, with ODE0010 (it jumps at every integer). As an
        /// index or an int local it is no index expression, and stays refused where it stands.
        /// </summary>
        private int Truncated(CastExpressionSyntax cast)
        {
            int value = Lower(cast.Expression);
            if (value < 0)
            {
                return -1;
            }

            Report(DiagnosticDescriptors.NonSmoothFunction, cast, cast.ToString());
            return _builder.Call(Fn.Truncate, value, -1, -1);
        }

        /// <summary>A cast to int of a value of the method's number type.</summary>
        private bool IntCastOfNumber(CastExpressionSyntax cast) =>
            _semantic.GetTypeInfo(cast, _cancellationToken).Type?.SpecialType == SpecialType.System_Int32 && IsDouble(cast.Expression);

        private static ExpressionSyntax Unparenthesized(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            return expression;
        }

        private int Constant(ExpressionSyntax expression, object? value)
        {
            switch (value)
            {
                case double or float or int or long or short or sbyte or byte or uint or ulong or ushort:
                    return _builder.Const(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                default:
                    Report(DiagnosticDescriptors.UnsupportedExpression, expression, Describe(expression));
                    return -1;
            }
        }

        private static Op? BinaryOp(BinaryExpressionSyntax binary) => binary.Kind() switch
        {
            SyntaxKind.AddExpression => Op.Add,
            SyntaxKind.SubtractExpression => Op.Sub,
            SyntaxKind.MultiplyExpression => Op.Mul,
            SyntaxKind.DivideExpression => Op.Div,
            _ => null,
        };

        private bool IsDouble(ExpressionSyntax expression) =>
            _semantic.GetTypeInfo(expression, _cancellationToken).Type?.SpecialType == _real;

        private int Identifier(IdentifierNameSyntax identifier)
        {
            ISymbol? symbol = _semantic.GetSymbolInfo(identifier, _cancellationToken).Symbol;
            if (symbol is ILocalSymbol local && (local.Type.SpecialType == _real || _refusedLocals.Contains(local)))
            {
                return ReadLocal(local, identifier);
            }

            if (Role(symbol) == 0)
            {
                return _builder.Input(Slot.T, 0);
            }

            if (symbol is not null && _arguments.TryGetValue(symbol, out int argument))
            {
                return argument;
            }

            if (symbol is IFieldSymbol field && IsReadOnlyNumber(field))
            {
                return Field(field, identifier);
            }

            Report(DiagnosticDescriptors.UnsupportedExpression, identifier, Describe(identifier));
            return -1;
        }

        /// <summary>A static readonly field of the method's number type (a const field is a constant and never comes here).</summary>
        private bool IsReadOnlyNumber(IFieldSymbol field) =>
            field is { IsStatic: true, IsReadOnly: true, IsConst: false } && field.Type.SpecialType == _real && !field.ContainingType.IsTupleType;

        /// <summary>
        /// A static readonly field: a run-time constant, read by its fully qualified name in the generated code (its value is
        /// not known at compile time, so it is not folded), with derivative 0. The generated struct is nested in the marked
        /// method's type, so a field the method can see is one it can see, except a field only a helper in another type can
        /// see (ODE0004 there).
        /// </summary>
        private int Field(IFieldSymbol field, ExpressionSyntax at)
        {
            if (!_semantic.IsAccessible(_syntax.SpanStart, field))
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, at,
                    $"The field '{field.Name}', which the {AttributeText} method cannot see (make it internal, or pass it in an argument)");
                return -1;
            }

            for (INamedTypeSymbol? owner = field.ContainingType; owner is not null; owner = owner.ContainingType)
            {
                if (owner.IsFileLocal)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, at,
                        $"The field '{field.Name}' of the file-local type '{owner.Name}', which the generated code, in a file of its own, cannot name (declare it in a type that is not 'file')");
                    return -1;
                }
            }

            if (!_fields.TryGetValue(field, out int number))
            {
                number = _fields.Count;
                _fields.Add(field, number);
            }

            string name = SyntaxFacts.GetKeywordKind(field.Name) != SyntaxKind.None ? "@" + field.Name : field.Name;
            return _builder.Field(number, field.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + name);
        }

        /// <summary>y[i], p[k] or an earlier-written dydt[i].</summary>
        private int ReadElement(ElementAccessExpressionSyntax access)
        {
            ISymbol? symbol = _semantic.GetSymbolInfo(access.Expression, _cancellationToken).Symbol;
            if (symbol is not null && _rejectedBuffers.Contains(symbol))
            {
                return -1;
            }

            if (BufferOf(symbol) is { } buffer)
            {
                IndexExpr? ix = BufferIndex(access, buffer);
                return ix is null ? -1 : BufferRead(buffer, ix, access);
            }

            int role = Role(symbol);
            if (role is not (1 or 2 or 3) && Slice(access.Expression) is { } slice)
            {
                return SliceElement(access, slice);
            }

            if (role is not (1 or 2 or 3))
            {
                Report(DiagnosticDescriptors.UnsupportedExpression, access, Describe(access));
                return -1;
            }

            if (!ElementIndex(access, role, out int index, out IndexExpr? text))
            {
                return -1;
            }

            if (role == 1)
            {
                return _builder.Input(Slot.Y, text is null ? index : 0, text);
            }

            if (role == 2)
            {
                return _builder.Input(Slot.P, text is null ? index : 0, text);
            }

            if (_dydt.TryGetValue(index, out int value))
            {
                return value;
            }

            if (!_refusedOutputs.Contains(index))
            {
                Report(DiagnosticDescriptors.ReadBeforeWrite, access, access.ToString());
            }

            return -1;
        }

        /// <summary>The constant index of a span access, checked against the declared size; -1 after a diagnostic.</summary>
        private int Index(ElementAccessExpressionSyntax access, bool isState)
        {
            string span = access.Expression.ToString();
            if (access.ArgumentList.Arguments.Count != 1)
            {
                Report(DiagnosticDescriptors.NonConstantIndex, access.ArgumentList, access.ArgumentList.ToString(), span);
                return -1;
            }

            ExpressionSyntax argument = access.ArgumentList.Arguments[0].Expression;
            bool isOutput = isState && _isFunction && Role(_semantic.GetSymbolInfo(access.Expression, _cancellationToken).Symbol) == 3;
            int declared = isOutput ? _declaredOutputs : isState ? _declaredStates : _declaredParameters;
            bool fromEnd = argument is PrefixUnaryExpressionSyntax hat && hat.IsKind(SyntaxKind.IndexExpression);
            Optional<object?> constant = _semantic.GetConstantValue(fromEnd ? ((PrefixUnaryExpressionSyntax)argument).Operand : argument, _cancellationToken);
            if (!constant.HasValue || constant.Value is not (int or long or short or sbyte or byte or uint or ushort))
            {
                Report(DiagnosticDescriptors.NonConstantIndex, argument, argument.ToString(), span);
                return -1;
            }

            long index = Convert.ToInt64(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
            return CheckedIndex(index, fromEnd, argument, span, isState, isOutput);
        }

        /// <summary>
        /// The constant index <paramref name="index"/> (from the end with <paramref name="fromEnd"/>) into <paramref name="span"/>,
        /// checked against the declared or inferred size (ODE0004, ODE0008 on <paramref name="argument"/>); -1 after a diagnostic.
        /// </summary>
        private int CheckedIndex(long index, bool fromEnd, ExpressionSyntax argument, string span, bool isState, bool isOutput)
        {
            int declared = isOutput ? _declaredOutputs : isState ? _declaredStates : _declaredParameters;
            if (fromEnd && declared <= 0)
            {
                // ^k is span.Length - k; with no declared size the length is inferred from the indices, this one among them.
                string size = isOutput ? "Outputs" : !isState ? "Parameters" : _isFunction ? "Inputs" : "States";
                Report(DiagnosticDescriptors.UnsupportedExpression, argument,
                    $"The index from the end '{argument}' into '{span}' of a length not declared (declare it, [{(_isFunction ? "Differentiable" : "OdeDynamics")}({size} = n)], write the index itself, or use it inside a 'for' loop, where it means {span}.Length - {index})");
                return -1;
            }

            index = fromEnd ? declared - index : index;
            if (index < 0 || (declared > 0 && index >= declared) || index >= MaxSize)
            {
                string length = declared > 0 ? declared.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"inferred from the indices used (at most {MaxSize})";
                string size = isOutput ? "Outputs" : !isState ? "Parameters" : _isFunction ? "Inputs" : "States";
                Report(DiagnosticDescriptors.IndexOutOfRange, argument, index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    span, length, (_isFunction ? "Differentiable(" : "OdeDynamics(") + size);
                return -1;
            }

            if (isOutput)
            {
                _maxOutput = Math.Max(_maxOutput, (int)index);
            }
            else if (isState)
            {
                _maxState = Math.Max(_maxState, (int)index);
            }
            else
            {
                _maxParameter = Math.Max(_maxParameter, (int)index);
            }

            return (int)index;
        }

        /// <summary>
        /// The generic-math statics of double and float (.NET 7+) that are the Math (MathF) function of the same name, to the
        /// bit (double.Max is Math.Max with its NaN and ±0 rules, float.Sin is MathF.Sin). They get the Math function's IR
        /// and so its derivative rules; the same name with other parameters (double.Log(x, b)) fails the arity test as
        /// Math's would, and members not listed stay ODE0005: MaxMagnitude, Round, … and Clamp, whose generic form returns
        /// +0 for Clamp(-0.0, 0, 1) where Math.Clamp returns -0 (.NET 10). Add a name only after checking it against Math's
        /// at NaN, ±0 and ±∞ (GenericMathTests does for these).
        /// </summary>
        private static readonly HashSet<string> GenericMathForwarders = new(StringComparer.Ordinal)
        {
            "Sin", "Cos", "Tan", "Exp", "Log", "Log10", "Sqrt", "Cbrt", "Pow", "Tanh", "Sinh", "Cosh",
            "Atan", "Asin", "Acos", "Atan2", "Abs", "Min", "Max", "FusedMultiplyAdd", "Sign", "CopySign",
        };

        /// <summary>
        /// A System.Math function on doubles (MathF on floats, and Math's float overloads), or its generic-math form on the
        /// method's own type (double.Sin, float.Sin); everything else is ODE0005.
        /// </summary>
        private int Call(InvocationExpressionSyntax invocation)
        {
            var method = _semantic.GetSymbolInfo(invocation, _cancellationToken).Symbol as IMethodSymbol;
            if (method is { MethodKind: MethodKind.LocalFunction })
            {
                return -1;   // its declaration in the method is ODE0003 already; one diagnostic, not one more per call
            }

            if (method is not null && IsHelper(method))
            {
                return Helper(invocation, method);
            }

            if (method is not null && method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == FunctionAttributeName))
            {
                // Its body works on spans, which a call inside an expression cannot pass; the struct composes at run time.
                Report(DiagnosticDescriptors.UnsupportedHelper, invocation, method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat),
                    $"it is a [Differentiable] function of spans, which is not inlined into other marked methods; call a scalar [OdeDifferentiable] helper here, or compose {method.Name}Function with the dynamics at run time");
                return -1;
            }

            if (method is not null && CustomRules(method) is { } rules)
            {
                return CustomCall(invocation, method, rules);
            }

            Fn fn = method is not null
                && method.ContainingType?.ToDisplayString() is { } container
                // In float code, System.Math's float overloads (Abs, Min, Max, Sign, Clamp: MathF has no Clamp) are MathF's
                // functions, to the bit; its double-only functions fail the parameter test below.
                && (container == (_real == SpecialType.System_Single ? "System.MathF" : "System.Math")
                    || (container == "System.Math" && _real == SpecialType.System_Single)
                    || (method.ContainingType.SpecialType == _real && GenericMathForwarders.Contains(method.Name)))
                && (method.ReturnType.SpecialType == _real || (method.Name == "Sign" && method.ReturnType.SpecialType == SpecialType.System_Int32))
                && method.Parameters.All(p => p.Type.SpecialType == _real)
                ? FnInfo.FromMathName(method.Name)
                : Fn.None;
            if (fn == Fn.None || method!.Parameters.Length != FnInfo.Arity(fn))
            {
                string name = method?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? invocation.Expression.ToString();
                Report(DiagnosticDescriptors.UnsupportedCall, invocation, name);
                return -1;
            }

            if (FnInfo.IsNonSmooth(fn))
            {
                Report(DiagnosticDescriptors.NonSmoothFunction, invocation, "Math." + method.Name);
            }

            var args = new int[] { -1, -1, -1 };
            for (int i = 0; i < invocation.ArgumentList.Arguments.Count; i++)
            {
                ArgumentSyntax argument = invocation.ArgumentList.Arguments[i];
                int position = argument.NameColon is { } named
                    ? method.Parameters.IndexOf(method.Parameters.First(p => p.Name == named.Name.Identifier.ValueText))
                    : i;
                args[position] = Lower(argument.Expression);
            }

            return args.Take(FnInfo.Arity(fn)).Any(a => a < 0) ? -1 : _builder.Call(fn, args[0], args[1], args[2]);
        }

        /// <summary>Names an unsupported expression for a message: what it is, in the user's words.</summary>
        private string Describe(ExpressionSyntax expression)
        {
            ITypeSymbol? type = _semantic.GetTypeInfo(expression, _cancellationToken).Type;
            string typed = type is null || type.SpecialType == _real ? "" : $" of type '{type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'";
            return expression switch
            {
                LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } => "A string literal",
                ConditionalExpressionSyntax => "The conditional operator '?:'",
                AssignmentExpressionSyntax => $"An assignment used as a value ('{expression}')",
                PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax => $"The expression '{expression}'",
                CastExpressionSyntax => $"The cast '{expression}'",
                ElementAccessExpressionSyntax element when _semantic.GetSymbolInfo(element.Expression, _cancellationToken).Symbol is IFieldSymbol array =>
                    $"An element of the array field '{array.Name}' (its elements can change at run time, unseen by the generator: pass them in {(InHelper ? "an argument" : ParameterName(2))}, or use const or static readonly {(_real == SpecialType.System_Single ? "float" : "double")} fields)",
                IdentifierNameSyntax when _semantic.GetSymbolInfo(expression, _cancellationToken).Symbol is IFieldSymbol field =>
                    $"The non-const field '{field.Name}' (make it const or pass it in {(InHelper ? "an argument" : ParameterName(2))})",
                _ => $"The expression '{expression}'{typed}",
            };
        }
    }
}
