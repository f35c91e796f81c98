using OdeGen.Solvers;

namespace OdeGen.Implicit;

/// <summary>
/// Equilibria of dy/dt = f(y, θ) and their gradients. The search is Newton's method with the generated Jacobian
/// (dense LU up to <see cref="SteadyStateOptions.DenseLimit"/> states, GMRES on generated JVPs above), optionally
/// after integrating towards the attractor; the gradient of a loss L(y*) follows from the implicit function theorem:
/// f(y*, θ) = 0 gives dL/dθ = −λᵀ∂f/∂θ with (∂f/∂y)ᵀλ = ∂L/∂y*, one linear solve and one generated VJP.
/// </summary>
public static class SteadyState
{
    /// <summary>
    /// Searches f(y*, θ) = 0 from <paramref name="y"/>, which receives y*. Throws a <see cref="FixedPointException"/>
    /// on failure unless <see cref="SteadyStateOptions.ThrowOnFailure"/> is false; then the report says what happened
    /// and <paramref name="y"/> holds the best point found.
    /// </summary>
    public static SteadyStateReport Solve<TSystem>(in TSystem system, Span<double> y, ReadOnlySpan<double> p, SteadyStateOptions? options = null)
        where TSystem : struct, IOdeSystem
    {
        options ??= new SteadyStateOptions();
        options.Validate();
        StateAndParameters(system, y, p, nameof(y));
        var work = new Workspace<TSystem>(system, p, options);
        double integrated = 0;
        SteadyStateReport report;
        if (options.Method == SteadyStateMethod.Integrate && !work.Integrate(y, out integrated, out report))
        {
            return Finish(report, options);
        }

        report = work.Newton(y) with { IntegratedTime = integrated, Method = options.Method };
        return Finish(report, options);
    }

    /// <summary>
    /// Accumulates pBar += dL/dθ at a steady state <paramref name="yStar"/> for a loss with ∂L/∂y* = <paramref name="dLdy"/>.
    /// Throws a <see cref="FixedPointException"/> when ∂f/∂y is singular there (the equilibrium is not isolated, so
    /// its derivative does not exist) or the linear solve fails, unless <see cref="SteadyStateOptions.ThrowOnFailure"/> is false.
    /// </summary>
    /// <remarks>
    /// The implicit function theorem gives the gradient only at an equilibrium, so the call first measures ‖f(y*, θ)‖ with
    /// one evaluation and compares it with <see cref="SteadyStateOptions.Tolerance"/>, as <see cref="Solve"/> does. A point
    /// that fails (a search that did not converge, or θ changed since) is an <see cref="ArgumentException"/> naming
    /// <paramref name="yStar"/>; with <see cref="SteadyStateOptions.ThrowOnFailure"/> false the report says
    /// <see cref="FixedPointStatus.NotASolution"/> and <paramref name="pBar"/> is left as it was, as for the other failures.
    /// </remarks>
    public static SteadyStateGradientReport Gradient<TSystem>(in TSystem system, ReadOnlySpan<double> yStar, ReadOnlySpan<double> p,
        ReadOnlySpan<double> dLdy, Span<double> pBar, SteadyStateOptions? options = null)
        where TSystem : struct, IOdeSystem
    {
        options ??= new SteadyStateOptions();
        options.Validate();
        StateAndParameters(system, yStar, p, nameof(yStar));
        Guard.FiniteVector(dLdy, system.StateCount, nameof(dLdy), "StateCount");
        if (pBar.Length != system.ParameterCount)
            throw new ArgumentException($"pBar must have length {system.ParameterCount} (the system's ParameterCount), but has length {pBar.Length}.", nameof(pBar));
        var work = new Workspace<TSystem>(system, p, options);
        // Is y* an equilibrium for this θ? Solve's own test; differentiating anywhere else gave a wrong gradient marked Converged.
        double pointResidual = work.Residual(yStar);
        if (!(pointResidual <= options.Tolerance))
        {
            if (options.ThrowOnFailure)
            {
                throw new ArgumentException(FormattableString.Invariant(
                    $"yStar is not a steady state for this θ: ‖f(y*, θ)‖ = {pointResidual:G3} is above Tolerance = {options.Tolerance:G3}, and the implicit function theorem gives the gradient only at an equilibrium. Pass the y that SteadyState.Solve returned converged for the same p and options."),
                    nameof(yStar));
            }

            return new SteadyStateGradientReport(FixedPointStatus.NotASolution, work.IsDense, 0, double.NaN) { PointResidual = pointResidual };
        }

        SteadyStateGradientReport report = work.Adjoint(yStar, dLdy) with { PointResidual = pointResidual };
        if (!report.IsConverged)
        {
            if (options.ThrowOnFailure && report.RoundingFloor > options.GradientTolerance)
            {
                throw new FixedPointException(FormattableString.Invariant(
                    $"The steady-state gradient's linear solve failed: {report}. Its tolerance {options.GradientTolerance:G3} is below the residual's rounding floor for this Jacobian: ∂f/∂y is so ill-conditioned at this point that forming (∂f/∂y)ᵀλ in double errs by about {report.RoundingFloor:G3}·‖∂L/∂y*‖, so no residual can certify less, and the achievable relative residual is about {report.RoundingFloor:G3}. A looser LinearTolerance would only accept a gradient that inaccurate: check that this is an isolated, well-conditioned equilibrium (rescale the states or parameters if their magnitudes differ widely)."));
            }

            if (options.ThrowOnFailure)
                throw new FixedPointException($"The steady-state gradient's linear solve failed: {report}. ∂f/∂y is singular or ill-conditioned at this point; check that it is an isolated equilibrium.");
            return report;
        }

        // pBar += (−λ)ᵀ∂f/∂θ (the state part of the VJP is not needed: y* does not depend on the guess).
        for (int i = 0; i < work.Lambda.Length; i++) work.Lambda[i] = -work.Lambda[i];
        Array.Clear(work.YScratch);
        work.System.Vjp(options.Time, yStar, p, work.Lambda, work.YScratch, pBar);
        return report;
    }

    // Guard.StateAndParameters names the state y0, an argument these methods do not have: a NaN in y or yStar was refused
    // as "y0".
    private static void StateAndParameters<TSystem>(in TSystem system, ReadOnlySpan<double> y, ReadOnlySpan<double> p, string yName)
        where TSystem : struct, IOdeSystem
    {
        Guard.Sizes(system);
        Guard.FiniteVector(y, system.StateCount, yName, "StateCount");
        Guard.FiniteVector(p, system.ParameterCount, nameof(p), "ParameterCount");
    }

    private static SteadyStateReport Finish(SteadyStateReport report, SteadyStateOptions options)
    {
        if (!report.IsConverged && options.ThrowOnFailure)
        {
            throw new FixedPointException(
                $"No steady state found: {report}. Try Method = Integrate from this guess, a better guess, more MaxNewtonIterations, or a looser Tolerance.");
        }

        return report;
    }

    /// <summary>The buffers of one call and the two algorithms over them.</summary>
    private sealed class Workspace<TSystem>
        where TSystem : struct, IOdeSystem
    {
        public readonly TSystem System;
        public readonly double[] Lambda, YScratch;
        private readonly double[] _p, _f, _trial, _fTrial, _step, _dfdy, _dfdp, _zeroP, _pScratch;
        private readonly int[] _pivots;
        private readonly int _n;
        private readonly bool _dense;
        private readonly SteadyStateOptions _options;
        private readonly Gmres _gmres;
        private int _products;
        private GmresResult _linear;      // the last Krylov solve's result
        private double _jacobianNorm;     // the largest column norm of the last dense Jacobian: a lower estimate of ‖∂f/∂y‖₂

        /// <summary>True when linear solves go by dense LU, false for GMRES.</summary>
        public bool IsDense => _dense;

        /// <summary>‖f(y, θ)‖₂, the residual Newton drives to <see cref="SteadyStateOptions.Tolerance"/>.</summary>
        public double Residual(ReadOnlySpan<double> y) => Residual(y, _f);

        public Workspace(TSystem system, ReadOnlySpan<double> p, SteadyStateOptions options)
        {
            System = system;
            _options = options;
            _n = system.StateCount;
            int m = system.ParameterCount;
            _p = p.ToArray();
            _f = new double[_n];
            _trial = new double[_n];
            _fTrial = new double[_n];
            _step = new double[_n];
            Lambda = new double[_n];
            YScratch = new double[_n];
            _zeroP = new double[m];
            _pScratch = new double[m];
            // Dense only while its matrices fit arrays (n² and n·m entries): past that GMRES, whatever DenseLimit says
            // (DenseLimit = int.MaxValue overflowed the sizes).
            _dense = _n <= options.DenseLimit && (long)_n * _n <= Array.MaxLength && (long)_n * m <= Array.MaxLength;
            _dfdy = _dense ? new double[_n * _n] : [];
            _dfdp = _dense ? new double[_n * m] : [];
            _pivots = new int[_n];
            _gmres = new Gmres(_n, options.GmresRestart);
        }

        /// <summary>Integrates over doubling horizons until ‖f‖ ≤ PolishBelow; false (with a report) when that fails.</summary>
        public bool Integrate(Span<double> y, out double time, out SteadyStateReport report)
        {
            SolverOptions solver = _options.Solver ?? new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
            double t = _options.Time, horizon = _options.InitialHorizon;
            time = 0;
            while (true)
            {
                double residual = Residual(y, _f);
                if (residual <= _options.PolishBelow || residual <= _options.Tolerance)
                {
                    report = default;
                    return true;
                }

                if (time >= _options.MaxTime || !double.IsFinite(residual))
                {
                    report = new SteadyStateReport(double.IsFinite(residual) ? FixedPointStatus.NotConverged : FixedPointStatus.Diverged,
                        SteadyStateMethod.Integrate, 0, 0, residual, time);
                    return false;
                }

                OdeSolution solution = Ode.Solve(System, y, _p, t, t + horizon, solver);
                if (!solution.IsSuccess)
                {
                    report = new SteadyStateReport(FixedPointStatus.Diverged, SteadyStateMethod.Integrate, 0, 0, residual, time + (solution.FinalTime - t));
                    return false;
                }

                solution.FinalState.CopyTo(y);
                t += horizon;
                time += horizon;
                horizon *= 2;
            }
        }

        /// <summary>Newton with backtracking on ‖f‖ from y (overwritten with the best point).</summary>
        public SteadyStateReport Newton(Span<double> y)
        {
            double residual = Residual(y, _f);
            int iterations = 0;
            _products = 0;
            while (true)
            {
                if (!double.IsFinite(residual)) return Report(FixedPointStatus.Diverged, iterations, residual);
                if (residual <= _options.Tolerance) return Report(FixedPointStatus.Converged, iterations, residual);
                if (iterations == _options.MaxNewtonIterations) return Report(FixedPointStatus.NotConverged, iterations, residual);
                iterations++;

                // J·δ = −f.
                for (int i = 0; i < _n; i++) _step[i] = -_f[i];
                if (!SolveJacobian(y, _step, transpose: false)) return Report(FixedPointStatus.Stalled, iterations, residual);

                // Backtracking: the full step, then halves, until ‖f‖ decreases sufficiently (Armijo on ½‖f‖²).
                double scale = 1;
                bool accepted = false;
                for (int halvings = 0; halvings < 30 && !accepted; halvings++, scale *= 0.5)
                {
                    for (int i = 0; i < _n; i++) _trial[i] = y[i] + (scale * _step[i]);
                    double trial = Residual(_trial, _fTrial);
                    if (double.IsFinite(trial) && trial <= (1 - (1e-4 * scale)) * residual)
                    {
                        _trial.CopyTo(y);
                        _fTrial.CopyTo(_f, 0);
                        residual = trial;
                        accepted = true;
                    }
                }

                if (!accepted) return Report(FixedPointStatus.Stalled, iterations, residual);
            }
        }

        /// <summary>λ with (∂f/∂y)ᵀλ = dLdy at yStar, into <see cref="Lambda"/>.</summary>
        public SteadyStateGradientReport Adjoint(ReadOnlySpan<double> yStar, ReadOnlySpan<double> dLdy)
        {
            dLdy.CopyTo(Lambda);
            _products = 0;
            bool solved = SolveJacobian(yStar, Lambda, transpose: true);
            double scale = Vectors.Norm(dLdy);
            if (!solved) return new SteadyStateGradientReport(FixedPointStatus.Stalled, _dense, _products, double.NaN);

            double residual, floor;
            if (_dense)
            {
                // LU reports no residual: measure it with one more product (cheap next to the factorisation).
                TransposeProduct(yStar, Lambda, _trial);
                for (int i = 0; i < _n; i++) _trial[i] -= dLdy[i];
                residual = Vectors.Norm(_trial);
                floor = ResidualFloor.Of(scale, _jacobianNorm, Vectors.Norm(Lambda));
            }
            else
            {
                // GMRES measured ‖dLdy − (∂f/∂y)ᵀλ‖ at the λ it returned, with this same VJP at y* and this same norm (of the
                // exact negation of the vector measured here before): a second product would give the same bits.
                residual = _linear.Residual;
                floor = _linear.RoundingFloor;
            }

            bool ok = ResidualFloor.Certifies(residual, floor, _options.GradientTolerance * scale);
            return new SteadyStateGradientReport(ok ? FixedPointStatus.Converged : FixedPointStatus.NotConverged, _dense, _products,
                scale == 0 ? 0 : residual / scale)
            {
                RoundingFloor = scale == 0 ? 0 : floor / scale,
            };
        }

        private double Residual(ReadOnlySpan<double> y, Span<double> f)
        {
            System.Evaluate(_options.Time, y, _p, f);
            return Vectors.Norm(f);
        }

        /// <summary>Solves J·x = b (or Jᵀ·x = b) at y in place; false when J is singular or the Krylov solve fails.</summary>
        private bool SolveJacobian(ReadOnlySpan<double> y, Span<double> b, bool transpose)
        {
            if (_dense)
            {
                System.Jacobian(_options.Time, y, _p, _dfdy, _dfdp);
                _jacobianNorm = LargestColumnNorm(_dfdy, _n);
                if (transpose)
                {
                    for (int i = 0; i < _n; i++)
                    {
                        for (int j = i + 1; j < _n; j++) (_dfdy[(i * _n) + j], _dfdy[(j * _n) + i]) = (_dfdy[(j * _n) + i], _dfdy[(i * _n) + j]);
                    }
                }

                if (!DenseLU.Factor(_dfdy, _n, _pivots)) return false;
                DenseLU.Solve(_dfdy, _n, _pivots, b);
                foreach (double v in b)
                {
                    if (!double.IsFinite(v)) return false;
                }

                return true;
            }

            b.CopyTo(_fTrial);
            b.Clear();
            double tolerance = _options.LinearTolerance * Vectors.Norm(_fTrial);
            y.CopyTo(YScratch);
            if (transpose)
            {
                var map = new TransposeJacobianMap(this);
                _linear = _gmres.Solve(ref map, _fTrial, b, tolerance, _options.LinearMaxIterations);
            }
            else
            {
                var map = new JacobianMap(this);
                _linear = _gmres.Solve(ref map, _fTrial, b, tolerance, _options.LinearMaxIterations);
            }

            _products += _linear.Products;
            // An inexact Newton step is still a descent direction when the solve got most of the way.
            return double.IsFinite(_linear.Residual) && _linear.Residual <= Math.Max(tolerance, 1e-3 * Vectors.Norm(_fTrial));
        }

        /// <summary>max_j ‖column j‖₂ of an n×n row-major matrix: ‖A·e_j‖ ≤ ‖A‖₂, so a lower estimate of the 2-norm.</summary>
        private static double LargestColumnNorm(ReadOnlySpan<double> a, int n)
        {
            double largest = 0;
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += a[(i * n) + j] * a[(i * n) + j];
                largest = Math.Max(largest, Math.Sqrt(s));
            }

            return largest;
        }

        private void TransposeProduct(ReadOnlySpan<double> y, ReadOnlySpan<double> v, Span<double> result)
        {
            result.Clear();
            Array.Clear(_pScratch);
            System.Vjp(_options.Time, y, _p, v, result, _pScratch);
        }

        private SteadyStateReport Report(FixedPointStatus status, int iterations, double residual) =>
            new(status, SteadyStateMethod.Newton, iterations, _products, residual, 0);

        /// <summary>v ↦ (∂f/∂y)·v at the point in YScratch, by a generated JVP.</summary>
        private readonly struct JacobianMap(Workspace<TSystem> w) : ILinearMap
        {
            public void Apply(ReadOnlySpan<double> x, Span<double> result) =>
                w.System.Jvp(w._options.Time, w.YScratch, w._p, 0, x, w._zeroP, w._trial, result);
        }

        /// <summary>v ↦ (∂f/∂y)ᵀ·v at the point in YScratch, by a generated VJP.</summary>
        private readonly struct TransposeJacobianMap(Workspace<TSystem> w) : ILinearMap
        {
            public void Apply(ReadOnlySpan<double> x, Span<double> result) => w.TransposeProduct(w.YScratch, x, result);
        }
    }
}
