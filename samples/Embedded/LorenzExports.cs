using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OdeGen.Samples.Embedded;

/// <summary>
/// The C entry points of the native library (c/odegen_lorenz.h declares them): the generated Evaluate, Jvp and Vjp
/// of the Lorenz system, a solve and a gradient. Every array is the caller's and has the sizes the header gives
/// (3 states, 3 parameters). No exception crosses the boundary: the status codes say what happened.
/// </summary>
public static unsafe class LorenzExports
{
    private const int States = 3, Parameters = 3;

    /// <summary>Status for bad arguments (a null pointer, a non-finite value, non-positive tolerances).</summary>
    public const int InvalidArgument = -1;

    /// <summary>dydt = f(t, y, p).</summary>
    [UnmanagedCallersOnly(EntryPoint = "odegen_lorenz_evaluate", CallConvs = [typeof(CallConvCdecl)])]
    public static int Evaluate(double t, double* y, double* p, double* dydt)
    {
        if (y is null || p is null || dydt is null) return InvalidArgument;
        new Lorenz.RhsSystem().Evaluate(t, new ReadOnlySpan<double>(y, States), new ReadOnlySpan<double>(p, Parameters), new Span<double>(dydt, States));
        return 0;
    }

    /// <summary>dydt = f; dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot.</summary>
    [UnmanagedCallersOnly(EntryPoint = "odegen_lorenz_jvp", CallConvs = [typeof(CallConvCdecl)])]
    public static int Jvp(double t, double* y, double* p, double tDot, double* yDot, double* pDot, double* dydt, double* dydtDot)
    {
        if (y is null || p is null || yDot is null || pDot is null || dydt is null || dydtDot is null) return InvalidArgument;
        new Lorenz.RhsSystem().Jvp(t, new ReadOnlySpan<double>(y, States), new ReadOnlySpan<double>(p, Parameters), tDot,
            new ReadOnlySpan<double>(yDot, States), new ReadOnlySpan<double>(pDot, Parameters), new Span<double>(dydt, States), new Span<double>(dydtDot, States));
        return 0;
    }

    /// <summary>yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p; *tBar = aᵀ∂f/∂t.</summary>
    [UnmanagedCallersOnly(EntryPoint = "odegen_lorenz_vjp", CallConvs = [typeof(CallConvCdecl)])]
    public static int Vjp(double t, double* y, double* p, double* a, double* yBar, double* pBar, double* tBar)
    {
        if (y is null || p is null || a is null || yBar is null || pBar is null || tBar is null) return InvalidArgument;
        *tBar = new Lorenz.RhsSystem().Vjp(t, new ReadOnlySpan<double>(y, States), new ReadOnlySpan<double>(p, Parameters),
            new ReadOnlySpan<double>(a, States), new Span<double>(yBar, States), new Span<double>(pBar, Parameters));
        return 0;
    }

    /// <summary>y1 = y(t1) from y(t0) = y0 by Dopri5; returns the OdeStatus (0: success) or <see cref="InvalidArgument"/>.</summary>
    [UnmanagedCallersOnly(EntryPoint = "odegen_lorenz_solve", CallConvs = [typeof(CallConvCdecl)])]
    public static int Solve(double* y0, double* p, double t0, double t1, double relTol, double absTol, double* y1)
    {
        if (y0 is null || p is null || y1 is null) return InvalidArgument;
        try
        {
            OdeSolution solution = Ode.Solve(new Lorenz.RhsSystem(), new ReadOnlySpan<double>(y0, States), new ReadOnlySpan<double>(p, Parameters),
                t0, t1, new SolverOptions { RelTol = relTol, AbsTol = absTol });
            solution.FinalState.CopyTo(new Span<double>(y1, States));
            return (int)solution.Status;
        }
        catch (ArgumentException)
        {
            return InvalidArgument;
        }
    }

    /// <summary>
    /// The gradient of L(y(t1)) with ∂L/∂y(t1) = dLdy, by the checkpointed (interpolating) adjoint: gY0 = dL/dy0,
    /// gP = dL/dp. Returns the OdeStatus (0: success; on failure the outputs are NaN) or <see cref="InvalidArgument"/>.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "odegen_lorenz_gradient", CallConvs = [typeof(CallConvCdecl)])]
    public static int Gradient(double* y0, double* p, double t0, double t1, double* dLdy, double relTol, double absTol, double* gY0, double* gP)
    {
        if (y0 is null || p is null || dLdy is null || gY0 is null || gP is null) return InvalidArgument;
        try
        {
            OdeGradient g = Ode.Gradient(new Lorenz.RhsSystem(), new ReadOnlySpan<double>(y0, States), new ReadOnlySpan<double>(p, Parameters),
                t0, [t1], new ReadOnlySpan<double>(dLdy, States), Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = relTol, AbsTol = absTol });
            g.Y0.CopyTo(new Span<double>(gY0, States));
            g.Parameters.CopyTo(new Span<double>(gP, Parameters));
            return (int)g.Status;
        }
        catch (ArgumentException)
        {
            return InvalidArgument;
        }
    }
}
