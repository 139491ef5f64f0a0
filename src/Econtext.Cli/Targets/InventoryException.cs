namespace Econtext.Cli.Targets;

/// <summary>
/// A target list, inventory or host pattern the tool cannot use. The message is written for the person who wrote
/// the file: where (file and line when known), what is wrong, and what a correct one looks like.
/// </summary>
internal sealed class InventoryException : Exception
{
    public InventoryException(string message)
        : base(message)
    {
    }

    public InventoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InventoryException(string? file, int? line, string problem, Exception? innerException = null)
        : this(file, line, null, problem, innerException)
    {
    }

    public InventoryException(string? file, int? line, int? column, string problem, Exception? innerException = null)
        : base(Where(file, line, column) + problem, innerException)
    {
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The inventory file as the user named it, or null for a target list typed on the command line.</summary>
    public string? File { get; }

    /// <summary>The 1-based line the problem is on, when one line is to blame.</summary>
    public int? Line { get; }

    /// <summary>The 1-based column, when the parser that found the problem knows it (YAML).</summary>
    public int? Column { get; }

    private static string Where(string? file, int? line, int? column)
    {
        var at = line is null ? "" : column is null ? $"line {line}" : $"line {line} column {column}";
        return file is null && at.Length == 0 ? ""
            : file is null ? at + ": "
            : at.Length == 0 ? file + ": "
            : $"{file} {at}: ";
    }
}
