using System.Runtime.InteropServices;
using OdeGen.Layers;

namespace OdeGen.Tests.Layers;

/// <summary>The float kernels' packed-weight buffer starts on a 64-byte line, is zeroed and has the length asked for.</summary>
public class LineAlignedFloatsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(37_440)]   // the 64-channel ODE block's first convolution, 65 × 9 taps × 64 outputs
    public void StartsOnALine_Zeroed(int length)
    {
        for (int i = 0; i < 8; i++)   // arrays of several sizes before it, so that it lands at different offsets
        {
            _ = new float[i * 3 + 1];
            var buffer = new LineAlignedFloats(length);
            Span<float> span = buffer.Span;
            Assert.Equal(length, span.Length);
            Assert.Equal(length, buffer.Length);
            Assert.True(span.IndexOfAnyExcept(0f) < 0);
            if (length == 0) continue;
            Assert.Equal(0, Address(span) % 64);
            GC.Collect();   // the pinned-object heap keeps it in place: the span still starts on a line
            Assert.Equal(0, Address(buffer.Span) % 64);
        }
    }

    private static unsafe long Address(Span<float> span)
    {
        fixed (float* p = span) return (long)p;
    }
}
