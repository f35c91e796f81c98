using System.Runtime.Intrinsics;
using OdeGen.Layers;
using OdeGen.Testing;

namespace OdeGen.Tests.Layers;

/// <summary>
/// The layers' matrix product against the textbook triple loop, for every transposition, edge tiles in all three
/// dimensions, sizes past every cache block, accumulate and overwrite; each SIMD width equal to the scalar kernel bit for
/// bit (every entry is the same chain of fused multiply-adds).
/// </summary>
public class GemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 6, 16, 5 },
        { 7, 17, 3 },
        { 64, 49, 576 },                    // the convolution's forward on 7×7: K past one depth block
        { 576, 49, 64 },                    // its input gradient (M past one row block)
        { 64, 576, 49 },                    // its weight gradient (N past one column block)
        { 13, 530, 300 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_MatchesTheTripleLoop_ForEveryTransposition(int m, int n, int k)
    {
        var random = new Random(m + (31 * n) + (17 * k));
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    double[] a = Random(random, m * k), b = Random(random, k * n);
                    int ldc = n + 3;                                     // C a window of a wider matrix
                    double[] c = Random(random, (m * ldc) + 2), c0 = (double[])c.Clone();
                    (int aRow, int aCol) = transA ? (1, m) : (k, 1);
                    (int bRow, int bCol) = transB ? (1, k) : (n, 1);
                    Gemm.Multiply<double>(m, n, k, a, aRow, aCol, b, bRow, bCol, c, ldc, accumulate, new double[Gemm.WorkspaceSize(m, n, k)]);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < ldc; j++)
                        {
                            int at = (i * ldc) + j;
                            if (j >= n)
                            {
                                Assert.Equal(c0[at], c[at]);           // outside the window: untouched
                                continue;
                            }

                            double expected = accumulate ? c0[at] : 0.0, scale = Math.Abs(expected);
                            for (int p = 0; p < k; p++)
                            {
                                double term = a[(i * aRow) + (p * aCol)] * b[(p * bRow) + (j * bCol)];
                                expected += term;
                                scale += Math.Abs(term);
                            }

                            Assert.True(Math.Abs(c[at] - expected) <= 1e-14 * (1 + scale),
                                $"{m}×{n}×{k} transA={transA} transB={transB} accumulate={accumulate}: C[{i},{j}] = {c[at]}, expected {expected}");
                        }
                    }

                    Assert.Equal(c0[^2..], c[^2..]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryWidth_EqualsTheScalarKernel_BitForBit(int m, int n, int k)
    {
        var random = new Random(7 + m + n + k);
        double[] a = Random(random, m * k), b = Random(random, k * n), c0 = Random(random, m * n);
        double[] work = new double[Gemm.WorkspaceSize(m, n, k)];
        double[] scalar = (double[])c0.Clone();
        Gemm.Multiply<Double1, double, double>(m, n, k, a, 1, m, b, n, 1, scalar, n, accumulate: true, work);
        double[] w128 = (double[])c0.Clone(), w256 = (double[])c0.Clone(), w512 = (double[])c0.Clone(), auto = (double[])c0.Clone();
        Gemm.Multiply<Double128, Vector128<double>, double>(m, n, k, a, 1, m, b, n, 1, w128, n, accumulate: true, work);
        Gemm.Multiply<Double256, Vector256<double>, double>(m, n, k, a, 1, m, b, n, 1, w256, n, accumulate: true, work);
        Gemm.Multiply<Double512, Vector512<double>, double>(m, n, k, a, 1, m, b, n, 1, w512, n, accumulate: true, work);
        Gemm.Multiply<double>(m, n, k, a, 1, m, b, n, 1, auto, n, accumulate: true, work);
        Assert.Equal(scalar, w128);
        Assert.Equal(scalar, w256);
        Assert.Equal(scalar, w512);
        Assert.Equal(scalar, auto);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackedA_EqualsPackingInTheProduct_BitForBit(int m, int n, int k)
    {
        // A packed once (a layer's weights kept for a training step) gives the product that packs A itself, to the bit, for
        // both of A's layouts and every block split (the shapes pass the row, depth and column blocks).
        var random = new Random(11 + m + n + k);
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool accumulate in new[] { false, true })
            {
                double[] a = Random(random, m * k), b = Random(random, k * n), c0 = Random(random, m * n);
                (int aRow, int aCol) = transA ? (1, m) : (k, 1);
                double[] work = new double[Gemm.WorkspaceSize(m, n, k)], packed = Random(random, Gemm.PackedSize(m, k));
                double[] expected = (double[])c0.Clone(), actual = (double[])c0.Clone();
                Gemm.Multiply<double>(m, n, k, a, aRow, aCol, b, n, 1, expected, n, accumulate, work);
                Gemm.Pack<double>(m, k, a, aRow, aCol, packed);
                Gemm.MultiplyPacked<double>(m, n, k, packed, b, n, 1, actual, n, accumulate, work);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Float_MatchesDouble_ToSinglePrecision()
    {
        const int M = 37, N = 45, K = 300;
        var random = new Random(5);
        double[] a = Random(random, M * K), b = Random(random, K * N), c = new double[M * N];
        float[] af = a.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray(), cf = new float[M * N];
        Gemm.Multiply<double>(M, N, K, af.Select(v => (double)v).ToArray(), K, 1, bf.Select(v => (double)v).ToArray(), N, 1, c, N, false, new double[Gemm.WorkspaceSize(M, N, K)]);
        Gemm.Multiply<float>(M, N, K, af, K, 1, bf, N, 1, cf, N, false, new float[Gemm.WorkspaceSize(M, N, K)]);
        for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(cf[i] - c[i]) <= 1e-5 * Math.Sqrt(K), $"C[{i}]: float {cf[i]}, double {c[i]}");
        float[] scalar = new float[M * N];
        Gemm.Multiply<Single1, float, float>(M, N, K, af, K, 1, bf, N, 1, scalar, N, false, new float[Gemm.WorkspaceSize(M, N, K)]);
        Assert.Equal(scalar, cf);
    }

    [Fact]
    public void ZeroDepth_ClearsOrKeeps_AndShortBuffersThrow()
    {
        double[] c = [1, 2, 3, 4];
        Gemm.Multiply<double>(2, 2, 0, [], 0, 1, [], 2, 1, c, 2, accumulate: true, []);
        Assert.Equal([1.0, 2, 3, 4], c);
        Gemm.Multiply<double>(2, 2, 0, [], 0, 1, [], 2, 1, c, 2, accumulate: false, []);
        Assert.Equal([0.0, 0, 0, 0], c);
        double[] a = new double[6], b = new double[6];
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(2, 2, 3, a, 3, 1, b, 2, 1, new double[3], 2, false, new double[Gemm.WorkspaceSize(2, 2, 3)])).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(2, 2, 3, a, 3, 1, b, 2, 1, new double[4], 2, false, new double[3])).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(2, 2, 4, a, 4, 1, new double[8], 2, 1, new double[4], 2, false, new double[Gemm.WorkspaceSize(2, 2, 4)])).ParamName);
    }

    [Fact]
    public void Multiply_AllocatesNothing()
    {
        const int M = 64, N = 49, K = 576;
        var random = new Random(1);
        double[] a = Random(random, M * K), b = Random(random, K * N), c = new double[M * N], work = new double[Gemm.WorkspaceSize(M, N, K)];
        Gemm.Multiply<double>(M, N, K, a, K, 1, b, N, 1, c, N, false, work);
        Assert.Equal(0, Allocations.Least(() => Gemm.Multiply<double>(M, N, K, a, K, 1, b, N, 1, c, N, false, work), windows: 3));
    }

    private static double[] Random(Random random, int length)
    {
        double[] v = new double[length];
        for (int i = 0; i < length; i++) v[i] = (2 * random.NextDouble()) - 1;
        return v;
    }
}
