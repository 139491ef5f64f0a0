namespace Econtext.Cli.Commands;

/// <summary>Splits <c>[TARGETS] SRC DEST</c>: two words are SRC and DEST on the default target, three name the targets first.</summary>
internal static class TransferWords
{
    public static (string? Targets, string Source, string Destination) Split(string command, CommandWords words, string example)
    {
        IReadOnlyList<string> all = words.All;
        return all.Count switch
        {
            2 => (null, all[0], all[1]),
            3 => (all[0], all[1], all[2]),
            _ => throw new UsageException($"{command} takes [TARGETS] SRC DEST, got {all.Count} word{(all.Count == 1 ? "" : "s")}. For example: {example}"),
        };
    }
}
