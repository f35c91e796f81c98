// The probed systems the silos register (ClusterFixture's LorenzSilo), by the names the tests use.
global using CountingLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.EvaluationCounter>;
global using HeldLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.EvaluationGate>;
global using SlowLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.EvaluationDelay>;
global using PrimaryLossLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.PrimaryLossGate>;
global using JoinLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.JoinGate>;
global using LorenzA = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.ClientAProbe>;
global using LorenzB = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.ClientBProbe>;
global using ThrowingLorenz = OdeGen.Orleans.Tests.ProbedLorenz<OdeGen.Orleans.Tests.NegativeSigmaThrows>;

using OdeGen.Lanes;

namespace OdeGen.Orleans.Tests;

/// <summary>What a <see cref="ProbedLorenz{TProbe}"/> does before each lane evaluation.</summary>
public interface ILaneEvaluationProbe
{
    static abstract void Evaluating();

    /// <summary>Sees the parameters of each lane evaluation (after <see cref="Evaluating"/>); nothing by default.</summary>
    static virtual void Parameters<TLane>(ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILane<TLane>
    {
    }
}

/// <summary>
/// The generated Lorenz with a probe called before each lane evaluation. The TestingHost silos run in the test's process,
/// so a static probe lets the test see (<see cref="EvaluationCounter"/>) or hold (<see cref="EvaluationGate"/>) what a
/// silo's worker is solving. Each probe is its own system type, registered on the silos under its own name, so a test
/// that holds evaluations does not hold another test's.
/// </summary>
public readonly struct ProbedLorenz<TProbe> : IOdeLaneSystem
    where TProbe : ILaneEvaluationProbe
{
    private static readonly Lorenz.RhsSystem Inner = default;

    public int StateCount => Inner.StateCount;
    public int ParameterCount => Inner.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => Inner.Evaluate(t, y, p, dydt);

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot) => Inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        Inner.Vjp(t, y, p, a, yBar, pBar);

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        Inner.Jacobian(t, y, p, dfdy, dfdp);

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        TProbe.Evaluating();
        TProbe.Parameters(p);
        Inner.EvaluateLanes(t, y, p, dydt);
    }

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILane<TLane> => Inner.JvpLanes(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane> => Inner.VjpLanes(t, y, p, a, yBar, pBar);
}

/// <summary>Counts lane evaluations: the test sees whether a silo's worker is still solving.</summary>
public sealed class EvaluationCounter : ILaneEvaluationProbe
{
    private static long s_evaluations;

    public static long Evaluations => Interlocked.Read(ref s_evaluations);

    public static void Evaluating() => Interlocked.Increment(ref s_evaluations);
}

/// <summary>
/// Holds every lane evaluation while closed: the requests the silos are solving stay in progress, however fast the
/// machine, until the test opens it. Only one test uses it (SiloFailureTests), so no other test waits on it.
/// </summary>
public sealed class EvaluationGate : ILaneEvaluationProbe
{
    private static readonly ManualResetEventSlim Open = new(initialState: true);

    public static void Close() => Open.Reset();

    public static void Release() => Open.Set();

    public static void Evaluating() => Open.Wait();
}

/// <summary>
/// Delays every lane evaluation by <see cref="Milliseconds"/> (0 by default): a request that takes as long as the test
/// needs, whatever the machine. Only ResponseTimeoutTests sets it.
/// </summary>
public sealed class EvaluationDelay : ILaneEvaluationProbe
{
    private static int s_milliseconds;

    public static int Milliseconds
    {
        get => Volatile.Read(ref s_milliseconds);
        set => Volatile.Write(ref s_milliseconds, value);
    }

    public static void Evaluating()
    {
        int delay = Milliseconds;
        if (delay > 0) Thread.Sleep(delay);
    }
}

/// <summary>
/// Holds every lane evaluation while closed, as <see cref="EvaluationGate"/> does; each test class that holds work has a
/// gate of its own (<see cref="PrimaryLossGate"/>, <see cref="JoinGate"/>), since test classes run side by side.
/// </summary>
public abstract class HeldProbe
{
    private readonly ManualResetEventSlim _open = new(initialState: true);

    public void Close() => _open.Reset();

    public void Release() => _open.Set();

    protected void Hold() => _open.Wait();
}

/// <summary>PrimaryLossTests' gate.</summary>
public sealed class PrimaryLossGate : HeldProbe, ILaneEvaluationProbe
{
    public static readonly PrimaryLossGate Gate = new();

    public static void Evaluating() => Gate.Hold();
}

/// <summary>SiloJoinTests' gate.</summary>
public sealed class JoinGate : HeldProbe, ILaneEvaluationProbe
{
    public static readonly JoinGate Gate = new();

    public static void Evaluating() => Gate.Hold();
}

/// <summary>
/// Counts lane evaluations and delays each by <see cref="Milliseconds"/>: the work of one of two clients in
/// TwoClientTests (<see cref="ClientAProbe"/>, <see cref="ClientBProbe"/>), so the test sees whose requests still run.
/// </summary>
public abstract class SlowCounter
{
    private long _evaluations;
    private int _milliseconds;

    public long Evaluations => Interlocked.Read(ref _evaluations);

    public int Milliseconds
    {
        get => Volatile.Read(ref _milliseconds);
        set => Volatile.Write(ref _milliseconds, value);
    }

    protected void Evaluate()
    {
        Interlocked.Increment(ref _evaluations);
        int delay = Milliseconds;
        if (delay > 0) Thread.Sleep(delay);
    }
}

/// <summary>Client A's system in TwoClientTests.</summary>
public sealed class ClientAProbe : SlowCounter, ILaneEvaluationProbe
{
    public static readonly ClientAProbe Probe = new();

    public static void Evaluating() => Probe.Evaluate();
}

/// <summary>Client B's system in TwoClientTests.</summary>
public sealed class ClientBProbe : SlowCounter, ILaneEvaluationProbe
{
    public static readonly ClientBProbe Probe = new();

    public static void Evaluating() => Probe.Evaluate();
}

/// <summary>
/// User dynamics that throw: an evaluation whose lanes hold a negative σ throws an <see cref="ArgumentOutOfRangeException"/>
/// naming that σ, so a test can tell which trajectory's block failed first.
/// </summary>
public sealed class NegativeSigmaThrows : ILaneEvaluationProbe
{
    public static void Evaluating()
    {
    }

    public static void Parameters<TLane>(ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILane<TLane>
    {
        for (int lane = 0; lane < TLane.Count; lane++)
        {
            double sigma = TLane.GetLane(p[0], lane);
            if (sigma < 0) throw new ArgumentOutOfRangeException("p", sigma, $"σ = {sigma} is negative.");
        }
    }
}
