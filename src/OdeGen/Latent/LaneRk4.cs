using OdeGen.Lanes;

namespace OdeGen.Latent;

/// <summary>
/// The classical RK4 step of an autonomous f(z) with a step size of its own in every lane, and its exact reverse (the
/// discrete adjoint of the step). Why not the ensemble solvers: their lanes share t and the step (docs/lanes.md), which
/// would force every series of a block onto the union of the block's times. The latent ODE and the ODE-RNN's dynamics
/// do not depend on t, so each lane can step onto its own observation times with its own h, and a lane whose series has
/// ended takes h = 0 (z + 0·k = z exactly). It is a copy of the shared kernel's arithmetic for RK4, kept because the kernel
/// takes one h for all lanes: every weight is h·(the tableau's coefficient), every sum adds its terms left to right in
/// stage order, as <see cref="Solvers.RungeKuttaKernel{TLane}.Combine"/> and <see cref="Solvers.RungeKuttaReverse{TLane}"/>
/// do, and LaneRk4BitsTests holds each lane bit for bit to the kernel run with that lane's h. A change of order there
/// must be made here too.
/// </summary>
internal static class LaneRk4
{
    /// <summary>Lanes of scratch <see cref="Step"/> and <see cref="Reverse"/> need for n states and the dynamics' own scratch.</summary>
    public static int ScratchCount(LaneTanhMlp f) => (9 * f.Size) + f.ScratchCount;

    /// <summary>z ← z + (h/6)k₁ + (h/3)k₂ + (h/3)k₃ + (h/6)k₄, lane by lane.</summary>
    public static void Step<TLane>(LaneTanhMlp f, ReadOnlySpan<TLane> p, Span<TLane> z, TLane h, Span<TLane> scratch)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = f.Size;
        Span<TLane> k1 = scratch[..n], k2 = scratch.Slice(n, n), k3 = scratch.Slice(2 * n, n), k4 = scratch.Slice(3 * n, n),
            u = scratch.Slice(4 * n, n), work = scratch[(9 * n)..];
        TLane half = h * TLane.Create(0.5), sixth = h * TLane.Create(1.0 / 6.0), third = h * TLane.Create(1.0 / 3.0);
        f.Evaluate<TLane>(z, p, k1, work);
        for (int i = 0; i < n; i++) u[i] = z[i] + (half * k1[i]);
        f.Evaluate<TLane>(u, p, k2, work);
        for (int i = 0; i < n; i++) u[i] = z[i] + (half * k2[i]);
        f.Evaluate<TLane>(u, p, k3, work);
        for (int i = 0; i < n; i++) u[i] = z[i] + (h * k3[i]);
        f.Evaluate<TLane>(u, p, k4, work);
        for (int i = 0; i < n; i++) z[i] = z[i] + (sixth * k1[i]) + (third * k2[i]) + (third * k3[i]) + (sixth * k4[i]);
    }

    /// <summary>
    /// Given zBar = ∂L/∂z after the step taken from <paramref name="z"/>, makes zBar ∂L/∂z before it and adds the step's
    /// share of ∂L/∂p into pBar.
    /// </summary>
    public static void Reverse<TLane>(LaneTanhMlp f, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> z, TLane h, Span<TLane> zBar, Span<TLane> pBar, Span<TLane> scratch)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = f.Size;
        Span<TLane> k1 = scratch[..n], k2 = scratch.Slice(n, n), k3 = scratch.Slice(2 * n, n), u2 = scratch.Slice(3 * n, n),
            u3 = scratch.Slice(4 * n, n), u4 = scratch.Slice(5 * n, n), kBar = scratch.Slice(6 * n, n), uBar = scratch.Slice(7 * n, n),
            lambda = scratch.Slice(8 * n, n), work = scratch[(9 * n)..];
        TLane half = h * TLane.Create(0.5), sixth = h * TLane.Create(1.0 / 6.0), third = h * TLane.Create(1.0 / 3.0);
        f.Evaluate(z, p, k1, work);
        for (int i = 0; i < n; i++) u2[i] = z[i] + (half * k1[i]);
        f.Evaluate<TLane>(u2, p, k2, work);
        for (int i = 0; i < n; i++) u3[i] = z[i] + (half * k2[i]);
        f.Evaluate<TLane>(u3, p, k3, work);
        for (int i = 0; i < n; i++) u4[i] = z[i] + (h * k3[i]);
        zBar.CopyTo(lambda);

        // Stage 4: k₄ = f(u₄), u₄ = z + h·k₃.
        for (int i = 0; i < n; i++) kBar[i] = sixth * lambda[i];
        uBar.Clear();
        f.Vjp<TLane>(u4, p, kBar, uBar, pBar, work);
        for (int i = 0; i < n; i++) { zBar[i] += uBar[i]; kBar[i] = (third * lambda[i]) + (h * uBar[i]); }

        // Stage 3: k₃ = f(u₃), u₃ = z + h/2·k₂.
        uBar.Clear();
        f.Vjp<TLane>(u3, p, kBar, uBar, pBar, work);
        for (int i = 0; i < n; i++) { zBar[i] += uBar[i]; kBar[i] = (third * lambda[i]) + (half * uBar[i]); }

        // Stage 2: k₂ = f(u₂), u₂ = z + h/2·k₁.
        uBar.Clear();
        f.Vjp<TLane>(u2, p, kBar, uBar, pBar, work);
        for (int i = 0; i < n; i++) { zBar[i] += uBar[i]; kBar[i] = (sixth * lambda[i]) + (half * uBar[i]); }

        // Stage 1: k₁ = f(z).
        uBar.Clear();
        f.Vjp(z, p, kBar, uBar, pBar, work);
        for (int i = 0; i < n; i++) zBar[i] += uBar[i];
    }
}
