using OdeGen.Lanes;

namespace OdeGen.Tests.Lanes;

/// <summary>
/// LaneMath.Tanh computes only the side every lane is on when they agree (LaneMathTests hold its accuracy): the bits must be
/// those of the formula that computes both sides and selects per lane, whatever the mix of lanes. The reference below is
/// that formula as it stood before, kept here on purpose (a copy held bit for bit to the kernel).
/// </summary>
public class TanhSidesTests
{
    private static T Reference<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        T z = x * x;
        T p = T.FusedMultiplyAdd(T.FusedMultiplyAdd(T.Create(-9.64399179425052238628E-1), z, T.Create(-9.92877231001918586564E1)), z, T.Create(-1.61468768441708447952E3));
        T q = T.FusedMultiplyAdd(T.FusedMultiplyAdd(z + T.Create(1.12811678491632931402E2), z, T.Create(2.23548839060100448583E3)), z, T.Create(4.84406305325125486048E3));
        T small = T.FusedMultiplyAdd(x * z, p / q, x);
        T e = T.Exp(a + a);
        T large = T.Create(1.0) - T.Create(2.0) / (e + T.Create(1.0));
        return T.CopySign(T.Select(T.LessThan(a, T.Create(0.625)), small, large), x);
    }

    [Fact]
    public void Tanh_AllSmall_AllLarge_AndMixedLanes_AreTheSelectFormulasBits()
    {
        Check<Lane128>();
        Check<Lane256>();
        Check<Lane512>();
    }

    private static void Check<T>() where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        var r = new Random(7);
        double[] special = [0.0, -0.0, 0.625, -0.625, 0.6249999999999999, 1e-300, -5e-324, 19.0, 354.0, 1e308, double.PositiveInfinity, double.NegativeInfinity, double.NaN];
        var lanes = new double[T.Count];
        for (int trial = 0; trial < 3000; trial++)
        {
            // Regimes: every lane small, every lane large, mixed, and special values among either.
            int regime = trial % 4;
            for (int l = 0; l < lanes.Length; l++)
            {
                double u = 2 * r.NextDouble() - 1;
                lanes[l] = regime switch
                {
                    0 => 0.625 * u,
                    1 => Math.CopySign(0.625 + (30 * Math.Abs(u)), u),
                    2 => 3 * u,
                    _ => r.Next(3) == 0 ? special[r.Next(special.Length)] : 2 * u,
                };
            }

            T x = T.Load(lanes);
            var got = new double[T.Count];
            var want = new double[T.Count];
            T.Store(LaneMath.Tanh(x), got);
            T.Store(Reference(x), want);
            for (int l = 0; l < lanes.Length; l++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(want[l]) == BitConverter.DoubleToInt64Bits(got[l]) || (double.IsNaN(want[l]) && double.IsNaN(got[l])),
                    $"{typeof(T).Name} tanh({lanes[l]:R}): {got[l]:R} against {want[l]:R}");
            }
        }
    }
}
