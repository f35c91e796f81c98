using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OdeGen.Layers;

/// <summary>
/// Group normalization of a batch, written out in SIMD: the passes of <see cref="Models.GroupNorm"/>. The generated
/// <see cref="LayerFunctions.GroupNormGroupFunction"/> defines the layer (and still runs its lanes and its Jvp), but its Vjp is
/// the reverse of the definition statement by statement: a division, five scalar updates and a bounds check per value, a copy
/// of ∂L/∂y to the stack, and one group per call. This is the closed form of the same derivative,
///   ∂L/∂x = inv·(g − mean(g) − x̂·mean(g·x̂)),  g = γ·∂L/∂y,  x̂ = (x − μ)·inv,  inv = 1/√(σ² + 1e-5),
/// with ∂L/∂γ = Σ ∂L/∂y·x̂ and ∂L/∂β = Σ ∂L/∂y per channel, in sums of whole vectors. Its rounding differs from the generated
/// code's: GroupNormTests hold the two to 1e-12 and the kernel to central differences.
/// </summary>
internal static class GroupNormKernel
{
    /// <summary>PyTorch's eps, as in <see cref="LayerFunctions.GroupNormGroup"/>.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>
    /// y = γ_k·(x − μ_g)·inv_g + β_k for <paramref name="count"/> samples (rows of channels·pixels values, channel-major);
    /// p is [groups][γ of the group's channels, then their β] (the layer's "affine" block). With <paramref name="moments"/>
    /// not empty, each group's (μ, inv) is kept there, [sample·groups + group][2], for <see cref="Backward"/> on the same x.
    /// With <paramref name="relu"/>, y = ReLU of that (v &gt; 0 ? v : 0, as <see cref="Models.Relu"/> selects): the same bits as the
    /// two passes, without writing and reading the normalized image.
    /// </summary>
    public static void Forward(int count, int groups, int channels, int pixels, ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y,
        Span<double> moments = default, bool relu = false)
    {
        if (!moments.IsEmpty && moments.Length < 2 * count * groups) throw new ArgumentException("GroupNorm: the moments' buffer is too short.", nameof(moments));
        int perGroup = channels / groups, n = perGroup * pixels;
        for (int s = 0; s < count; s++)
        {
            for (int g = 0; g < groups; g++)
            {
                int at = ((s * groups) + g) * n;
                ReadOnlySpan<double> xg = x.Slice(at, n);
                ReadOnlySpan<double> pg = p.Slice(g * 2 * perGroup, 2 * perGroup);
                (double mean, double inverse) = Moments(xg);
                if (!moments.IsEmpty) (moments[2 * ((s * groups) + g)], moments[(2 * ((s * groups) + g)) + 1]) = (mean, inverse);
                for (int k = 0; k < perGroup; k++)
                    Affine(xg.Slice(k * pixels, pixels), mean, pg[k] * inverse, pg[perGroup + k], y.Slice(at + (k * pixels), pixels), relu);
            }
        }
    }

    /// <summary>
    /// xBar += ∂L/∂x and parameterBar += Σ over the samples of ∂L/∂(γ, β), for the forward pass's inputs x; the groups' moments
    /// computed again, or read from <paramref name="moments"/> (not empty) as <see cref="Forward"/> kept them for this x (the same bits).
    /// With <paramref name="overwrite"/>, xBar = 0 + ∂L/∂x: the bits the addition leaves in a cleared xBar, without the clearing.
    /// </summary>
    public static void Backward(int count, int groups, int channels, int pixels, ReadOnlySpan<double> x, ReadOnlySpan<double> p,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, ReadOnlySpan<double> moments = default, bool overwrite = false)
    {
        if (!moments.IsEmpty && moments.Length < 2 * count * groups) throw new ArgumentException("GroupNorm: the moments' buffer is too short.", nameof(moments));
        int perGroup = channels / groups, n = perGroup * pixels;
        for (int s = 0; s < count; s++)
        {
            for (int g = 0; g < groups; g++)
            {
                int at = ((s * groups) + g) * n;
                ReadOnlySpan<double> xg = x.Slice(at, n), pg = p.Slice(g * 2 * perGroup, 2 * perGroup);
                Span<double> pBar = parameterBar.Slice(g * 2 * perGroup, 2 * perGroup);
                (double mean, double inverse) = moments.IsEmpty ? Moments(xg) : (moments[2 * ((s * groups) + g)], moments[(2 * ((s * groups) + g)) + 1]);

                // Per channel: Σ ∂L/∂y and Σ ∂L/∂y·(x − μ); the group's Σ g and Σ g·x̂ from them.
                double sumG = 0, sumGxHat = 0;
                for (int k = 0; k < perGroup; k++)
                {
                    (double sy, double syx) = SumAndCross(yBar.Slice(at + (k * pixels), pixels), xg.Slice(k * pixels, pixels), mean);
                    pBar[k] += syx * inverse;
                    pBar[perGroup + k] += sy;
                    sumG += pg[k] * sy;
                    sumGxHat += pg[k] * syx * inverse;
                }

                // ∂L/∂x = γ_k·inv·∂L/∂y − inv·mean(g) − (x − μ)·inv²·mean(g·x̂).
                double shift = -inverse * sumG / n, slope = -inverse * inverse * sumGxHat / n;
                for (int k = 0; k < perGroup; k++)
                {
                    AddInputAdjoint(yBar.Slice(at + (k * pixels), pixels), xg.Slice(k * pixels, pixels), mean, pg[k] * inverse, shift, slope,
                        xBar.Slice(at + (k * pixels), pixels), overwrite);
                }
            }
        }
    }

    // μ and 1/√(σ² + eps) of one group, σ² the biased variance by two passes (as the generated definition computes it).
    private static (double Mean, double Inverse) Moments(ReadOnlySpan<double> x)
    {
        ref double x0 = ref MemoryMarshal.GetReference(x);
        int n = x.Length, w = Vector<double>.Count, i = 0;
        var acc = Vector<double>.Zero;
        for (; i <= n - w; i += w) acc += Vector.LoadUnsafe(ref x0, (nuint)i);
        double sum = Vector.Sum(acc);
        for (; i < n; i++) sum += Unsafe.Add(ref x0, i);
        double mean = sum / n;

        var m = new Vector<double>(mean);
        acc = Vector<double>.Zero;
        for (i = 0; i <= n - w; i += w)
        {
            Vector<double> d = Vector.LoadUnsafe(ref x0, (nuint)i) - m;
            acc += d * d;
        }

        double squares = Vector.Sum(acc);
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref x0, i) - mean;
            squares += d * d;
        }

        return (mean, 1.0 / Math.Sqrt((squares / n) + Epsilon));
    }

    // y = scale·(x − mean) + shift over one channel (relu: then v > 0 ? v : 0).
    private static void Affine(ReadOnlySpan<double> x, double mean, double scale, double shift, Span<double> y, bool relu)
    {
        if (y.Length != x.Length) throw new ArgumentException("GroupNorm: output and input channel lengths differ.", nameof(y));
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double y0 = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector<double>.Count, i = 0;
        Vector<double> m = new(mean), a = new(scale), b = new(shift);
        for (; i <= n - w; i += w)
        {
            Vector<double> v = (a * (Vector.LoadUnsafe(ref x0, (nuint)i) - m)) + b;
            (relu ? Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<double>.Zero), v, Vector<double>.Zero) : v).StoreUnsafe(ref y0, (nuint)i);
        }

        for (; i < n; i++)
        {
            double v = (scale * (Unsafe.Add(ref x0, i) - mean)) + shift;
            Unsafe.Add(ref y0, i) = relu ? (v > 0 ? v : 0.0) : v;
        }
    }

    // Σ yBar and Σ yBar·(x − mean) over one channel.
    private static (double Sum, double Cross) SumAndCross(ReadOnlySpan<double> yBar, ReadOnlySpan<double> x, double mean)
    {
        if (yBar.Length != x.Length) throw new ArgumentException("GroupNorm: yBar and input channel lengths differ.", nameof(yBar));
        ref double b0 = ref MemoryMarshal.GetReference(yBar);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        int n = x.Length, w = Vector<double>.Count, i = 0;
        Vector<double> m = new(mean), sum = Vector<double>.Zero, cross = Vector<double>.Zero;
        for (; i <= n - w; i += w)
        {
            Vector<double> b = Vector.LoadUnsafe(ref b0, (nuint)i);
            sum += b;
            cross += b * (Vector.LoadUnsafe(ref x0, (nuint)i) - m);
        }

        double s = Vector.Sum(sum), c = Vector.Sum(cross);
        for (; i < n; i++)
        {
            double b = Unsafe.Add(ref b0, i);
            s += b;
            c += b * (Unsafe.Add(ref x0, i) - mean);
        }

        return (s, c);
    }

    // xBar += scale·yBar + shift + slope·(x − mean) over one channel (overwrite: xBar = 0 + …, the same sums from +0).
    private static void AddInputAdjoint(ReadOnlySpan<double> yBar, ReadOnlySpan<double> x, double mean, double scale, double shift, double slope, Span<double> xBar,
        bool overwrite)
    {
        if (xBar.Length != x.Length || yBar.Length != x.Length) throw new ArgumentException("GroupNorm: xBar, yBar and input channel lengths differ.", nameof(xBar));
        ref double b0 = ref MemoryMarshal.GetReference(yBar);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double d0 = ref MemoryMarshal.GetReference(xBar);
        int n = x.Length, w = Vector<double>.Count, i = 0;
        Vector<double> m = new(mean), a = new(scale), c = new(shift), k = new(slope);
        for (; i <= n - w; i += w)
        {
            Vector<double> v = (overwrite ? Vector<double>.Zero : Vector.LoadUnsafe(ref d0, (nuint)i)) + (a * Vector.LoadUnsafe(ref b0, (nuint)i)) + c + (k * (Vector.LoadUnsafe(ref x0, (nuint)i) - m));
            v.StoreUnsafe(ref d0, (nuint)i);
        }

        for (; i < n; i++) Unsafe.Add(ref d0, i) = (overwrite ? 0.0 : Unsafe.Add(ref d0, i)) + ((scale * Unsafe.Add(ref b0, i)) + shift + (slope * (Unsafe.Add(ref x0, i) - mean)));
    }
}
