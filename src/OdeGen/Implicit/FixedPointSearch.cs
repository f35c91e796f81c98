namespace OdeGen.Implicit;

/// <summary>What one search is asked to do; the layer builds one for its forward pass and one for its backward iteration.</summary>
internal readonly record struct SearchSettings(
    FixedPointMethod Method,
    FixedPointMethod[] Fallbacks,
    int MaxIterations,
    double Tolerance,
    ResidualCriterion Criterion,
    int StallIterations,
    double DivergenceFactor,
    double Damping);

/// <summary>
/// The one loop every fixed-point solver runs in: evaluate g, measure the residual, stop on convergence, keep the best
/// iterate, detect stalls and divergence, hand over to the next solver of the chain from the best iterate, and let the
/// solver propose the next point. Anderson and Broyden only say how the next point is formed. Workspaces are allocated
/// once per length; a search allocates nothing.
/// </summary>
internal sealed class FixedPointSearch
{
    private readonly int _n;
    private readonly double[] _z, _gz, _r, _best;
    private readonly AndersonMixer _anderson;
    private readonly BroydenStepper _broyden;

    public FixedPointSearch(int length, int andersonMemory, double andersonRegularization, double andersonMixing, int broydenMemory)
    {
        _n = length;
        _z = new double[length];
        _gz = new double[length];
        _r = new double[length];
        _best = new double[length];
        _anderson = new AndersonMixer(length, andersonMemory, andersonRegularization, andersonMixing);
        _broyden = new BroydenStepper(length, broydenMemory);
    }

    /// <summary>Searches z = g(z) from <paramref name="z"/>, which receives the converged point (or, on failure, the best one seen).</summary>
    public FixedPointReport Solve<TMap>(ref TMap map, Span<double> z, in SearchSettings s)
        where TMap : struct, IVectorMap
    {
        z.CopyTo(_z);
        FixedPointMethod method = s.Method;
        int nextFallback = 0, evaluations = 0, fallbacks = 0, restarts = 0;
        double bestResidual = double.PositiveInfinity, bestRelative = double.PositiveInfinity;
        FixedPointStatus status = FixedPointStatus.NotConverged;
        bool haveBest = false;

        Reset(method);
        double first = double.NaN, solverBest = double.PositiveInfinity;
        int sinceProgress = 0;
        while (true)
        {
            if (evaluations == s.MaxIterations)
            {
                status = FixedPointStatus.NotConverged;
                break;
            }

            map.Apply(_z, _gz);
            evaluations++;
            double residual = Residual(_z, _gz, _r, out double relative);

            FixedPointStatus? failure = null;
            if (!double.IsFinite(residual))
            {
                failure = FixedPointStatus.Diverged;
            }
            else
            {
                if (residual < bestResidual)
                {
                    bestResidual = residual;
                    bestRelative = relative;
                    _z.CopyTo(_best, 0);
                    haveBest = true;
                }

                if (Meets(residual, relative, s.Criterion, s.Tolerance))
                {
                    status = FixedPointStatus.Converged;
                    break;
                }

                if (double.IsNaN(first)) first = residual;
                if (residual > s.DivergenceFactor * first)
                {
                    failure = FixedPointStatus.Diverged;
                }
                else if (residual < 0.99 * solverBest)
                {
                    solverBest = residual;
                    sinceProgress = 0;
                }
                else if (++sinceProgress >= s.StallIterations)
                {
                    failure = FixedPointStatus.Stalled;
                }
            }

            if (failure is { } failed)
            {
                status = failed;
                if (!TryNextMethod(s, method, ref nextFallback, out method)) break;
                fallbacks++;
                if (haveBest) _best.CopyTo(_z, 0);
                else z.CopyTo(_z);
                Reset(method);
                first = double.NaN;
                solverBest = double.PositiveInfinity;
                sinceProgress = 0;
                continue;
            }

            if (Propose(method, s.Damping)) restarts++;
        }

        if (status == FixedPointStatus.Converged)
        {
            _z.CopyTo(z);
            return new FixedPointReport(status, method, evaluations, bestResidual, bestRelative, fallbacks, restarts);
        }

        // Never a wrong answer with a success status: the best point seen is left, and the status says it is not a fixed point.
        if (haveBest) _best.CopyTo(z);
        return new FixedPointReport(status, method, evaluations, bestResidual, bestRelative, fallbacks, restarts);
    }

    /// <summary>
    /// r = g(z) − z; returns ‖r‖₂ and, in <paramref name="relative"/>, ‖r‖₂ / (‖g(z)‖₂ + ε): the residuals every stopping
    /// test compares, the search's and the backward pass's check that its point is a fixed point alike.
    /// </summary>
    public static double Residual(ReadOnlySpan<double> z, ReadOnlySpan<double> gz, Span<double> r, out double relative)
    {
        for (int i = 0; i < z.Length; i++) r[i] = gz[i] - z[i];
        double residual = Vectors.Norm(r);
        relative = residual / (Vectors.Norm(gz) + double.Epsilon);
        return residual;
    }

    /// <summary>The stopping test: the residual <paramref name="criterion"/> names is at most <paramref name="tolerance"/> (false for NaN).</summary>
    public static bool Meets(double residual, double relative, ResidualCriterion criterion, double tolerance) =>
        (criterion == ResidualCriterion.Absolute ? residual : relative) <= tolerance;

    private static bool TryNextMethod(in SearchSettings s, FixedPointMethod current, ref int next, out FixedPointMethod method)
    {
        while (next < s.Fallbacks.Length)
        {
            method = s.Fallbacks[next++];
            if (method != current && method != s.Method) return true;
        }

        method = current;
        return false;
    }

    private void Reset(FixedPointMethod method)
    {
        if (method == FixedPointMethod.Anderson) _anderson.Reset();
        else if (method == FixedPointMethod.Broyden) _broyden.Reset();
    }

    /// <summary>Overwrites the current point with the next one; true when the solver had to restart its history.</summary>
    private bool Propose(FixedPointMethod method, double damping)
    {
        switch (method)
        {
            case FixedPointMethod.Anderson:
                return _anderson.Next(_z, _gz, _r);
            case FixedPointMethod.Broyden:
                return _broyden.Next(_z, _r);
            default:
                Vectors.AddScaled(_z, damping, _r);
                return false;
        }
    }
}
