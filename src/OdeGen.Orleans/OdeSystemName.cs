namespace OdeGen.Orleans;

/// <summary>The name a system type travels by: its full type name (namespace, containing types, name).</summary>
public static class OdeSystemName
{
    /// <summary>
    /// The name of <typeparamref name="TSystem"/>, e.g. <c>MyModels.Lorenz+RhsSystem</c> for the generated
    /// <c>Lorenz.RhsSystem</c>, and <c>MyModels.Probed&lt;MyModels.Counter&gt;</c> for a generic system. No assembly name or
    /// version: a silo built with another build of the same model finds it.
    /// </summary>
    public static string Of<TSystem>() where TSystem : struct => Of(typeof(TSystem));

    // Type.FullName of a constructed generic type names each argument with its assembly, version and key
    // ("Probed`1[[MyModels.Counter, MyModels, Version=1.0.0.0, …]]"), so a silo built from another version of the model
    // would not find it; the arguments are written by these names instead, in C#'s brackets.
    private static string Of(Type type)
    {
        if (!type.IsConstructedGenericType) return type.FullName ?? type.Name;
        Type definition = type.GetGenericTypeDefinition();
        string name = definition.FullName ?? definition.Name;
        // Drop the arity marks (`1) of the definition and of any generic type it is nested in.
        var plain = new System.Text.StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '`')
            {
                while (i + 1 < name.Length && char.IsAsciiDigit(name[i + 1])) i++;
                continue;
            }
            plain.Append(name[i]);
        }
        return $"{plain}<{string.Join(", ", type.GenericTypeArguments.Select(Of))}>";
    }
}
