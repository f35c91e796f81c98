using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using OdeGen.Lanes;
#endif

namespace OdeGen.Layers;

/// <summary>
/// The one matrix product of the layers: C = op(A)·op(B) (or C += …), blocked for the caches and run by a register-tiled
/// SIMD kernel. Convolutions use it three times (forward, input gradient, weight gradient: <see cref="Models.Conv2d"/>); a
/// transposed operand is just other strides, absorbed by the packing, so one kernel serves every case.
/// </summary>
/// <remarks>
/// <para>
/// The shape is the Goto/BLIS one: for each block of <see cref="DepthBlock"/> of the shared dimension, B's block is copied
/// into panels of <c>2·lanes</c> columns and A's into panels of <see cref="RowTile"/> rows, each panel contiguous in the
/// order the kernel reads it; the kernel keeps a 6 × 2-vector tile of C in twelve registers (it fits the 16 of AVX2 with
/// room for two B vectors and one broadcast) and streams the two panels once. Packing costs O(mk + kn) moves against
/// O(mnk) multiply-adds and makes every kernel load unit-stride whatever the operands' strides.
/// </para>
/// <para>
/// Each C entry is a chain of fused multiply-adds over k in order, whatever the vector width, so the result is the same to
/// the bit at every width (and on every thread count): tests hold the widths to the scalar kernel.
/// </para>
/// </remarks>
internal static class Gemm
{
    /// <summary>Rows of C one kernel call computes (MR).</summary>
    public const int RowTile = 6;

    /// <summary>Length of the shared dimension per packed block (KC): a 6-row A panel and a 16-column B panel of this depth stay in L1.</summary>
    public const int DepthBlock = 256;

    /// <summary>Rows of A packed at once (MC, a multiple of <see cref="RowTile"/>): 72 × 256 doubles, 144 KiB, stay in L2.</summary>
    public const int RowBlock = 72;

    /// <summary>Columns of B packed at once (NC, a multiple of every width's 2·lanes).</summary>
    public const int ColumnBlock = 512;

    // The widest column tile (2 × Vector512<float>), used to size the workspace for every width.
    private const int WidestColumnTile = 32;

    /// <summary>Elements of work space <see cref="Multiply{T}"/> needs for an m×n product over k (the packed blocks of A and B).</summary>
    public static int WorkspaceSize(int m, int n, int k)
    {
        int kc = Math.Min(DepthBlock, k);
        int mc = Math.Min(RowBlock, RoundUp(m, RowTile));
        int nc = Math.Min(ColumnBlock, RoundUp(n, WidestColumnTile));
        return (mc * kc) + (kc * nc);
    }

    /// <summary>
    /// C[i·ldc + j] (=, or += when <paramref name="accumulate"/>) Σₚ A(i, p)·B(p, j) for i &lt; m, j &lt; n, p &lt; k, where
    /// A(i, p) = a[i·aRow + p·aColumn] and B(p, j) = b[p·bRow + j·bColumn] (a transposed operand swaps its two strides), at the
    /// widest SIMD width the hardware accelerates. <paramref name="work"/> holds at least <see cref="WorkspaceSize"/>(m, n, k)
    /// elements, contents undefined on entry.
    /// </summary>
    public static void Multiply<T>(int m, int n, int k, ReadOnlySpan<T> a, int aRow, int aColumn, ReadOnlySpan<T> b, int bRow, int bColumn,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where T : unmanaged =>
        Dispatch(m, n, k, a, aRow, aColumn, aPacked: false, b, bRow, bColumn, bPacked: false, c, ldc, accumulate, work);

    /// <summary>Elements A takes packed (<see cref="Pack{T}"/>): its rows rounded up to <see cref="RowTile"/>, times k.</summary>
    public static int PackedSize(int m, int k) => checked(RoundUp(m, RowTile) * k);

    /// <summary>
    /// Packs the m×k matrix A(i, p) = a[i·aRow + p·aColumn] once, every block the product visits, for
    /// <see cref="MultiplyPacked{T}"/>: an operand used in many products (a layer's weights) is packed once instead of in
    /// every product. <paramref name="packed"/> holds at least <see cref="PackedSize"/>(m, k) elements.
    /// </summary>
    public static void Pack<T>(int m, int k, ReadOnlySpan<T> a, int aRow, int aColumn, Span<T> packed)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || k == 0) return;
        RequireCovers(a.Length, ((long)(m - 1) * aRow) + ((long)(k - 1) * aColumn) + 1, nameof(a));
        RequireCovers(packed.Length, PackedSize(m, k), nameof(packed));
        for (int pc = 0; pc < k; pc += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - pc);
            for (int ic = 0; ic < m; ic += RowBlock)
            {
                int mc = Math.Min(RowBlock, m - ic);
                PackA(a, aRow, aColumn, ic, pc, mc, kc, packed.Slice(PackedBlock(m, ic, pc, kc), RoundUp(mc, RowTile) * kc));
            }
        }
    }

    /// <summary>
    /// <see cref="Multiply{T}"/> with A already packed by <see cref="Pack{T}"/>(m, k, …): the same arithmetic in the same
    /// order, so the same result to the bit, without packing A again.
    /// </summary>
    public static void MultiplyPacked<T>(int m, int n, int k, ReadOnlySpan<T> packedA, ReadOnlySpan<T> b, int bRow, int bColumn,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where T : unmanaged =>
        Dispatch(m, n, k, packedA, 0, 0, aPacked: true, b, bRow, bColumn, bPacked: false, c, ldc, accumulate, work);

    /// <summary>
    /// Columns of one packed panel of B at the width <see cref="Multiply{T}"/> runs for <typeparamref name="T"/> (two SIMD
    /// vectors): the layout a caller writes B in for <see cref="MultiplyPackedB{T}"/>.
    /// </summary>
    public static int PanelWidth<T>()
        where T : unmanaged =>
        2 * (Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256.IsHardwareAccelerated ? Vector256<T>.Count
            : Vector128.IsHardwareAccelerated ? Vector128<T>.Count : 1);

    /// <summary>Elements the k×n matrix B takes packed for <see cref="MultiplyPackedB{T}"/>: k times n rounded up to <see cref="PanelWidth{T}"/>.</summary>
    public static int PackedBSize<T>(int n, int k)
        where T : unmanaged => checked(k * RoundUp(n, PanelWidth<T>()));

    /// <summary>
    /// Where the block of B's columns jc.. (a multiple of <see cref="ColumnBlock"/>) over depth pc.. (a multiple of
    /// <see cref="DepthBlock"/>, kc = min(DepthBlock, k − pc) deep) starts in packed B. Inside a block, the panel of columns
    /// jr.. (a multiple of the panel width nr) starts at jr·kc and holds B(pc + p, jc + jr + j) at p·nr + j, columns past n
    /// zero: the order the kernel reads. A caller that produces B (a convolution's patches) writes it there directly.
    /// </summary>
    public static int PackedBBlock(int n, int k, int nr, int jc, int pc) => (jc * k) + (pc * RoundUp(Math.Min(ColumnBlock, n - jc), nr));

    /// <summary>
    /// <see cref="Multiply{T}"/> with B already packed (<see cref="PackedBBlock"/>), and A packed too when
    /// <paramref name="aPacked"/> (<see cref="Pack{T}"/>; aRow and aColumn are then unused): the same arithmetic in the same
    /// order, so the same result to the bit, without copying B.
    /// </summary>
    public static void MultiplyPackedB<T>(int m, int n, int k, ReadOnlySpan<T> a, int aRow, int aColumn, bool aPacked, ReadOnlySpan<T> packedB,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where T : unmanaged =>
        Dispatch(m, n, k, a, aRow, aColumn, aPacked, packedB, 0, 0, bPacked: true, c, ldc, accumulate, work);

    private static void Dispatch<T>(int m, int n, int k, ReadOnlySpan<T> a, int aRow, int aColumn, bool aPacked, ReadOnlySpan<T> b, int bRow, int bColumn, bool bPacked,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> ad = MemoryMarshal.Cast<T, double>(a), bd = MemoryMarshal.Cast<T, double>(b);
            Span<double> cd = MemoryMarshal.Cast<T, double>(c), wd = MemoryMarshal.Cast<T, double>(work);
            if (Vector512.IsHardwareAccelerated) Run<Double512, Vector512<double>, double>(m, n, k, ad, aRow, aColumn, aPacked, bd, bRow, bColumn, bPacked, cd, ldc, accumulate, wd);
            else if (Vector256.IsHardwareAccelerated) Run<Double256, Vector256<double>, double>(m, n, k, ad, aRow, aColumn, aPacked, bd, bRow, bColumn, bPacked, cd, ldc, accumulate, wd);
            else if (Vector128.IsHardwareAccelerated) Run<Double128, Vector128<double>, double>(m, n, k, ad, aRow, aColumn, aPacked, bd, bRow, bColumn, bPacked, cd, ldc, accumulate, wd);
            else Run<Double1, double, double>(m, n, k, ad, aRow, aColumn, aPacked, bd, bRow, bColumn, bPacked, cd, ldc, accumulate, wd);
        }
        else if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> af = MemoryMarshal.Cast<T, float>(a), bf = MemoryMarshal.Cast<T, float>(b);
            Span<float> cf = MemoryMarshal.Cast<T, float>(c), wf = MemoryMarshal.Cast<T, float>(work);
            if (Vector512.IsHardwareAccelerated) Run<Single512, Vector512<float>, float>(m, n, k, af, aRow, aColumn, aPacked, bf, bRow, bColumn, bPacked, cf, ldc, accumulate, wf);
            else if (Vector256.IsHardwareAccelerated) Run<Single256, Vector256<float>, float>(m, n, k, af, aRow, aColumn, aPacked, bf, bRow, bColumn, bPacked, cf, ldc, accumulate, wf);
            else if (Vector128.IsHardwareAccelerated) Run<Single128, Vector128<float>, float>(m, n, k, af, aRow, aColumn, aPacked, bf, bRow, bColumn, bPacked, cf, ldc, accumulate, wf);
            else Run<Single1, float, float>(m, n, k, af, aRow, aColumn, aPacked, bf, bRow, bColumn, bPacked, cf, ldc, accumulate, wf);
        }
        else
        {
            throw new NotSupportedException($"Gemm multiplies double or float matrices, not {typeof(T).Name}.");
        }
    }

    /// <summary><see cref="Multiply{T}"/> at the width of <typeparamref name="TOps"/> (tests run every width against the scalar one).</summary>
    public static void Multiply<TOps, TVector, T>(int m, int n, int k, ReadOnlySpan<T> a, int aRow, int aColumn, ReadOnlySpan<T> b, int bRow, int bColumn,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged =>
        Run<TOps, TVector, T>(m, n, k, a, aRow, aColumn, aPacked: false, b, bRow, bColumn, bPacked: false, c, ldc, accumulate, work);

    // The product; with aPacked, `a` is A as Pack left it (block (ic, pc) at PackedBlock) and aRow, aColumn are unused; with
    // bPacked, `b` is B packed as PackedBBlock says and bRow, bColumn are unused.
    private static void Run<TOps, TVector, T>(int m, int n, int k, ReadOnlySpan<T> a, int aRow, int aColumn, bool aPacked, ReadOnlySpan<T> b, int bRow, int bColumn, bool bPacked,
        Span<T> c, int ldc, bool accumulate, Span<T> work)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0) return;
        RequireCovers(c.Length, ((long)(m - 1) * ldc) + n, nameof(c));
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }

        RequireCovers(a.Length, aPacked ? PackedSize(m, k) : ((long)(m - 1) * aRow) + ((long)(k - 1) * aColumn) + 1, nameof(a));
        int nr = 2 * TOps.Count;
        RequireCovers(b.Length, bPacked ? (long)k * RoundUp(n, nr) : ((long)(k - 1) * bRow) + ((long)(n - 1) * bColumn) + 1, nameof(b));
        RequireCovers(work.Length, WorkspaceSize(m, n, k), nameof(work));

        int kcMax = Math.Min(DepthBlock, k);
        Span<T> packing = work[..(Math.Min(RowBlock, RoundUp(m, RowTile)) * kcMax)];
        Span<T> packingB = work[packing.Length..];
        Span<T> edge = stackalloc T[RowTile * WidestColumnTile];
        for (int jc = 0; jc < n; jc += ColumnBlock)
        {
            int nc = Math.Min(ColumnBlock, n - jc);
            for (int pc = 0; pc < k; pc += DepthBlock)
            {
                int kc = Math.Min(DepthBlock, k - pc);
                ReadOnlySpan<T> packedB;
                if (bPacked)
                {
                    packedB = b.Slice(PackedBBlock(n, k, nr, jc, pc), RoundUp(nc, nr) * kc);
                }
                else
                {
                    PackB(b, bRow, bColumn, pc, jc, kc, nc, nr, packingB);
                    packedB = packingB;
                }

                bool add = accumulate || pc > 0;
                for (int ic = 0; ic < m; ic += RowBlock)
                {
                    int mc = Math.Min(RowBlock, m - ic);
                    ReadOnlySpan<T> packedA;
                    if (aPacked)
                    {
                        packedA = a.Slice(PackedBlock(m, ic, pc, kc), RoundUp(mc, RowTile) * kc);
                    }
                    else
                    {
                        PackA(a, aRow, aColumn, ic, pc, mc, kc, packing);
                        packedA = packing;
                    }

                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        ReadOnlySpan<T> panelB = packedB.Slice(jr * kc, nr * kc);
                        for (int ir = 0; ir < mc; ir += RowTile)
                        {
                            Kernel<TOps, TVector, T>(kc, packedA.Slice(ir * kc, RowTile * kc), panelB, c[(((ic + ir) * ldc) + jc + jr)..],
                                ldc, Math.Min(RowTile, mc - ir), Math.Min(nr, nc - jr), add, edge);
                        }
                    }
                }
            }
        }
    }

    // A's rows ic..ic+mc over depth pc..pc+kc as panels of RowTile rows: panel q holds (p, r) at q·RowTile·kc + p·RowTile + r,
    // rows past m zero (the kernel multiplies them and the store drops them).
    private static void PackA<T>(ReadOnlySpan<T> a, int aRow, int aColumn, int ic, int pc, int mc, int kc, Span<T> packed)
        where T : unmanaged
    {
        for (int ir = 0; ir < mc; ir += RowTile)
        {
            Span<T> panel = packed.Slice(ir * kc, RowTile * kc);
            int rows = Math.Min(RowTile, mc - ir);
            for (int r = 0; r < rows; r++)
            {
                int start = ((ic + ir + r) * aRow) + (pc * aColumn);
                for (int p = 0; p < kc; p++) panel[(p * RowTile) + r] = a[start + (p * aColumn)];
            }

            for (int r = rows; r < RowTile; r++)
            {
                for (int p = 0; p < kc; p++) panel[(p * RowTile) + r] = default;
            }
        }
    }

    // B's depth pc..pc+kc over columns jc..jc+nc as panels of nr columns: panel q holds (p, j) at q·nr·kc + p·nr + j, columns
    // past n zero. The loop runs along whichever of B's strides is 1.
    private static void PackB<T>(ReadOnlySpan<T> b, int bRow, int bColumn, int pc, int jc, int kc, int nc, int nr, Span<T> packed)
        where T : unmanaged
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            Span<T> panel = packed.Slice(jr * kc, nr * kc);
            int columns = Math.Min(nr, nc - jr);
            if (bColumn == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    b.Slice(((pc + p) * bRow) + jc + jr, columns).CopyTo(panel.Slice(p * nr, columns));
                    panel.Slice((p * nr) + columns, nr - columns).Clear();
                }
            }
            else
            {
                for (int j = 0; j < nr; j++)
                {
                    if (j >= columns)
                    {
                        for (int p = 0; p < kc; p++) panel[(p * nr) + j] = default;
                        continue;
                    }

                    int start = (pc * bRow) + ((jc + jr + j) * bColumn);
                    for (int p = 0; p < kc; p++) panel[(p * nr) + j] = b[start + (p * bRow)];
                }
            }
        }
    }

    // C's tile of rows × columns (at most RowTile × 2 vectors) from one A panel and one B panel over depth kc. Twelve
    // accumulators in registers; a full tile is stored straight into C, a partial one through the edge buffer.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TOps, TVector, T>(int kc, ReadOnlySpan<T> panelA, ReadOnlySpan<T> panelB, Span<T> c, int ldc, int rows, int columns,
        bool add, Span<T> edge)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged
    {
        int w = TOps.Count, nr = 2 * w;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        ref T pa = ref MemoryMarshal.GetReference(panelA);
        ref T pb = ref MemoryMarshal.GetReference(panelB);
        for (int p = 0; p < kc; p++)
        {
            // Both panels were sliced to exactly kc steps above, so these reads stay inside them.
            TVector b0 = Load<TVector, T>(ref pb, p * nr), b1 = Load<TVector, T>(ref pb, (p * nr) + w);
            ref T ap = ref Unsafe.Add(ref pa, p * RowTile);
            TVector a = TOps.Broadcast(ap);
            c00 = TOps.MultiplyAdd(a, b0, c00);
            c01 = TOps.MultiplyAdd(a, b1, c01);
            a = TOps.Broadcast(Unsafe.Add(ref ap, 1));
            c10 = TOps.MultiplyAdd(a, b0, c10);
            c11 = TOps.MultiplyAdd(a, b1, c11);
            a = TOps.Broadcast(Unsafe.Add(ref ap, 2));
            c20 = TOps.MultiplyAdd(a, b0, c20);
            c21 = TOps.MultiplyAdd(a, b1, c21);
            a = TOps.Broadcast(Unsafe.Add(ref ap, 3));
            c30 = TOps.MultiplyAdd(a, b0, c30);
            c31 = TOps.MultiplyAdd(a, b1, c31);
            a = TOps.Broadcast(Unsafe.Add(ref ap, 4));
            c40 = TOps.MultiplyAdd(a, b0, c40);
            c41 = TOps.MultiplyAdd(a, b1, c41);
            a = TOps.Broadcast(Unsafe.Add(ref ap, 5));
            c50 = TOps.MultiplyAdd(a, b0, c50);
            c51 = TOps.MultiplyAdd(a, b1, c51);
        }

        if (rows == RowTile && columns == nr)
        {
            Store<TOps, TVector, T>(c, 0, w, c00, c01, add);
            Store<TOps, TVector, T>(c, ldc, w, c10, c11, add);
            Store<TOps, TVector, T>(c, 2 * ldc, w, c20, c21, add);
            Store<TOps, TVector, T>(c, 3 * ldc, w, c30, c31, add);
            Store<TOps, TVector, T>(c, 4 * ldc, w, c40, c41, add);
            Store<TOps, TVector, T>(c, 5 * ldc, w, c50, c51, add);
            return;
        }

        Span<T> tile = edge[..(RowTile * nr)];
        Store<TOps, TVector, T>(tile, 0, w, c00, c01, add: false);
        Store<TOps, TVector, T>(tile, nr, w, c10, c11, add: false);
        Store<TOps, TVector, T>(tile, 2 * nr, w, c20, c21, add: false);
        Store<TOps, TVector, T>(tile, 3 * nr, w, c30, c31, add: false);
        Store<TOps, TVector, T>(tile, 4 * nr, w, c40, c41, add: false);
        Store<TOps, TVector, T>(tile, 5 * nr, w, c50, c51, add: false);
        for (int r = 0; r < rows; r++)
        {
            Span<T> row = c.Slice(r * ldc, columns);
            ReadOnlySpan<T> source = tile.Slice(r * nr, columns);
            if (add) TOps.AddTo(source, row);
            else source.CopyTo(row);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Load<TVector, T>(ref T origin, int offset)
        where TVector : unmanaged
        where T : unmanaged =>
        Unsafe.ReadUnaligned<TVector>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref origin, offset)));

    // Two vectors of one C row at c[start..start + 2w] (checked by the slice), added to what is there when add is set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TOps, TVector, T>(Span<T> c, int start, int w, TVector v0, TVector v1, bool add)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged
    {
        ref T row = ref MemoryMarshal.GetReference(c.Slice(start, 2 * w));
        ref byte first = ref Unsafe.As<T, byte>(ref row), second = ref Unsafe.As<T, byte>(ref Unsafe.Add(ref row, w));
        if (add)
        {
            v0 = TOps.Add(Unsafe.ReadUnaligned<TVector>(ref first), v0);
            v1 = TOps.Add(Unsafe.ReadUnaligned<TVector>(ref second), v1);
        }

        Unsafe.WriteUnaligned(ref first, v0);
        Unsafe.WriteUnaligned(ref second, v1);
    }

    // Where Pack puts the block of rows ic.. over depth pc..pc+kc: depth block after depth block, each RoundUp(m)·kc long,
    // its row blocks (RowBlock rows, a multiple of RowTile) one after the other.
    private static int PackedBlock(int m, int ic, int pc, int kc) => (pc * RoundUp(m, RowTile)) + (ic * kc);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void RequireCovers(int length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"{name} has {length} elements; the product reads or writes {needed}.", name);
    }
}

/// <summary>The arithmetic one SIMD width (or the scalar) supplies to <see cref="Gemm"/>'s kernel, as TensorPrimitives' operator structs do.</summary>
/// <typeparam name="TVector">The register type (Vector512&lt;double&gt;, …, or the element itself for the scalar width).</typeparam>
/// <typeparam name="T">The element type.</typeparam>
internal interface IGemmOps<TVector, T>
    where TVector : unmanaged
    where T : unmanaged
{
    /// <summary>Elements per register.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(T value);

    /// <summary>a·b + c, one rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>a + b.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>destination[i] += source[i] (the partial tiles at C's edges).</summary>
    static abstract void AddTo(ReadOnlySpan<T> source, Span<T> destination);
}

#pragma warning disable SA1402, SA1649 // the eight widths belong together
internal readonly struct Double512 : IGemmOps<Vector512<double>, double>
{
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    public static void AddTo(ReadOnlySpan<double> source, Span<double> destination) => Double1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
#else
    public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Double256 : IGemmOps<Vector256<double>, double>
{
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    public static void AddTo(ReadOnlySpan<double> source, Span<double> destination) => Double1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
#else
    public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Double128 : IGemmOps<Vector128<double>, double>
{
    public static int Count => Vector128<double>.Count;
    public static Vector128<double> Broadcast(double value) => Vector128.Create(value);
    public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    public static void AddTo(ReadOnlySpan<double> source, Span<double> destination) => Double1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);
#else
    public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Double1 : IGemmOps<double, double>
{
    public static int Count => 1;
    public static double Broadcast(double value) => value;
    public static double Add(double a, double b) => a + b;
    public static double MultiplyAdd(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    public static void AddTo(ReadOnlySpan<double> source, Span<double> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] += source[i];
    }
}

internal readonly struct Single512 : IGemmOps<Vector512<float>, float>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static void AddTo(ReadOnlySpan<float> source, Span<float> destination) => Single1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
#else
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Single256 : IGemmOps<Vector256<float>, float>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static void AddTo(ReadOnlySpan<float> source, Span<float> destination) => Single1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
#else
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Single128 : IGemmOps<Vector128<float>, float>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static void AddTo(ReadOnlySpan<float> source, Span<float> destination) => Single1.AddTo(source, destination);
#if NET9_0_OR_GREATER
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
#else
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => LaneFma.MultiplyAdd(a, b, c);
#endif
}

internal readonly struct Single1 : IGemmOps<float, float>
{
    public static int Count => 1;
    public static float Broadcast(float value) => value;
    public static float Add(float a, float b) => a + b;
    public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    public static void AddTo(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] += source[i];
    }
}
#pragma warning restore SA1402, SA1649
