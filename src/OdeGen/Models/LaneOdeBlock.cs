using System.Runtime.InteropServices;
using OdeGen.Ensemble;
using OdeGen.Lanes;

namespace OdeGen.Models;

/// <summary>
/// An <see cref="OdeBlock{TSystem}"/> whose dynamics have lane methods (every generated <c>[OdeDynamics]</c> system): with a
/// fixed step, a model runs its samples through the block in SIMD lanes, one sample per lane, the lane group solved as one
/// ensemble (<see cref="Ode.Solve{TSystem}(in TSystem, EnsembleBatch, double, double, SolverOptions?, EnsembleOptions?)"/>,
/// <see cref="Ode.Gradient{TSystem}(in TSystem, EnsembleBatch, double, ReadOnlySpan{double}, ReadOnlySpan{double}, OdeGen.Sensitivity?, SolverOptions?, EnsembleOptions?)"/>)
/// with the model's θ shared by the lanes.
/// </summary>
/// <remarks>
/// Only with <see cref="SolverOptions.FixedStep"/>: an adaptive ensemble's lanes share their steps, so a sample's result
/// would depend on its neighbours at the level of the tolerance, and a model promises lanes equal to one sample at a time
/// to rounding. Forward and the discrete adjoint then step the group in lanes, through the ensemble calls, which allocate
/// their results per group; the other sensitivities run the group's samples one after another through the block's
/// per-thread workspace, as one sample at a time does (the same numbers as the ensemble call's trajectory-by-trajectory
/// path, and no allocation).
/// </remarks>
/// <typeparam name="TSystem">Lane-batched dynamics, e.g. a generated <c>{Type}.{Method}System</c>.</typeparam>
public sealed class LaneOdeBlock<TSystem> : OdeBlock<TSystem>
    where TSystem : struct, IOdeLaneSystem
{
    // One thread, the group's width, no fused steps: each lane takes exactly the steps one sample at a time would.
    private static readonly EnsembleOptions Lane512Options = new() { Width = LaneWidth.Lane512, MaxDegreeOfParallelism = 1, FusedSteps = false };
    private static readonly EnsembleOptions Lane256Options = new() { Width = LaneWidth.Lane256, MaxDegreeOfParallelism = 1, FusedSteps = false };
    private static readonly EnsembleOptions Lane128Options = new() { Width = LaneWidth.Lane128, MaxDegreeOfParallelism = 1, FusedSteps = false };
    private static readonly EnsembleOptions Lane1Options = new() { Width = LaneWidth.Lane1, MaxDegreeOfParallelism = 1, FusedSteps = false };

    [ThreadStatic]
    private static double[]? t_states;

    [ThreadStatic]
    private static double[]? t_parameters;

    [ThreadStatic]
    private static double[]? t_parameterSum;

    private readonly double[] _end;

    // Each thread's ensemble solve and discrete-adjoint gradient keep their problem, workers and results from one group to
    // the next (the same shape every time): after the first group nothing is allocated.
    private readonly ThreadLocal<LaneSolveWorkspace<TSystem>> _solves = new(() => new LaneSolveWorkspace<TSystem>());
    private readonly ThreadLocal<LaneLossGradientWorkspace<TSystem>> _gradients = new(() => new LaneLossGradientWorkspace<TSystem>());

    /// <summary>Creates the block (arguments as for <see cref="OdeBlock{TSystem}"/>).</summary>
    public LaneOdeBlock(in TSystem system, double t0, double t1, Sensitivity? sensitivity = null, SolverOptions? options = null,
        ParameterInitializer? initialize = null)
        : base(system, t0, t1, sensitivity, options, initialize) => _end = [t1];

    /// <inheritdoc/>
    /// <remarks>True with a fixed step (see the class remarks).</remarks>
    public override bool HasLanes => Options.FixedStep is not null;

    /// <inheritdoc/>
    public override void ForwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, Span<TLane> y)
    {
        RequireSample(x.Length, parameters.Length, y.Length, nameof(y));
        int lanes = TLane.Count, n = InputSize;
        (double[] states, double[] theta) = Unpack(x, parameters);
        EnsembleSolution solution = Ode.SolveReusing(System, _solves.Value!, states.AsSpan(0, lanes * n), theta.AsSpan(0, ParameterCount), T0, T1, Options,
            Ensemble<TLane>()).EnsureSuccess();
        Span<double> ys = MemoryMarshal.Cast<TLane, double>(y);
        for (int j = 0; j < lanes; j++)
        {
            ReadOnlySpan<double> final = solution.FinalState(j);
            for (int i = 0; i < n; i++) ys[(i * lanes) + j] = final[i];
        }
    }

    /// <inheritdoc/>
    /// <remarks>dL/dθ summed over the group's samples is added to lane 0 of <paramref name="parameterBar"/> (the model adds the lanes).</remarks>
    public override void BackwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> yBar,
        Span<TLane> xBar, Span<TLane> parameterBar)
    {
        RequireSample(x.Length, parameters.Length, yBar.Length, nameof(yBar));
        // The lane passes always write the input gradient: xBar is never empty here.
        if (xBar.Length != InputSize) throw SizeError(nameof(xBar), xBar.Length, InputSize, "InputSize");
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        int lanes = TLane.Count, n = InputSize;
        (double[] states, double[] theta) = Unpack(x, parameters);
        ReadOnlySpan<double> yBars = MemoryMarshal.Cast<TLane, double>(yBar);
        Span<double> dLdy = states.AsSpan(lanes * n, lanes * n);
        for (int j = 0; j < lanes; j++)
        {
            for (int i = 0; i < n; i++) dLdy[(j * n) + i] = yBars[(i * lanes) + j];
        }

        Span<double> xBars = MemoryMarshal.Cast<TLane, double>(xBar), pBars = MemoryMarshal.Cast<TLane, double>(parameterBar);
        if (Sensitivity is not DiscreteAdjointSensitivity)
        {
            // Sample by sample, as the ensemble call runs these sensitivities, with dL/dθ summed over the group in sample order.
            Span<double> sum = Grow(ref t_parameterSum, ParameterCount).AsSpan(0, ParameterCount);
            sum.Clear();
            for (int j = 0; j < lanes; j++)
            {
                Differentiate(states.AsSpan(j * n, n), theta.AsSpan(0, ParameterCount), dLdy.Slice(j * n, n), out double[] gY0, out double[] gP);
                for (int i = 0; i < n; i++) xBars[(i * lanes) + j] += gY0[i];
                for (int k = 0; k < sum.Length; k++) sum[k] += gP[k];
            }
            for (int k = 0; k < sum.Length; k++) pBars[k * lanes] += sum[k];
            return;
        }

        EnsembleGradient g = (Sensitivity is DiscreteAdjointSensitivity { StepsPerCheckpoint: 1 }
            ? Ode.GradientReusing(System, _gradients.Value!, states.AsSpan(0, lanes * n), theta.AsSpan(0, ParameterCount), T0, _end,
                loss: null, dLdy, Options, Ensemble<TLane>())
            // A checkpointed discrete adjoint: the lanes keep every step, and the public call says so.
            : Ode.Gradient(System, EnsembleBatch.Shared(states.AsSpan(0, lanes * n), theta.AsSpan(0, ParameterCount)), T0, _end, dLdy,
                Sensitivity, Options, Ensemble<TLane>())).EnsureSuccess();
        for (int j = 0; j < lanes; j++)
        {
            for (int i = 0; i < n; i++) xBars[(i * lanes) + j] += g.Y0[(j * n) + i];
        }

        double[] shared = g.SharedParameters!;
        for (int k = 0; k < ParameterCount; k++) pBars[k * lanes] += shared[k];
    }

    // The group's inputs sample-major (rows 0..lanes of this thread's state buffer; rows lanes..2·lanes hold dL/dy) and θ
    // from lane 0 of the broadcast parameters.
    private (double[] States, double[] Theta) Unpack<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters)
        where TLane : unmanaged, ILane<TLane>
    {
        int lanes = TLane.Count, n = InputSize, m = ParameterCount;
        double[] states = Grow(ref t_states, 2 * lanes * n), theta = Grow(ref t_parameters, m);
        ReadOnlySpan<double> xs = MemoryMarshal.Cast<TLane, double>(x), ps = MemoryMarshal.Cast<TLane, double>(parameters);
        for (int j = 0; j < lanes; j++)
        {
            for (int i = 0; i < n; i++) states[(j * n) + i] = xs[(i * lanes) + j];
        }

        for (int k = 0; k < m; k++) theta[k] = ps[k * lanes];
        return (states, theta);
    }

    private static EnsembleOptions Ensemble<TLane>()
        where TLane : unmanaged, ILane<TLane> => TLane.Count switch
    {
        8 => Lane512Options,
        4 => Lane256Options,
        2 => Lane128Options,
        _ => Lane1Options,
    };

    private static double[] Grow(ref double[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new double[length];
        return buffer;
    }
}
