using Microsoft.CodeAnalysis;

namespace OdeGen.Generators;

/// <summary>Placeholder entry point; replaced by the generator pipeline.</summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class OdeDynamicsGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
