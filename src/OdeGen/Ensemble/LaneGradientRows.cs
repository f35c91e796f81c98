using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// Writes a block's adjoint registers out as gradient rows, shared by the final-state and the observation-time
/// ensemble gradients: λ becomes each valid lane's row of dL/dy0 and p̄ its row of dL/dθ (NaN for a trajectory that
/// failed), and for a shared θ the block's sum over its successful lanes, in lane order, goes to its slot of the
/// per-block partial sums (reduced later in block order, so the total does not depend on the thread count).
/// </summary>
internal static class LaneGradientRows
{
    /// <summary>Scatters <paramref name="lambda"/> and <paramref name="pBar"/> of the block whose first trajectory is <paramref name="first"/>.</summary>
    public static void Write<TLane>(ReadOnlySpan<TLane> lambda, ReadOnlySpan<TLane> pBar, OdeStatus[] statuses, Span<double> scratch,
        int block, int first, int registers, int count, int n, int m, double[] y0, double[] parameters, double[]? blockSums)
        where TLane : unmanaged, ILane<TLane>
    {
        int w = TLane.Count;
        for (int g = 0; g < registers; g++)
        {
            int firstOfRegister = first + g * w;
            for (int q = 0; q < n; q++)
            {
                TLane.Store(lambda[g * n + q], scratch);
                for (int l = 0; l < w && firstOfRegister + l < count; l++)
                    y0[(firstOfRegister + l) * n + q] = statuses[g * w + l] == OdeStatus.Success ? scratch[l] : double.NaN;
            }
        }

        if (blockSums is not null) blockSums.AsSpan(block * m, m).Clear();
        for (int g = 0; g < registers; g++)
        {
            int firstOfRegister = first + g * w;
            for (int k = 0; k < m; k++)
            {
                TLane.Store(pBar[g * m + k], scratch);
                double sum = 0;
                for (int l = 0; l < w && firstOfRegister + l < count; l++)
                {
                    bool ok = statuses[g * w + l] == OdeStatus.Success;
                    parameters[(firstOfRegister + l) * m + k] = ok ? scratch[l] : double.NaN;
                    if (ok) sum += scratch[l];
                }
                if (blockSums is not null) blockSums[block * m + k] += sum;
            }
        }
    }
}
