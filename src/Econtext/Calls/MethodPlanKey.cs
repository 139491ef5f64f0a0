namespace Econtext.Calls;

/// <summary>
/// What a callee's <see cref="MethodPlan"/> is cached under: the module's MVID, the method's metadata
/// token, and the generic arguments spelled out. A class rather than a tuple: a <c>ConcurrentDictionary</c>
/// keyed by a value type has no ReadyToRun code and is JIT-compiled in every child at start.
/// Equality is written out, with no generic helper over a value type, for the same reason.
/// </summary>
internal sealed class MethodPlanKey(Guid mvid, int metadataToken, string generics) : IEquatable<MethodPlanKey>
{
    public Guid Mvid { get; } = mvid;

    public int MetadataToken { get; } = metadataToken;

    public string Generics { get; } = generics;

    public bool Equals(MethodPlanKey? other) =>
        other is not null
        && MetadataToken == other.MetadataToken
        && Mvid == other.Mvid
        && string.Equals(Generics, other.Generics, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as MethodPlanKey);

    public override int GetHashCode() =>
        unchecked((Mvid.GetHashCode() * 31 + MetadataToken) * 31 + StringComparer.Ordinal.GetHashCode(Generics));
}
