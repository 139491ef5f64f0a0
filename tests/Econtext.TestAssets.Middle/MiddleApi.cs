using Econtext.TestAssets.Leaf;

namespace Econtext.TestAssets.Middle;

/// <summary>Called in a context; every method needs types and code from the leaf assembly.</summary>
public static class MiddleApi
{
    public static LeafItem Make(string name) => new(name, LeafMath.Weigh(name));

    public static string DescribeAll(List<LeafItem> items) => string.Join(",", items.Select(LeafMath.Describe));

    public static string WhereIsLeaf() => typeof(LeafItem).Assembly.GetName().Name + "@" + typeof(LeafItem).Assembly.Location;
}
