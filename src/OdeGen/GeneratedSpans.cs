using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace OdeGen;

/// <summary>
/// The entry check of generated dynamics methods: each span is cut to the system's declared size, so the JIT knows its
/// length and drops the range checks it can prove, and a span that is too short fails here, before anything is written,
/// with a message that names the span and the size it needs (Span.Slice would only say "out of range").
/// </summary>
// Public because generated code in the user's assembly calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedSpans
{
    /// <summary>The first <paramref name="size"/> elements of <paramref name="span"/>; throws if it has fewer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<T> Sized<T>(ReadOnlySpan<T> span, int size, string name, string sizeName)
    {
        if (span.Length < size) ThrowTooShort(name, span.Length, size, sizeName);
        return span.Slice(0, size);
    }

    /// <summary>The first <paramref name="size"/> elements of <paramref name="span"/>; throws if it has fewer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<T> Sized<T>(Span<T> span, int size, string name, string sizeName)
    {
        if (span.Length < size) ThrowTooShort(name, span.Length, size, sizeName);
        return span.Slice(0, size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooShort(string name, int length, int size, string sizeName) =>
        throw new ArgumentException(
            $"{name} has length {length}, but the system's {sizeName} is {size}: pass a span of at least {size} elements.", name);
}
