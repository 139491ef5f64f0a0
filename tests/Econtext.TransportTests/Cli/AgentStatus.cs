using System.Globalization;
using System.Text.RegularExpressions;

namespace Econtext.TransportTests.Cli;

/// <summary><c>econtext agent status</c> as read back: the agent's pid and commands served, and one row per warm context.</summary>
public sealed partial record AgentStatus(int AgentPid, int CommandsServed, IReadOnlyList<WarmContextRow> Contexts)
{
    public static AgentStatus Parse(string text)
    {
        Match head = HeadLine().Match(text);
        Assert.True(head.Success, "no agent line in: " + text);
        var rows = new List<WarmContextRow>();
        foreach (string line in text.Split('\n').SkipWhile(l => !l.StartsWith("CONTEXT", StringComparison.Ordinal)).Skip(1))
        {
            string[] cells = Columns().Split(line.Trim());
            if (cells.Length >= 8)
            {
                rows.Add(new WarmContextRow(cells[0], cells[1], int.Parse(cells[2], CultureInfo.InvariantCulture), int.Parse(cells[5], CultureInfo.InvariantCulture), cells[6]));
            }
        }

        return new AgentStatus(int.Parse(head.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(head.Groups[2].Value, CultureInfo.InvariantCulture), rows);
    }

    public WarmContextRow Context(string name) => Assert.Single(Contexts, c => c.Name == name);

    [GeneratedRegex(@"agent pid (\d+), up \S+, (\d+) commands? served")]
    private static partial Regex HeadLine();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Columns();
}

/// <summary>One warm context in <see cref="AgentStatus"/>.</summary>
public sealed record WarmContextRow(string Name, string ReachedAs, int Pid, int Uses, string Rss);
