namespace OdeGen;

/// <summary>
/// Solver options for augmented states (state + tangents, state + sensitivities, adjoints), whose dimension differs
/// from the state's: <see cref="SolverOptions.AbsTolVector"/> is sized for the state, so it is laid out again.
/// </summary>
internal static class AugmentedOptions
{
    /// <summary>
    /// <paramref name="options"/> for a state of <paramref name="dimension"/> components whose first
    /// <paramref name="stateComponents"/> are the state itself: those keep the per-component absolute tolerances,
    /// the others (derivatives, whose units differ from the state's) take the scalar <see cref="SolverOptions.AbsTol"/>.
    /// The same object when there is no vector to lay out.
    /// </summary>
    public static SolverOptions For(SolverOptions options, int dimension, int stateComponents) =>
        options.AbsTolVector is null
            ? options
            : WithTolerances(options, options.RelTol, options.AbsTol, Expand(options.AbsTolVector, dimension, stateComponents, options.AbsTol, 1.0));

    /// <summary>
    /// The absolute tolerances of a <paramref name="dimension"/>-component augmented state: <paramref name="scale"/>
    /// times the state's vector on the first <paramref name="stateComponents"/>, <paramref name="absTol"/> elsewhere.
    /// </summary>
    /// <exception cref="ArgumentException">The vector does not have one entry per state component (as Ode.Solve requires).</exception>
    public static double[] Expand(double[] stateVector, int dimension, int stateComponents, double absTol, double scale)
    {
        // Laid out as far as it fitted, a vector of another length gave its missing components the scalar AbsTol (or lost
        // its extra entries) and the call succeeded, where Ode.Solve with the same options throws.
        if (stateVector.Length != stateComponents)
            throw new ArgumentException(
                $"AbsTolVector must have length {stateComponents} (the system's StateCount; the derivative components take AbsTol), but has length {stateVector.Length}.", "options");
        var v = new double[dimension];
        v.AsSpan().Fill(absTol);
        for (int i = 0; i < stateComponents; i++) v[i] = scale * stateVector[i];
        return v;
    }

    /// <summary>
    /// A copy of the step-control settings of <paramref name="options"/> with other tolerances. What to save
    /// (SaveAt, SaveSteps, Dense) is not copied: the sensitivity methods read it from the caller's options.
    /// </summary>
    public static SolverOptions WithTolerances(SolverOptions options, double relTol, double absTol, double[]? absTolVector) => new()
    {
        Method = options.Method,
        RelTol = relTol,
        AbsTol = absTol,
        AbsTolVector = absTolVector,
        MaxSteps = options.MaxSteps,
        FixedStep = options.FixedStep,
        InitialStep = options.InitialStep,
        MinStep = options.MinStep,
        MaxStep = options.MaxStep,
        Safety = options.Safety,
        MinFactor = options.MinFactor,
        MaxFactor = options.MaxFactor,
        Norm = options.Norm,
        Controller = options.Controller,
        HoldBand = options.HoldBand,
    };
}
