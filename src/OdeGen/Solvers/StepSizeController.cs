using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// Proportional–integral step-size control (Gustafsson; Hairer &amp; Wanner, Solving ODEs II, IV.2):
/// the next step is h·safety·err^(−α)·errPrev^(β), clamped to [MinFactor, MaxFactor], and never grows
/// right after a rejection; with <see cref="StepSizeControl.Integral"/>, β = 0 and α = 1/q (torchdiffeq's, SciPy's). With a
/// <see cref="SolverOptions.HoldBand"/> b, an accepted step whose error lies in [b, 1] keeps its size, decided before any power.
/// The stepper only reports the error; this decides. The powers are <see cref="Pow(double, double)"/>'s, not Math.Pow's: the same bits on
/// every platform and for the per-lane ensembles' lanes.
/// </summary>
internal struct StepSizeController
{
    private readonly double _alpha, _beta, _safety, _minFactor, _maxFactor, _holdFrom;
    private double _previousError;
    private bool _lastRejected;
    // DecideAccumulated's: the norm it finishes, and the accumulators whose norm lies in the hold band (none: +∞ and −∞).
    private ErrorNorm _norm;
    private int _components;
    private double _holdFromAccumulator, _holdToAccumulator;

    public StepSizeController(SolverOptions options, ButcherTableau tableau)
        // The error estimate is O(h^(q)) with q = min(order, error order) + 1.
        // Hairer's combined estimate of DOP853 behaves like O(h^(order)): his exponent is 1/8 for the 8th-order method.
        : this(options, tableau.SecondErrorWeights is not null
            ? tableau.Order
            : Math.Min(tableau.Order, Math.Max(tableau.ErrorOrder, 1)) + 1)
    {
    }

    /// <summary>A controller for an error estimate that behaves like O(h^q).</summary>
    public StepSizeController(SolverOptions options, double q)
    {
        (_alpha, _beta) = options.Controller == StepSizeControl.Integral ? (1.0 / q, 0.0) : (0.7 / q, 0.4 / q);
        _safety = options.Safety;
        _minFactor = options.MinFactor;
        _maxFactor = options.MaxFactor;
        _holdFrom = options.HoldBand ?? double.PositiveInfinity;   // +∞: no error is in the band
        _previousError = 1e-4;
        _lastRejected = false;
        LastWasNonFinite = false;
        _norm = options.Norm;
        _components = 0;
        _holdFromAccumulator = double.PositiveInfinity;
        _holdToAccumulator = double.NegativeInfinity;
    }

    /// <summary>
    /// Readies <see cref="DecideAccumulated"/> for error norms of <paramref name="components"/> components under
    /// <paramref name="norm"/>: finds the accumulators whose <see cref="StepControl.Finish"/> lies in the hold band [b, 1].
    /// Finish is monotone in the accumulator (a correctly rounded division and root), so the band is an interval of
    /// accumulators, and its ends are found from b²·n and n by stepping a few doubles up or down.
    /// </summary>
    public void AccumulateOver(int components, ErrorNorm norm)
    {
        _norm = norm;
        _components = components;
        _holdFromAccumulator = double.PositiveInfinity;
        _holdToAccumulator = double.NegativeInfinity;
        if (components <= 0 || double.IsPositiveInfinity(_holdFrom)) return;   // no band: every decision takes the powers' path
        double from = SmallestAccumulatorReaching(_holdFrom), to = LargestAccumulatorWithin(1.0);
        if (double.IsFinite(from) && double.IsFinite(to)) (_holdFromAccumulator, _holdToAccumulator) = (from, to);
    }

    private readonly double Finish(double accumulator) => StepControl.Finish(accumulator, _components, _norm);

    // The accumulator whose norm is about `error` (n·error² for the RMS norm, error for the max norm), where the searches start.
    private readonly double AccumulatorNear(double error) => _norm == ErrorNorm.Max ? error : error * error * _components;

    // The least accumulator x with Finish(x) ≥ limit; +∞ if the search does not settle (it takes a few steps: the start is
    // within a few units in the last place).
    private readonly double SmallestAccumulatorReaching(double limit)
    {
        double x = AccumulatorNear(limit);
        for (int i = 0; i < 64 && Finish(x) < limit; i++) x = Math.BitIncrement(x);
        for (int i = 0; i < 64 && Finish(Math.BitDecrement(x)) >= limit; i++) x = Math.BitDecrement(x);
        return Finish(x) >= limit && Finish(Math.BitDecrement(x)) < limit ? x : double.PositiveInfinity;
    }

    // The greatest accumulator x with Finish(x) ≤ limit; −∞ if the search does not settle.
    private readonly double LargestAccumulatorWithin(double limit)
    {
        double x = AccumulatorNear(limit);
        for (int i = 0; i < 64 && Finish(x) > limit; i++) x = Math.BitDecrement(x);
        for (int i = 0; i < 64 && Finish(Math.BitIncrement(x)) <= limit; i++) x = Math.BitIncrement(x);
        return Finish(x) <= limit && Finish(Math.BitIncrement(x)) > limit ? x : double.NegativeInfinity;
    }

    /// <summary>True when the latest rejection was caused by a non-finite value rather than a large error.</summary>
    public bool LastWasNonFinite { get; private set; }

    public void Reset()
    {
        _previousError = 1e-4;
        _lastRejected = false;
        LastWasNonFinite = false;
    }

    /// <summary>α of err^(−α).</summary>
    public readonly double Alpha => _alpha;
    /// <summary>β of errPrev^β (0 for integral control).</summary>
    public readonly double Beta => _beta;
    /// <summary>errPrev, the last accepted step's error (at least 1e-4).</summary>
    public readonly double PreviousError => _previousError;

    /// <summary>What <see cref="Decide(double, double, double, double, out double)"/> takes to the power −α: the error where it is
    /// positive and finite, 1 (a power never used) where it is 0, +∞ or NaN.</summary>
    public static double PowerArgument(double error) => error > 0 && error < double.PositiveInfinity ? error : 1.0;

    /// <summary>Accept or reject a step of size h with scaled error norm <paramref name="error"/> (NaN: non-finite).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Decide(double error, double h, out double hNext)
    {
        // Tested ahead of the powers, inline: a step in the band leaves the next step's size waiting on nothing but this
        // branch, and calls nothing (a call clobbers every vector register of RegisterSteps' loop).
        if (error >= _holdFrom && error <= 1.0) return Hold(error, h, out hNext);
        return DecideWithPowers(error, h, out hNext);
    }

    /// <summary>
    /// <see cref="Decide(double, double, out double)"/> of the error <see cref="StepControl.Finish"/>(<paramref name="accumulator"/>)
    /// (NaN: non-finite), after <see cref="AccumulateOver"/>: the same decision and the same bits. The hold band is tested on
    /// the accumulator itself, so a step in the band does not wait for the norm's division and root on its way to the next
    /// step (RegisterSteps' loop: 3–5 % of a Lorenz solve with the band).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool DecideAccumulated(double accumulator, double h, out double hNext)
    {
        if (accumulator >= _holdFromAccumulator && accumulator <= _holdToAccumulator) return Hold(Finish(accumulator), h, out hNext);
        return DecideWithPowers(Finish(accumulator), h, out hNext);
    }

    // Out of line: inlined into RegisterSteps' loop, the power's many small helpers ran the JIT out of its inlining budget.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool DecideWithPowers(double error, double h, out double hNext)
    {
        (double errorPower, double previousPower) = Pow(PowerArgument(error), -_alpha, _previousError, _beta);
        return Decide(error, h, errorPower, _beta == 0 ? 1.0 : previousPower, out hNext);
    }

    /// <summary>
    /// x0^a0 and x1^a1 (as <see cref="Pow(double, double)"/>) in one 128-bit register, for the price of about one: the
    /// kernel's lanes are independent, so each gets the bits Pow gives it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double, double) Pow(double x0, double a0, double x1, double a1)
    {
        Vector128<double> powers = LaneMath.PowPositive(new Lane128(Vector128.Create(x0, x1)), new Lane128(Vector128.Create(a0, a1))).Value;
        return (powers.GetElement(0), powers.GetElement(1));
    }

    /// <summary>
    /// <see cref="Decide(double, double, out double)"/> with its powers computed by the caller (the per-lane ensembles compute
    /// a register of lanes' powers at once, with the same kernel, so the same bits): <paramref name="errorPower"/> =
    /// Pow(PowerArgument(error), −Alpha), <paramref name="previousPower"/> = Pow(PreviousError, Beta), or 1 when Beta = 0.
    /// </summary>
    public bool Decide(double error, double h, double errorPower, double previousPower, out double hNext)
    {
        if (error >= _holdFrom && error <= 1.0) return Hold(error, h, out hNext);
        if (double.IsNaN(error))
        {
            // f blew up somewhere in the step: retreat hard, as a large error would.
            LastWasNonFinite = true;
            _lastRejected = true;
            hNext = h * _minFactor;
            return false;
        }
        LastWasNonFinite = false;
        if (error <= 1.0)
        {
            // Integral control (β = 0) has previousPower = 1: errPrev^0 is 1 for every errPrev, and x·1 is x.
            double factor = error == 0 ? _maxFactor : _safety * errorPower * previousPower;
            factor = Math.Clamp(factor, _minFactor, _lastRejected ? 1.0 : _maxFactor);
            _previousError = Math.Max(error, 1e-4);
            _lastRejected = false;
            hNext = h * factor;
            return true;
        }
        // +∞ (an error norm that overflowed) shrinks by the most, as ∞^(−α) = 0 would.
        double shrink = double.IsPositiveInfinity(error) ? _minFactor : Math.Max(_minFactor, _safety * errorPower);
        _lastRejected = true;
        hNext = h * shrink;
        return false;
    }

    // An accepted step in the hold band: the next step has this one's size (not grown after a rejection either: factor 1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Hold(double error, double h, out double hNext)
    {
        LastWasNonFinite = false;
        _previousError = Math.Max(error, 1e-4);
        _lastRejected = false;
        hNext = h;
        return true;
    }

    /// <summary>
    /// xᵃ for positive finite x and |a| ≤ 1 (the controller's and the initial step's case; error = 0 and NaN are handled
    /// before): <see cref="LaneMath.PowPositive{T}"/>, within 2 ulp of Math.Pow (PowPositiveTests) and built
    /// from IEEE 754's exact operations only, so the step sequences are the same on every platform and a lane-wide
    /// controller computes the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    // Run in a 128-bit register, lane 0: the same bits as at Lane1 (PowPositiveTests), in about two thirds of the time
    // (Lane1's selects and exponent-field operations go through general-purpose registers).
    public static double Pow(double x, double a) =>
        LaneMath.PowPositive(new Lane128(Vector128.Create(x)), new Lane128(Vector128.Create(a))).Value.ToScalar();
}
