using System.Text.Json.Nodes;

namespace Econtext.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        double rank = p / 100 * (sorted.Length - 1);
        int low = (int)Math.Floor(rank);
        int high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    public static double Round(double value, int digits = 1) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    /// <summary>
    /// How far a figure's samples spread: p10 and p90 of all of them (the median alone moved tenfold
    /// between two runs of a busy machine), and how many there were. bench/compare.py prints it
    /// beside the median, bench/smoke checks it is there.
    /// </summary>
    public static JsonObject Spread(IReadOnlyList<double> values, int digits = 1) => new()
    {
        ["p10"] = Round(Percentile(values, 10), digits),
        ["p90"] = Round(Percentile(values, 90), digits),
        ["n"] = values.Count,
    };

    /// <summary>
    /// Ratios taken pairwise (ours over the floor, each pair measured back to back): their range, so a
    /// reader sees whether the ratio held while the machine's load moved both.
    /// </summary>
    public static JsonObject RatioSpread(IReadOnlyList<double> ratios) => new()
    {
        ["min"] = Round(ratios.Min(), 2),
        ["max"] = Round(ratios.Max(), 2),
        ["n"] = ratios.Count,
    };

    /// <summary>Sets <c>parent[key]</c> to the median and <c>parent[key + "_spread"]</c> to its spread.</summary>
    public static void Figure(JsonObject parent, string key, IReadOnlyList<double> values, int digits = 1)
    {
        parent[key] = Round(Median(values), digits);
        parent[key + "_spread"] = Spread(values, digits);
    }

    /// <summary>Sets <c>parent[key]</c> to the median of pairwise ratios and <c>parent[key + "_spread"]</c> to their range.</summary>
    public static void Ratio(JsonObject parent, string key, IReadOnlyList<double> ours, IReadOnlyList<double> floor)
    {
        double[] ratios = ours.Zip(floor, (a, b) => a / b).ToArray();
        parent[key] = Round(Median(ratios), 2);
        parent[key + "_spread"] = RatioSpread(ratios);
    }

    /// <summary>The 1-minute load average here (the machine may be shared; a busy one drags every figure).</summary>
    public static double? LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out double load) ? load : null;
}
