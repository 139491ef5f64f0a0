namespace Econtext.IntegrationTests;

/// <summary>Methods for fan-out tests: what each context does depends on its name.</summary>
public static class Fleet
{
    public static async Task<string> ReportAsync()
    {
        string name = CurrentContext.Name;
        if (name.EndsWith("-fails", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("failing on purpose in " + name);
        }

        if (name.EndsWith("-slow", StringComparison.Ordinal))
        {
            await Task.Delay(1500);
        }

        return name;
    }
}
