namespace Econtext.Routing;

/// <summary>Packs the pairs <see cref="LockedMap{TValue}"/> is keyed by into one <see cref="long"/>.</summary>
internal static class MapKey
{
    /// <summary>(context id, handle) and the like: <paramref name="high"/> in the upper 32 bits.</summary>
    public static long Of(int high, int low) => ((long)high << 32) | (uint)low;

    /// <summary>(context id, stream byte) and the like.</summary>
    public static long Of(int high, byte low) => ((long)high << 32) | low;
}
