namespace OdeGen.CodeFixes
{
    /// <summary>
    /// The generator's diagnostic codes that have a mechanical fix. The codes are the generator's (its
    /// DiagnosticDescriptors); a test holds these constants to them, so the two assemblies cannot drift apart.
    /// </summary>
    internal static class FixableDiagnostics
    {
        /// <summary>The [OdeDynamics] method's signature is not the one the generator differentiates.</summary>
        public const string InvalidSignature = "ODE0001";

        /// <summary>A parameter of the [OdeDynamics] method has a modifier (ref, in, out, ref readonly, params).</summary>
        public const string ParameterModifier = "ODE0019";

        /// <summary>A type containing an [OdeDynamics] method is not partial.</summary>
        public const string TypeNotPartial = "ODE0002";

        /// <summary>A call to a method the generator cannot see into (a user's helper not marked [OdeDifferentiable]).</summary>
        public const string UnsupportedCall = "ODE0005";

        /// <summary>The generated struct's name is taken by a member of the type.</summary>
        public const string GeneratedNameTaken = "ODE0012";
    }
}
