using System.CommandLine;

namespace Econtext.Cli.Commands;

/// <summary>The options of every command that starts a local context, turned into <see cref="LocalOptions"/>.</summary>
internal sealed class LocalContextOptions
{
    private readonly Option<string?> _dotnet = new("--dotnet")
    {
        Description = "The dotnet host to run the context with. By default it is searched for: $DOTNET_ROOT, PATH, then the usual install directories.",
        HelpName = "path",
    };

    private readonly Option<double> _connectTimeout = new("--connect-timeout")
    {
        Description = "Seconds the context may take to start.",
        HelpName = "seconds",
        DefaultValueFactory = _ => new LocalOptions().ConnectTimeout.TotalSeconds,
    };

    public LocalContextOptions()
    {
        _connectTimeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is <= 0 or double.NaN)
            {
                result.AddError("--connect-timeout must be a positive number of seconds.");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_dotnet);
        command.Options.Add(_connectTimeout);
    }

    public LocalOptions Read(ParseResult parseResult) => new()
    {
        DotnetPath = parseResult.GetValue(_dotnet),
        ConnectTimeout = TimeSpan.FromSeconds(parseResult.GetValue(_connectTimeout)),
    };
}
