using OdeGen.Lanes;

namespace OdeGen.Models;

/// <summary>
/// Any generated <c>[Differentiable]</c> function as a layer: Forward is its Evaluate, Backward its Vjp. Generic over the
/// struct, so the JIT inlines the generated code and nothing is boxed.
/// </summary>
/// <typeparam name="TFunction">The generated <c>{Type}.{M}Function</c> (or any struct implementing the interface).</typeparam>
public class FunctionLayer<TFunction> : Layer
    where TFunction : struct, IDifferentiableFunction
{
    private readonly TFunction _function;

    /// <summary>Wraps <paramref name="function"/>, its parameters one block called "p" unless <paramref name="shapes"/> names them.</summary>
    /// <exception cref="ArgumentException">The shapes do not add up to the function's parameter count.</exception>
    public FunctionLayer(in TFunction function, params ParameterShape[] shapes)
        : base(function.InputCount, function.OutputCount,
               (shapes ?? throw new ArgumentNullException(nameof(shapes))).Length > 0 ? shapes : DefaultShapes(function.ParameterCount))
    {
        if (ParameterCount != function.ParameterCount)
            throw new ArgumentException($"The parameter shapes hold {ParameterCount} entries; the function has {function.ParameterCount} parameters.", nameof(shapes));
        _function = function;
    }

    /// <summary>The wrapped function.</summary>
    public TFunction Function => _function;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A span's length is not the layer's size (the message names it).</exception>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireSample(x.Length, parameters.Length, y.Length, nameof(y));
        RequireApart(x, y, nameof(x), nameof(y));
        RequireApart(parameters, y, nameof(parameters), nameof(y));
        _function.Evaluate(x, parameters, y);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A span's length is not the layer's size (the message names it).</exception>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireSample(x.Length, parameters.Length, yBar.Length, nameof(yBar));
        RequireBars(1, xBar.Length, parameterBar.Length);
        RequireBarsApart(x, parameters, xBar, parameterBar);
        _function.Vjp(x, parameters, yBar, xBar, parameterBar);
    }

    private static ParameterShape[] DefaultShapes(int count) => count == 0 ? [] : [new ParameterShape("p", count)];
}

/// <summary>
/// A generated function with lane methods as a layer (every double <c>[Differentiable]</c> method's struct has them): besides
/// Evaluate and Vjp, a model runs its samples through EvaluateLanes and VjpLanes, one sample per SIMD lane.
/// </summary>
/// <typeparam name="TFunction">The generated <c>{Type}.{M}Function</c>.</typeparam>
public class LaneFunctionLayer<TFunction> : FunctionLayer<TFunction>
    where TFunction : struct, IDifferentiableLaneFunction
{
    /// <summary>Wraps <paramref name="function"/> (see <see cref="FunctionLayer{TFunction}"/>).</summary>
    public LaneFunctionLayer(in TFunction function, params ParameterShape[] shapes)
        : base(function, shapes)
    {
    }

    /// <inheritdoc/>
    public override bool HasLanes => true;

    /// <inheritdoc/>
    public override void ForwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, Span<TLane> y)
    {
        RequireSample(x.Length, parameters.Length, y.Length, nameof(y));
        RequireApart(x, y, nameof(x), nameof(y));
        RequireApart(parameters, y, nameof(parameters), nameof(y));
        Function.EvaluateLanes(x, parameters, y);
    }

    /// <inheritdoc/>
    public override void BackwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> yBar,
        Span<TLane> xBar, Span<TLane> parameterBar)
    {
        RequireSample(x.Length, parameters.Length, yBar.Length, nameof(yBar));
        RequireBars(1, xBar.Length, parameterBar.Length);
        RequireBarsApart(x, parameters, xBar, parameterBar);
        Function.VjpLanes(x, parameters, yBar, xBar, parameterBar);
    }
}
