namespace Econtext.StartupProbe;

internal static class JitList
{
    public static async Task RunAsync(string file)
    {
        File.Delete(file);
        await using (var router = new Router())
        {
            var env = new Dictionary<string, string> { ["DOTNET_JitStdOutFile"] = file, ["DOTNET_JitDisasmSummary"] = "1" };
            Context context = await router.LocalAsync(new LocalOptions { Environment = env });
            await context.CallAsync(() => Workload.Ping());
            await context.ShutdownAsync();
        }

        // Lines look like: "  12: JIT compiled Ns.Type`1[int]:Method(args) [Tier0, IL size=16, code size=135]".
        var methods = new List<(string Method, string Tier)>();
        foreach (string line in File.ReadLines(file))
        {
            int at = line.IndexOf("JIT compiled ", StringComparison.Ordinal);
            int bracket = line.LastIndexOf(" [", StringComparison.Ordinal);
            if (at < 0 || bracket < at)
            {
                continue;
            }

            string tier = line[(bracket + 2)..];
            tier = tier[..tier.IndexOf(',', StringComparison.Ordinal)];
            methods.Add((line[(at + 13)..bracket], tier));
        }

        var o = new StringBuilder();
        o.AppendLine(CultureInfo.InvariantCulture, $"## 4. Methods the JIT compiled in one child (start + one call): {methods.Count}");
        o.AppendLine();
        o.AppendLine("| tier | methods |");
        o.AppendLine("|---|---|");
        foreach (var g in methods.GroupBy(m => m.Tier).OrderByDescending(g => g.Count()))
        {
            o.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key} | {g.Count()} |");
        }

        o.AppendLine();
        o.AppendLine("By declaring type, nested types under their outer type, namespaces dropped from the arguments. `__Canon` stands for any reference type (one shared copy of the code); any other argument is a value type, which needs code of its own:");
        o.AppendLine();
        o.AppendLine("| declaring type | methods | instantiations (type arguments, or method: arguments) |");
        o.AppendLine("|---|---|---|");
        var split = methods.Select(m => Split(m.Method)).ToList();
        foreach (var g in split.GroupBy(t => Outer(t.Open)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            string inst = string.Join(", ", g.Select(t => Short(t.Args)).Where(a => a.Length > 0).Distinct().Select(a => Code(a.Length > 90 ? a[..88] + "…" : a)));
            o.AppendLine(CultureInfo.InvariantCulture, $"| {Code(g.Key)} | {g.Count()} | {inst} |");
        }

        var dictionaries = split.Where(t => Outer(t.Open) == "System.Collections.Concurrent.ConcurrentDictionary`2").ToList();
        var valueKeys = dictionaries.Where(t => !t.Args.StartsWith("System.__Canon", StringComparison.Ordinal)).ToList();
        o.AppendLine();
        o.AppendLine(CultureInfo.InvariantCulture, $"ConcurrentDictionary (with its nested types): {dictionaries.Count} of the {methods.Count} methods; {valueKeys.Count} of them over value-type keys, in {valueKeys.Select(t => t.Args).Distinct().Count()} instantiations. No ReadyToRun image held code for them, so every child compiles them again.");
        Console.Write(o.ToString());
    }

    private static string Outer(string type) => type.Split('+')[0];

    // "System.ValueTuple`2[System.Guid,int]" becomes "ValueTuple`2[Guid,int]".
    private static string Short(string args) => System.Text.RegularExpressions.Regex.Replace(args, @"\b(?:[A-Za-z_][A-Za-z0-9_]*\.)+", string.Empty);

    // Type names hold backticks, so a code span needs double ones.
    private static string Code(string text) => "`` " + text + " ``";

    /// <summary>
    /// "Ns.Outer`2+Inner[int,System.__Canon]:M(...)" becomes ("Ns.Outer`2+Inner", "int,System.__Canon"). A
    /// generic method on a plain type keeps its type's name and shows its own arguments after "M:".
    /// </summary>
    private static (string Open, string Args) Split(string method)
    {
        int depth = 0;
        int colon = -1;
        for (int i = 0; i < method.Length && colon < 0; i++)
        {
            switch (method[i])
            {
                case '[':
                    depth++;
                    break;
                case ']':
                    depth--;
                    break;
                case ':' when depth == 0:
                    colon = i;
                    break;
            }
        }

        string type = colon < 0 ? method : method[..colon];
        int open = type.IndexOf('[', StringComparison.Ordinal);
        if (open >= 0)
        {
            return (type[..open], type[(open + 1)..^1]);
        }

        // Not a generic type: show a generic method's arguments, if any.
        string rest = colon < 0 ? string.Empty : method[(colon + 1)..];
        int paren = rest.IndexOf('(', StringComparison.Ordinal);
        string name = paren < 0 ? rest : rest[..paren];
        int methodArgs = name.IndexOf('[', StringComparison.Ordinal);
        return methodArgs < 0 ? (type, string.Empty) : (type, name[..methodArgs] + ":" + name[(methodArgs + 1)..^1]);
    }
}
