using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Solvers;

/// <summary>
/// The step bookkeeping every integrator shares (explicit, Rosenbrock, ESDIRK): tolerance vectors, the
/// automatic first step, landing on the end time and the smallest meaningful step. Kept in one place so the
/// methods differ only in how they compute a step, not in how they choose or bound it.
/// </summary>
internal static class StepControl
{
    /// <summary>Checks the options every integrator shares (tolerances, step bounds, controller factors).</summary>
    internal static void ValidateOptions(SolverOptions o)
    {
        // Each message is formatted only when its check fails, so a call with good options allocates nothing
        // (integrators are created per solve; the ensemble and workspace paths promise no allocation).
        static ArgumentException Invalid(string message) => new(message, "options");
        if (o.FixedStep is { } fs && !(fs > 0 && double.IsFinite(fs))) throw Invalid($"FixedStep must be positive and finite, not {o.FixedStep}.");
        if (o.FixedStep > o.MaxStep) throw Invalid($"FixedStep ({o.FixedStep}) exceeds MaxStep ({o.MaxStep}).");
        // The step loop holds every step but a last one shortened to land on t1 to MinStep: a fixed step below it failed at
        // once with StepSizeTooSmall, a failure that blamed the problem.
        if (o.FixedStep < o.MinStep) throw Invalid($"FixedStep ({o.FixedStep}) is below MinStep ({o.MinStep}): every step would be too small; lower MinStep or raise FixedStep.");
        if (!(o.RelTol >= 0 && double.IsFinite(o.RelTol))) throw Invalid($"RelTol must be finite and non-negative, not {o.RelTol}.");
        if (!(o.AbsTol >= 0 && double.IsFinite(o.AbsTol))) throw Invalid($"AbsTol must be finite and non-negative, not {o.AbsTol}.");
        if (!(o.RelTol > 0 || o.AbsTol > 0 || o.AbsTolVector is not null)) throw Invalid("RelTol and AbsTol cannot both be zero.");
        if (!(o.MaxSteps > 0)) throw Invalid($"MaxSteps must be positive, not {o.MaxSteps}.");
        if (!(o.MinStep >= 0 && double.IsFinite(o.MinStep))) throw Invalid($"MinStep must be finite and non-negative, not {o.MinStep}.");
        if (!(o.MaxStep > 0)) throw Invalid($"MaxStep must be positive, not {o.MaxStep}.");
        if (!(o.MinStep <= o.MaxStep)) throw Invalid($"MinStep ({o.MinStep}) exceeds MaxStep ({o.MaxStep}): no step could satisfy both; lower MinStep or raise MaxStep.");
        if (!(o.InitialStep is null || (o.InitialStep != 0 && double.IsFinite(o.InitialStep.Value)))) throw Invalid($"InitialStep must be finite and non-zero, not {o.InitialStep}.");
        if (!(o.Safety > 0 && o.Safety <= 1)) throw Invalid($"Safety must lie in (0, 1], not {o.Safety}.");
        if (!(o.MinFactor > 0 && o.MinFactor < 1)) throw Invalid($"MinFactor must lie in (0, 1), not {o.MinFactor}.");
        if (!(o.MaxFactor >= 1 && double.IsFinite(o.MaxFactor))) throw Invalid($"MaxFactor must be finite and at least 1, not {o.MaxFactor}.");
        // Checked here as well as by the event locator, so a bad value is refused whether or not the solve has events.
        if (o.EventInteriorPoints is < 0 or > EventLocator.MaxInteriorPoints)
            throw Invalid($"EventInteriorPoints must lie in [0, {EventLocator.MaxInteriorPoints}], not {o.EventInteriorPoints}.");
        if (o.HoldBand is { } hold && !(hold > 0 && hold <= 1)) throw Invalid($"HoldBand must lie in (0, 1], not {hold}: it is the lowest error at which an accepted step keeps its size.");
        // A pattern, not Enum.IsDefined: that reads the enum's names and values from its type's reflection cache, which the
        // runtime holds weakly, so the first integrator created after any GC allocated 240 bytes rebuilding it (seen as
        // AllocationTests.BytesAllocated_DoNotGrowWithSteps("Jvp") failing when other tests' GCs fell inside its long runs).
        if (o.Controller is not (StepSizeControl.ProportionalIntegral or StepSizeControl.Integral)) throw Invalid($"Controller must be StepSizeControl.ProportionalIntegral or Integral, not {(int)o.Controller}.");
        // An undefined norm was taken as the RMS norm (every test of it asks for Max), so a cast value solved "successfully"
        // under a norm the caller did not ask for.
        if (o.Norm is not (ErrorNorm.Rms or ErrorNorm.Max)) throw Invalid($"Norm must be ErrorNorm.Rms or ErrorNorm.Max, not {(int)o.Norm}.");
    }

    /// <summary>
    /// The absolute tolerance of each component: <see cref="SolverOptions.AbsTolVector"/> or the scalar, with a zero one (pure
    /// relative control) raised to <see cref="double.Epsilon"/>, the smallest positive double. The scale atol + rtol·|y| of a
    /// component that is exactly zero is then not zero, so its error norm term is 0/ε = 0 where it would be 0/0 = NaN (which
    /// rejected every step of a solve with a component that stays at zero); beside any normal rtol·|y| the ε rounds away, so
    /// every other scale is the one a zero tolerance gives, to the bit.
    /// </summary>
    public static double[] AbsoluteTolerances(SolverOptions options, int dimension)
    {
        var result = new double[dimension];
        if (options.AbsTolVector is not { } atol)
        {
            result.AsSpan().Fill(Math.Max(options.AbsTol, double.Epsilon));
            return result;
        }
        if (atol.Length != dimension)
            throw new ArgumentException($"AbsTolVector must have length {dimension} (the dimension of the integrated state), but has length {atol.Length}.", nameof(options));
        for (int q = 0; q < dimension; q++)
        {
            if (!(atol[q] >= 0 && double.IsFinite(atol[q])))
                throw new ArgumentException($"AbsTolVector[{q}] is {atol[q]}; absolute tolerances must be finite and non-negative.", nameof(options));
            if (atol[q] == 0 && options.RelTol == 0)
                throw new ArgumentException($"AbsTolVector[{q}] and RelTol cannot both be zero.", nameof(options));
        }
        for (int q = 0; q < dimension; q++) result[q] = Math.Max(atol[q], double.Epsilon);
        return result;
    }

    /// <summary>
    /// The smallest normal double. A component whose scale atol + rtol·|y| is below it (zero atol and y = 0: pure relative
    /// control of a zero, see <see cref="AbsoluteTolerances"/>) has no scale to measure a first step against.
    /// </summary>
    internal const double SmallestNormal = 2.2250738585072014E-308;

    /// <summary>
    /// The signed step to attempt from <paramref name="time"/>: |h| bounded by MaxStep, and the end taken
    /// exactly when it is within reach or when stopping short would leave a sliver (rounding in t, or a
    /// remainder too short to step). Stretching a step by 1e-8 of itself is harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // RegisterSteps' loop: a call there clobbers every vector register
    public static double ClampToEnd(double h, double time, double tEnd, double direction, double maxStep)
    {
        double remaining = tEnd - time, absRemaining = Math.Abs(remaining);
        double magnitude = Math.Min(Math.Abs(h), maxStep);
        if (magnitude >= absRemaining) return remaining;
        double sliver = absRemaining - magnitude;
        if (sliver <= 1e-8 * magnitude || sliver < UnitsInLastPlace(tEnd)) return remaining;
        // The usual case, h itself (direction·|h| is h when h points the right way): returned as it is, so the step size
        // does not wait for the arithmetic above on its way from one step to the next.
        if (magnitude == Math.Abs(h) && h != 0 && (h > 0) == (direction > 0)) return h;
        return direction * magnitude;
    }

    /// <summary>A step shorter than a few units in the last place of t would not move t at all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MinimumStep(double minStep, double t) => Math.Max(minStep, UnitsInLastPlace(t));

    /// <summary>Four units in the last place of |t|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UnitsInLastPlace(double t)
    {
        double at = Math.Abs(t);
        // Math.BitIncrement(at) written out for finite at ≥ 0 (the next double up is the next bit pattern): the call clobbered
        // every vector register of the step loop, which runs this at every attempt.
        double next = double.IsFinite(at) ? BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(at) + 1) : Math.BitIncrement(at);
        return 4 * (next - at);
    }

    /// <summary>
    /// Hairer, Nørsett &amp; Wanner, Solving ODEs I, II.4: a first step whose Euler error matches the tolerance,
    /// refined by one extra evaluation of F. Only the first <paramref name="controlled"/> components count, and of those only
    /// the ones with a scale (<see cref="SmallestNormal"/>): a zero under pure relative control would make the norms ∞ or NaN
    /// and the step 0 or NaN. With none, the step is Hairer's fallback 1e-6. <paramref name="y1"/> and <paramref name="f1"/> are scratch.
    /// </summary>
    public static double InitialStep<TField>(ref TField field, SolverOptions options, ReadOnlySpan<double> atol, int order,
        int controlled, double t0, double tEnd, double direction, ReadOnlySpan<double> y, ReadOnlySpan<double> f,
        Span<double> y1, Span<double> f1, ref long functionEvaluations)
        where TField : struct, IVectorField
    {
        if (options.FixedStep is { } fixedStep) return fixedStep;
        if (options.InitialStep is { } given) return Math.Abs(given);
        int n = y.Length, m = controlled, measured = 0;
        double d0 = 0, d1 = 0;
        for (int q = 0; q < m; q++)
        {
            double scale = atol[q] + options.RelTol * Math.Abs(y[q]);
            if (!(scale >= SmallestNormal)) continue;
            measured++;
            d0 += Sq(y[q] / scale);
            d1 += Sq(f[q] / scale);
        }
        d0 = Math.Sqrt(d0 / Math.Max(measured, 1));
        d1 = Math.Sqrt(d1 / Math.Max(measured, 1));
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(h0, Math.Min(Math.Abs(tEnd - t0), options.MaxStep));
        for (int q = 0; q < n; q++) y1[q] = y[q] + direction * h0 * f[q];
        functionEvaluations++;
        field.Evaluate(t0 + direction * h0, y1, f1);
        double d2 = 0;
        for (int q = 0; q < m; q++)
        {
            double scale = atol[q] + options.RelTol * Math.Abs(y[q]);
            if (!(scale >= SmallestNormal)) continue;
            d2 += Sq((f1[q] - f[q]) / scale);
        }
        d2 = Math.Sqrt(d2 / Math.Max(measured, 1)) / h0;
        if (!double.IsFinite(d2)) return h0 * 1e-3;
        double dMax = Math.Max(d1, d2);
        // The local error of a method of order p is O(h^(p+1)), hence the exponent 1/(p+1).
        double h1 = dMax <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : StepSizeController.Pow(0.01 / dMax, 1.0 / (order + 1));
        return Math.Min(100 * h0, h1);
    }

    /// <summary>True when every entry is finite. NaN and ±∞ both make x − x NaN, so one running sum detects either.</summary>
    public static bool AllFinite(ReadOnlySpan<double> v)
    {
        // x − x is 0 for a finite x and NaN otherwise, so a sum of them is 0 exactly when every x is finite, whatever the
        // order: four at a time where the hardware has it (every attempt checks all its stages), the rest one by one.
        int i = 0;
        double acc = 0;
        if (Vector256.IsHardwareAccelerated && v.Length >= Vector256<double>.Count)
        {
            ref double start = ref MemoryMarshal.GetReference(v);
            Vector256<double> sum = Vector256<double>.Zero;
            for (; i <= v.Length - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> x = Vector256.LoadUnsafe(ref start, (nuint)i);
                sum += x - x;
            }
            acc = Vector256.Sum(sum);
        }
        for (; i < v.Length; i++) acc += v[i] - v[i];
        return acc == 0;
    }

    /// <summary>Adds one scaled component error to a running <see cref="ErrorNorm"/> accumulator (start at 0).</summary>
    public static double Accumulate(double accumulator, double scaledError, ErrorNorm norm) =>
        norm == ErrorNorm.Max ? Math.Max(accumulator, Math.Abs(scaledError)) : accumulator + scaledError * scaledError;

    /// <summary>The norm of <paramref name="count"/> accumulated components (0 when there are none).</summary>
    public static double Finish(double accumulator, int count, ErrorNorm norm) =>
        count == 0 ? 0 : norm == ErrorNorm.Max ? accumulator : Math.Sqrt(accumulator / count);

    private static double Sq(double x) => x * x;

    /// <summary>
    /// Checks an integrator's <c>Interpolate(t, y)</c>: t inside the last accepted step [PreviousTime, Time] (the step's start
    /// and end included; only Time itself before any step) and y with room for the state. The continuous extension of one step
    /// extrapolated silently outside it (a number from no step, or from y0 before the first), a NaN t gave NaN, and a short y
    /// threw IndexOutOfRangeException from the stiff methods. Two compares on the hot path; the message only when it throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckInterpolation(double t, double previousTime, double time, int length, int dimension)
    {
        if (!(t >= Math.Min(previousTime, time) && t <= Math.Max(previousTime, time)) || length < dimension)
            ThrowInterpolation(t, previousTime, time, length, dimension);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInterpolation(double t, double previousTime, double time, int length, int dimension)
    {
        if (length < dimension)
            throw new ArgumentException($"y must have length at least {dimension} (the integrator's dimension), but has length {length}.", "y");
        throw new ArgumentOutOfRangeException("t", t, FormattableString.Invariant(
            $"An integrator interpolates inside its last accepted step only, [{Math.Min(previousTime, time)}, {Math.Max(previousTime, time)}] (PreviousTime to Time); keep dense output of the whole solve with Ode.Solve and SolverOptions.Dense."));
    }
}
