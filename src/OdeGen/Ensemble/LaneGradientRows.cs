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
    /// <summary>
    /// Scatters <paramref name="lambda"/> and <paramref name="pBar"/> of the block whose first trajectory is <paramref name="first"/>.
    /// A lane whose solve succeeded but whose gradient is not finite (a derivative of f is NaN or ∞ where f is finite, which the
    /// reverse sweep has no error control to see) becomes <see cref="OdeStatus.NonFiniteValue"/> in <paramref name="statuses"/>
    /// and in <paramref name="trajectoryStatuses"/>, with NaN rows, as a failed solve does: it was returned with Success.
    /// </summary>
    public static void Write<TLane>(ReadOnlySpan<TLane> lambda, ReadOnlySpan<TLane> pBar, OdeStatus[] statuses, Span<double> scratch,
        int block, int first, int registers, int count, int n, int m, double[] y0, double[] parameters, double[]? blockSums,
        OdeStatus[] trajectoryStatuses)
        where TLane : unmanaged, ILane<TLane>
    {
        int w = TLane.Count;
        for (int g = 0; g < registers; g++)
        {
            bool finite = true;
            for (int q = 0; q < n && finite; q++) finite = TLane.AllFinite(lambda[g * n + q]);
            for (int k = 0; k < m && finite; k++) finite = TLane.AllFinite(pBar[g * m + k]);
            if (finite) continue;
            // Rare: find the lanes.
            int firstOfRegister = first + g * w;
            for (int l = 0; l < w && firstOfRegister + l < count; l++)
            {
                if (statuses[g * w + l] != OdeStatus.Success) continue;
                bool laneFinite = true;
                for (int q = 0; q < n && laneFinite; q++) { TLane.Store(lambda[g * n + q], scratch); laneFinite = double.IsFinite(scratch[l]); }
                for (int k = 0; k < m && laneFinite; k++) { TLane.Store(pBar[g * m + k], scratch); laneFinite = double.IsFinite(scratch[l]); }
                if (laneFinite) continue;
                statuses[g * w + l] = OdeStatus.NonFiniteValue;
                trajectoryStatuses[firstOfRegister + l] = OdeStatus.NonFiniteValue;
            }
        }

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
