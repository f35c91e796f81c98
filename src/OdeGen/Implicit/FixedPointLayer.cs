using OdeGen.Threading;

namespace OdeGen.Implicit;

/// <summary>
/// An implicit (deep equilibrium) layer: its output is the fixed point z* = g(z*, x; θ) of a generated function
/// <typeparamref name="TFunction"/> whose inputs are [z, x] and whose outputs are the next z. The forward pass searches
/// the fixed point (Anderson, Broyden or damped iteration, with fallbacks); the backward pass differentiates it by the
/// implicit function theorem with the function's generated VJP, in memory independent of the forward iterations.
/// </summary>
/// <remarks>
/// Sizes: the state z has <c>OutputCount</c> entries and the injected input x the rest of <c>InputCount</c>.
/// A layer owns its workspaces: use one per thread. Neither pass allocates after the layer is built.
/// </remarks>
public sealed class FixedPointLayer<TFunction>
    where TFunction : struct, IDifferentiableFunction
{
    private readonly TFunction _cell;
    private readonly int _n, _nx, _m;
    private readonly double[] _input, _p, _inputBar, _pScratch, _u, _w, _accumulated, _image;
    private readonly FixedPointSearch _forward, _backward;
    private readonly Gmres _gmres;
    private readonly SearchSettings _forwardSettings, _backwardSettings;
    private OneCallAtATime _calls;

    /// <summary>A layer over <paramref name="cell"/>, searched and differentiated as <paramref name="options"/> say.</summary>
    public FixedPointLayer(TFunction cell, FixedPointOptions? options = null)
    {
        Options = options ?? new FixedPointOptions();
        Options.Validate();
        _cell = cell;
        _n = cell.OutputCount;
        _nx = cell.InputCount - cell.OutputCount;
        _m = cell.ParameterCount;
        if (_n < 1 || _nx < 0)
        {
            throw new ArgumentException(
                $"A fixed-point cell maps [z, x] to the next z: it needs OutputCount ≥ 1 and InputCount ≥ OutputCount, but has {cell.InputCount} inputs and {cell.OutputCount} outputs.",
                nameof(cell));
        }

        _input = new double[_n + _nx];
        _inputBar = new double[_n + _nx];
        _p = new double[_m];
        _pScratch = new double[_m];
        _u = new double[_n];
        _w = new double[_n];
        _accumulated = new double[_n];
        _image = new double[_n];
        _forward = new FixedPointSearch(_n, History(Options.AndersonMemory, Options.MaxIterations, _n, nameof(Options.AndersonMemory), anderson: true),
            Options.AndersonRegularization, Options.AndersonMixing, History(Options.BroydenMemory, Options.MaxIterations, _n, nameof(Options.BroydenMemory), anderson: false));
        _backward = new FixedPointSearch(_n, History(Options.AndersonMemory, Options.BackwardMaxIterations, _n, nameof(Options.AndersonMemory), anderson: true),
            Options.AndersonRegularization, Options.AndersonMixing, 1);
        _gmres = new Gmres(_n, Options.GmresRestart);
        _forwardSettings = new SearchSettings(
            Options.Method, [.. Options.Fallbacks], Options.MaxIterations, Options.Tolerance, Options.Criterion, Options.StallIterations, Options.DivergenceFactor, Options.Damping);
        FixedPointMethod backwardMethod = Options.Backward == ImplicitBackward.Anderson ? FixedPointMethod.Anderson : FixedPointMethod.Damped;
        _backwardSettings = new SearchSettings(
            backwardMethod, [], Options.BackwardMaxIterations, Options.BackwardTolerance, ResidualCriterion.Absolute, NeverStalls(Options.BackwardMaxIterations), Options.DivergenceFactor, 1.0);
    }

    /// <summary>The settings this layer was built with.</summary>
    public FixedPointOptions Options { get; }

    /// <summary>Length of z (the cell's outputs).</summary>
    public int StateCount => _n;

    /// <summary>Length of the injected input x (the cell's inputs beyond z).</summary>
    public int InputCount => _nx;

    /// <summary>Length of θ (the cell's parameters).</summary>
    public int ParameterCount => _m;

    /// <summary>
    /// Searches z* = g(z*, x; θ) starting from <paramref name="z"/> (zeros are the usual start; the previous fixed point
    /// is a better one), which receives the fixed point. Throws a <see cref="FixedPointException"/> when the search does
    /// not converge, unless <see cref="FixedPointOptions.ThrowOnFailure"/> is false; then the report says what happened.
    /// </summary>
    public FixedPointReport Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> z)
    {
        Check(x, p, z, nameof(z));
        Enter();
        try
        {
            x.CopyTo(_input.AsSpan(_n));
            p.CopyTo(_p);
            var map = new CellMap(this);
            FixedPointReport report = _forward.Solve(ref map, z, _forwardSettings);
            if (!report.IsConverged && Options.ThrowOnFailure)
            {
                throw new FixedPointException(
                    $"The fixed-point search did not converge: {report}. Raise MaxIterations, loosen Tolerance, add Fallbacks, or make the cell contractive (smaller weights, Jacobian regularisation).");
            }

            return report;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The backward pass at a fixed point <paramref name="zStar"/> of <see cref="Forward"/> for the same x and θ:
    /// solves u = ∂L/∂z* + (∂g/∂z)ᵀu as <see cref="FixedPointOptions.Backward"/> says and accumulates
    /// xBar += uᵀ∂g/∂x, pBar += uᵀ∂g/∂θ (as generated VJPs do). Throws a <see cref="FixedPointException"/> when the
    /// linear solve does not converge, unless <see cref="FixedPointOptions.ThrowOnFailure"/> is false.
    /// </summary>
    /// <remarks>
    /// The implicit function theorem gives the gradient only at a fixed point, so the pass first measures z*'s residual
    /// with one evaluation of g, as <see cref="Forward"/> measures it (<see cref="FixedPointOptions.Criterion"/>,
    /// <see cref="FixedPointOptions.Tolerance"/>). A z* that fails the test (a <see cref="Forward"/> that did not converge,
    /// or x or θ changed since) is an <see cref="ArgumentException"/> naming <paramref name="zStar"/>; with
    /// <see cref="FixedPointOptions.ThrowOnFailure"/> false the gradient at that point is accumulated all the same (training
    /// through an inexact forward pass, as deep equilibrium models do) and the status is
    /// <see cref="FixedPointStatus.NotASolution"/>, never <see cref="FixedPointStatus.Converged"/>.
    /// </remarks>
    public ImplicitBackwardReport Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> zStar,
        ReadOnlySpan<double> zBar, Span<double> xBar, Span<double> pBar)
    {
        Check(x, p, zStar, nameof(zStar));
        if (zBar.Length != _n) throw new ArgumentException($"zBar must have length {_n} (the layer's StateCount), but has length {zBar.Length}.", nameof(zBar));
        if (xBar.Length != _nx) throw new ArgumentException($"xBar must have length {_nx} (the layer's InputCount), but has length {xBar.Length}.", nameof(xBar));
        if (pBar.Length != _m) throw new ArgumentException($"pBar must have length {_m} (the layer's ParameterCount), but has length {pBar.Length}.", nameof(pBar));
        if (!double.IsFinite(Vectors.Norm(zBar))) throw new ArgumentException("zBar holds NaN or ∞.", nameof(zBar));
        Enter();
        try
        {
            return BackwardCore(x, p, zStar, zBar, xBar, pBar);
        }
        finally
        {
            Exit();
        }
    }

    // One Forward or Backward at a time: they share the layer's buffers (_input, _p, the searches' histories), and two threads
    // in one layer mixed each other's x and θ into their fixed points or threw from inside the search.
    private void Enter() => _calls.Enter(
        "This FixedPointLayer is already running a Forward or Backward call on another thread: its calls share the layer's buffers, " +
        "so make one call at a time, or use one layer per thread.");

    private void Exit() => _calls.Exit();

    private ImplicitBackwardReport BackwardCore(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> zStar,
        ReadOnlySpan<double> zBar, Span<double> xBar, Span<double> pBar)
    {
        x.CopyTo(_input.AsSpan(_n));
        p.CopyTo(_p);

        // Is z* a fixed point for this x and θ? The forward pass's own test, on the residual it measured (the same bits for
        // the z it returned): differentiating anywhere else gave a wrong gradient marked Converged.
        zStar.CopyTo(_input);
        _cell.Evaluate(_input, _p, _image);
        double absolute = FixedPointSearch.Residual(zStar, _image, _accumulated, out double relative);
        double pointResidual = Options.Criterion == ResidualCriterion.Absolute ? absolute : relative;
        bool atFixedPoint = FixedPointSearch.Meets(absolute, relative, Options.Criterion, Options.Tolerance);
        if (!atFixedPoint && Options.ThrowOnFailure)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"zStar is not a fixed point of the cell for this x and θ: its residual ‖g(z*) − z*‖ is {absolute:G3} (relative {relative:G3}), above the forward pass's {Options.Criterion} Tolerance = {Options.Tolerance:G3}, and the implicit function theorem gives the gradient only at a fixed point. Pass the z that Forward returned converged for the same x and p."),
                nameof(zStar));
        }

        ImplicitBackwardReport report = Solve(zBar) with { PointResidual = pointResidual };
        if (!atFixedPoint) report = report with { Status = FixedPointStatus.NotASolution };
        if (!report.IsConverged && Options.ThrowOnFailure)
        {
            if (report.RoundingFloor > Options.BackwardTolerance)
            {
                throw new FixedPointException(FormattableString.Invariant(
                    $"The backward solve of the implicit layer did not converge: {report}. BackwardTolerance = {Options.BackwardTolerance:G3} is below the residual's rounding floor for this operator: I − (∂g/∂z)ᵀ is so ill-conditioned at z* that forming its product in double errs by about {report.RoundingFloor:G3}·‖∂L/∂z*‖, so no residual can certify less, and the achievable relative residual is about {report.RoundingFloor:G3}. More products cannot help, and a looser tolerance would only accept a gradient that inaccurate: make I − ∂g/∂z better conditioned at the fixed point (smaller weights, Jacobian regularisation) or check that the forward pass found an isolated fixed point."));
            }

            throw new FixedPointException(
                $"The backward solve of the implicit layer did not converge: {report}. Use Backward = Gmres, raise BackwardMaxIterations, or check that the forward pass converged (I − ∂g/∂z must be invertible).");
        }

        // xBar, pBar += uᵀ[∂g/∂x, ∂g/∂θ] at the fixed point: one generated VJP.
        Array.Clear(_inputBar);
        _cell.Vjp(_input, _p, _u, _inputBar, pBar);
        ReadOnlySpan<double> injected = _inputBar.AsSpan(_n);
        for (int i = 0; i < _nx; i++) xBar[i] += injected[i];
        return report;
    }

    /// <summary>u for the final VJP, by the chosen method, into _u.</summary>
    private ImplicitBackwardReport Solve(ReadOnlySpan<double> zBar)
    {
        double scale = Vectors.Norm(zBar);
        switch (Options.Backward)
        {
            case ImplicitBackward.Phantom:
                return Phantom(zBar);
            case ImplicitBackward.Gmres:
            {
                zBar.CopyTo(_u);   // the first Neumann term is a good start
                var a = new ResolventMap(this);
                // The residual GMRES returns is ‖∂L/∂z* − (I − ∂g/∂zᵀ)u‖ measured with a product at the u it returns, not its
                // Arnoldi estimate (which can sit far below the truth when I − ∂g/∂zᵀ is ill-conditioned): with its rounding
                // floor it alone decides Converged, and it is what the report carries.
                double tolerance = Options.BackwardTolerance * scale;
                GmresResult result = _gmres.Solve(ref a, zBar, _u, tolerance, Options.BackwardMaxIterations);
                FixedPointStatus status = result.Meets(tolerance) ? FixedPointStatus.Converged
                    : double.IsFinite(result.Residual) ? FixedPointStatus.NotConverged : FixedPointStatus.Diverged;
                return new ImplicitBackwardReport(status, ImplicitBackward.Gmres, result.Products, scale == 0 ? 0 : result.Residual / scale)
                {
                    RoundingFloor = scale == 0 ? 0 : result.RoundingFloor / scale,
                };
            }

            default:
            {
                zBar.CopyTo(_u);
                zBar.CopyTo(_w);   // the map's constant term
                var map = new NeumannMap(this);
                SearchSettings settings = _backwardSettings with { Tolerance = Math.Max(Options.BackwardTolerance * scale, double.Epsilon) };
                FixedPointReport r = _backward.Solve(ref map, _u, settings);
                return new ImplicitBackwardReport(r.Status, Options.Backward, r.Iterations, scale == 0 ? 0 : r.Residual / scale);
            }
        }
    }

    /// <summary>
    /// u = λ·Σ_{j=0}^{k−1} Aʲ·∂L/∂z* with A = (1 − λ)I + λ(∂g/∂z)ᵀ: the adjoint of k damped steps from z*, each
    /// evaluated at z* (the steps stay there).
    /// </summary>
    private ImplicitBackwardReport Phantom(ReadOnlySpan<double> zBar)
    {
        double lambda = Options.PhantomDamping;
        zBar.CopyTo(_w);
        Array.Clear(_accumulated);
        for (int j = 0; j < Options.PhantomSteps; j++)
        {
            Vectors.AddScaled(_accumulated, 1, _w);
            if (j + 1 < Options.PhantomSteps)
            {
                TransposeProduct(_w, _u);
                for (int i = 0; i < _n; i++) _w[i] = ((1 - lambda) * _w[i]) + (lambda * _u[i]);
            }
        }

        for (int i = 0; i < _n; i++) _u[i] = lambda * _accumulated[i];
        return new ImplicitBackwardReport(FixedPointStatus.Converged, ImplicitBackward.Phantom, Options.PhantomSteps - 1, 0);
    }

    /// <summary>result = (∂g/∂z)ᵀ·v at the point in _input.</summary>
    private void TransposeProduct(ReadOnlySpan<double> v, Span<double> result)
    {
        Array.Clear(_inputBar);
        Array.Clear(_pScratch);
        _cell.Vjp(_input, _p, v, _inputBar, _pScratch);
        _inputBar.AsSpan(0, _n).CopyTo(result);
    }

    // The backward iteration never stops for a stall (a linear iteration's slow phases end), so its stall count lies past
    // its budget; BackwardMaxIterations = int.MaxValue overflowed that count to int.MinValue, and the first iteration that
    // fell by less than 1 % ended the solve as Stalled.
    private static int NeverStalls(int iterations) => iterations == int.MaxValue ? int.MaxValue : iterations + 1;

    // The history a search keeps: never more entries than it has iterations (a longer memory is never filled, so the result is
    // the same bits), for Anderson never more than n + 1 (AndersonMixer.Memory: more residuals than that are dependent), and
    // refused when the buffers (memory × n, Anderson's memory² system) could not be arrays at all (int.MaxValue overflowed
    // their sizes: an OverflowException from the constructor).
    private static int History(int memory, int iterations, int n, string name, bool anderson)
    {
        int kept = Math.Min(memory, iterations);
        if (anderson) kept = AndersonMixer.Memory(kept, n);
        long size = Math.Max((long)kept * n, anderson ? (long)kept * kept : 0);
        if (size > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(name, memory,
                $"{name} = {memory} with {iterations} iterations and {n} states needs buffers of {size} entries, more than an array holds; use a smaller memory.");
        }

        return kept;
    }

    private void Check(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> z, string zName)
    {
        if (x.Length != _nx) throw new ArgumentException($"x must have length {_nx} (the cell's InputCount − OutputCount), but has length {x.Length}.", nameof(x));
        if (p.Length != _m) throw new ArgumentException($"p must have length {_m} (the cell's ParameterCount), but has length {p.Length}.", nameof(p));
        if (z.Length != _n) throw new ArgumentException($"{zName} must have length {_n} (the cell's OutputCount), but has length {z.Length}.", zName);
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i])) throw new ArgumentException($"x[{i}] is {x[i]}; inputs must be finite.", nameof(x));
        }

        // A non-finite θ was reported by Forward as a search that diverged, and Backward returned NaN gradients.
        for (int i = 0; i < p.Length; i++)
        {
            if (!double.IsFinite(p[i])) throw new ArgumentException($"p[{i}] is {p[i]}; parameters must be finite.", nameof(p));
        }

        for (int i = 0; i < z.Length; i++)
        {
            if (!double.IsFinite(z[i])) throw new ArgumentException($"{zName}[{i}] is {z[i]}; the state must be finite.", zName);
        }
    }

    /// <summary>z ↦ g(z, x; θ) with x and θ as copied into the layer.</summary>
    private readonly struct CellMap(FixedPointLayer<TFunction> layer) : IVectorMap
    {
        public void Apply(ReadOnlySpan<double> point, Span<double> image)
        {
            point.CopyTo(layer._input);
            layer._cell.Evaluate(layer._input, layer._p, image);
        }
    }

    /// <summary>u ↦ ∂L/∂z* + (∂g/∂z)ᵀu, whose fixed point is the implicit function theorem's u (constant term in _w).</summary>
    private readonly struct NeumannMap(FixedPointLayer<TFunction> layer) : IVectorMap
    {
        public void Apply(ReadOnlySpan<double> point, Span<double> image)
        {
            layer.TransposeProduct(point, image);
            for (int i = 0; i < image.Length; i++) image[i] += layer._w[i];
        }
    }

    /// <summary>u ↦ (I − (∂g/∂z)ᵀ)u, the operator GMRES inverts.</summary>
    private readonly struct ResolventMap(FixedPointLayer<TFunction> layer) : ILinearMap
    {
        public void Apply(ReadOnlySpan<double> x, Span<double> result)
        {
            layer.TransposeProduct(x, result);
            for (int i = 0; i < result.Length; i++) result[i] = x[i] - result[i];
        }
    }
}
