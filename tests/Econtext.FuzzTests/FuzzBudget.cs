using System.Globalization;

namespace Econtext.FuzzTests;

/// <summary>
/// How long each fuzz target runs. Unset (CI, ./test): a fixed number of inputs per target, so the
/// whole project stays well under a minute on two cores. ECONTEXT_FUZZ_SECONDS=N (by hand): each
/// target runs for N seconds instead (docs/security.md, Fuzzing).
/// </summary>
internal static class FuzzBudget
{
    /// <summary>Inputs per target in the bounded pass.</summary>
    public const long BoundedIterations = 20_000;

    /// <summary>The xunit timeout of every fuzz test: the cap of a long pass (6 h per target) plus slack.</summary>
    public const int TestTimeoutMilliseconds = 6 * 3600 * 1000 + 120_000;

    public static int? Seconds { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("ECONTEXT_FUZZ_SECONDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s > 0
            ? Math.Min(s, 6 * 3600)
            : null;

    /// <summary>CsCheck's iteration count: bounded, or -1 (time decides) in a long pass.</summary>
    public static long Iterations(long bounded = BoundedIterations) => Seconds is null ? bounded : -1;

    /// <summary>CsCheck's time in seconds: -1 (count decides) in the bounded pass.</summary>
    public static int Time => Seconds ?? -1;

    /// <summary>
    /// How long a target may take before it counts as hung: a parser that loops forever on one input
    /// shows up as a target that never ends.
    /// </summary>
    public static TimeSpan HangLimit => TimeSpan.FromSeconds((Seconds ?? 0) + 90);
}
