namespace Econtext.TestAssets.Leaf;

/// <summary>A value type of the leaf assembly that travels in Middle's method signatures.</summary>
public sealed record LeafItem(string Name, int Weight);

/// <summary>Code that only runs in the leaf assembly, so calling Middle needs Leaf loaded.</summary>
public static class LeafMath
{
    public static int Weigh(string name) => name.Length * 7;

    public static string Describe(LeafItem item) => $"{item.Name}:{item.Weight}";
}
