using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Commands;

/// <summary>
/// A command line that does not parse gets its errors and one line saying where help is, as argparse does
/// for Ansible ("ansible: error: ..."), not the whole --help, which pushed the error off the screen.
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>
    /// Parses <paramref name="args"/>; when they do not parse, reports why on <paramref name="error"/> and
    /// returns the exit code, else null with <paramref name="parsed"/> ready to invoke.
    /// </summary>
    public static int? Parse(string[] args, TextWriter error, out ParseResult? parsed)
    {
        try
        {
            parsed = EcontextCli.Build().Parse(args, EcontextCli.Parsing);
        }
        catch (InvalidOperationException ex) when (ConversionError().IsMatch(ex.Message))
        {
            // An option's validator read a value that does not convert (--forks x): System.CommandLine throws from Parse.
            parsed = null;
            string command = args.Length > 0 && !args[0].StartsWith('-') ? "econtext " + args[0] : "econtext";
            error.WriteLine($"econtext: error: {Readable(ex.Message)}");
            error.WriteLine($"Run '{command} --help' for its options and examples.");
            error.Flush();
            return CommandErrors.Failed;
        }

        return Report(parsed, error);
    }

    /// <summary>Reports the parse errors and returns the exit code, or null when the command line parsed (or asks for help).</summary>
    public static int? Report(ParseResult parsed, TextWriter error)
    {
        if (parsed.Action is not ParseErrorAction)
        {
            return null;
        }

        string command = CommandPath(parsed.CommandResult);
        foreach (ParseError parseError in parsed.Errors)
        {
            error.WriteLine($"econtext: error: {Readable(parseError.Message)}");
        }

        error.WriteLine($"Run '{command} --help' for its options and examples.");
        error.Flush();
        return CommandErrors.Failed;
    }

    /// <summary>"Cannot parse argument 'x' for option '--forks' as expected type 'System.Int32'." in the words of a person.</summary>
    public static string Readable(string message) => ConversionError().Replace(message, match =>
    {
        string wanted = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" or "System.Nullable`1[System.Double]" => "a number",
            "System.Boolean" => "true or false",
            _ => "a value of another form",
        };
        return $"{match.Groups["option"].Value} takes {wanted}, not '{match.Groups["value"].Value}'.";
    });

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.")]
    private static partial Regex ConversionError();

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult command)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
