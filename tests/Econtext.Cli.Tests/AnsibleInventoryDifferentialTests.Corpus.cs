using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext.Cli.Targets;
using Xunit.Abstractions;

namespace Econtext.Cli.Tests;

/// <summary>
/// The corpus of real inventories other projects wrote (<c>shared/ansible-inventories</c> beside the repository,
/// never copied into it) read by ansible-core and by econtext: every host's variables, and the hosts of a set of
/// patterns built from each inventory's own groups and hosts (subscripts, unions in both orders, intersections,
/// exclusions, wildcards, regexes, implicit localhost, a term that matches nothing, --limit). Ansible's answers come
/// from its own InventoryManager and VariableManager, the code behind <c>ansible --list-hosts</c> and
/// <c>ansible-inventory --host</c>. Ansible walks each level of a group's grandchildren as a set of objects hashed by
/// address, so that order changes from run to run (with PYTHONHASHSEED or without); the reference runs once per fixed
/// order of that walk, and an answer that differs between them has no order to agree with: it is left out, and counted.
/// </summary>
public sealed partial class AnsibleInventoryDifferentialTests(ITestOutputHelper output)
{
    private static readonly string[] Seeds = ["asc", "desc", "shuffle-1", "shuffle-2", "shuffle-3"];

    private const string Reference = """
import json, re, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.manager import VariableManager
from ansible.utils.display import Display
from ansible.cli.inventory import INTERNAL_VARS
from ansible.parsing.ajson import AnsibleJSONEncoder

# Group.get_hosts walks each level of descendants as a set of Group objects, which hash by address: that order
# changes from run to run. Each run here fixes it one way (by name up, down, or shuffled with a fixed seed), so an
# answer that differs between runs is one Ansible has no fixed order for.
import os, random
from itertools import chain
from ansible.inventory.group import Group
MODE = os.environ.get('ECONTEXT_WALK_ORDER', 'asc')
rng = random.Random(MODE)

def arrange(items):
    items = sorted(items, key=lambda g: g.name)
    if MODE == 'desc':
        items.reverse()
    elif MODE != 'asc':
        rng.shuffle(items)
    return items

def _walk_relationship(self, rel, include_self=False, preserve_ordering=False):
    seen = set([])
    unprocessed = set(getattr(self, rel))
    if include_self:
        unprocessed.add(self)
    if preserve_ordering:
        ordered = [self] if include_self else []
        ordered.extend(getattr(self, rel))
    while unprocessed:
        seen.update(unprocessed)
        new_unprocessed = set([])
        for new_item in chain.from_iterable(getattr(g, rel) for g in arrange(unprocessed)):
            new_unprocessed.add(new_item)
            if preserve_ordering:
                if new_item not in seen:
                    ordered.append(new_item)
        new_unprocessed.difference_update(seen)
        unprocessed = new_unprocessed
    if preserve_ordering:
        return ordered
    return seen

assert Group._walk_relationship.__code__.co_argcount == 4, 'ansible-core changed Group._walk_relationship'
Group._walk_relationship = _walk_relationship

warnings = []
Display.warning = lambda self, msg, formatted=False: warnings.append(msg)

def queries(inv):
    groups = [g for g in inv.groups if g != 'all'][:12]
    hosts = list(inv.hosts)[:6]
    p = ['all', '*', 'ungrouped', 'localhost', 'all:localhost', 'nosuchgroup', 'all:!ungrouped']
    for g in groups:
        p += [g, g + '[0]', g + '[-1]', g + '[0:1]', g + '[1:]', 'all:!' + g, g + ':nosuch']
    for a, b in zip(groups, groups[1:]):
        p += [b + ':' + a, a + ':&' + b, a + ',' + b, '!' + a]
    p += hosts
    if len(hosts) > 1:
        p += [hosts[-1] + ':' + hosts[0], hosts[0] + ',' + hosts[-1]]
    for h in hosts[:3]:
        p += [h[:3] + '*', '~' + re.escape(h[:2]), h + '[0]']
    q = [{'pattern': x} for x in p]
    if groups:
        q += [{'pattern': 'all', 'limit': groups[0]}, {'pattern': 'all', 'limit': '!' + groups[0]}]
    if len(groups) > 1:
        q += [{'pattern': groups[1], 'limit': groups[0] + ':' + groups[1]}]
    if hosts:
        q += [{'pattern': 'all', 'limit': ','.join(hosts[:2])}]
    return q

out = []
for path in json.load(sys.stdin):
    loader = DataLoader()
    result = {'file': path}
    out.append(result)
    try:
        inv = InventoryManager(loader=loader, sources=path if isinstance(path, list) else [path])
        vm = VariableManager(loader=loader, inventory=inv)
    except Exception as e:
        result['error'] = str(e)
        continue
    hostvars = {}
    for h in inv.get_hosts('all'):
        v = vm.get_vars(host=h, include_hostvars=False, stage='all')
        for k in INTERNAL_VARS:
            v.pop(k, None)
        hostvars[h.name] = v
    result['hostvars'] = hostvars
    result['queries'] = []
    for q in queries(inv):
        del warnings[:]
        inv.clear_pattern_cache()
        try:
            inv.subset(q.get('limit'))
            q['hosts'] = [getattr(h, 'name', h) for h in inv.list_hosts(q['pattern'])]
        except Exception as e:
            q['error'] = str(e)
        finally:
            inv.subset(None)
        q['warnings'] = list(warnings)
        result['queries'].append(q)
json.dump(out, sys.stdout, cls=AnsibleJSONEncoder)
""";

    [CorpusFact]
    public async Task Every_corpus_inventory_selects_and_resolves_as_ansible_does()
    {
        string corpus = CorpusFactAttribute.Find()!;
        string[] files = [.. Directory.GetFiles(corpus).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        JsonArray[] runs = await Task.WhenAll(Seeds.Select(seed => ReferenceAsync([.. files], seed)));

        var disagreements = new List<string>();
        int queries = 0, seedDependent = 0;
        for (int f = 0; f < files.Length; f++)
        {
            string name = Path.GetFileName(files[f]);
            JsonObject reference = runs[0][f]!.AsObject();
            Inventory ours;
            try
            {
                ours = Inventory.Load(files[f]);
            }
            catch (InventoryException e)
            {
                disagreements.Add($"{name}: Ansible reads it, econtext refuses it: {e.Message}");
                continue;
            }

            CompareVariables(name, reference["hostvars"]!.AsObject(), ours, disagreements);
            JsonArray expected = reference["queries"]!.AsArray();
            for (int q = 0; q < expected.Count; q++)
            {
                queries++;
                JsonObject query = expected[q]!.AsObject();
                if (runs.Skip(1).Any(run => !JsonNode.DeepEquals(run[f]!["queries"]![q], query)))
                {
                    seedDependent++;
                    continue;
                }

                CompareQuery(name, query, ours, disagreements);
            }
        }

        // The reference is ansible-core's own code; that it is what the commands print is checked on a few files.
        foreach (int f in new[] { 0, files.Length / 2, files.Length - 1 })
        {
            JsonObject reference = runs[0][f]!.AsObject();
            JsonObject all = reference["queries"]![0]!.AsObject();
            if (runs.All(run => JsonNode.DeepEquals(run[f]!["queries"]![0], all)))
            {
                string listed = await CommandAsync("ansible", "-i", files[f], "all", "--list-hosts");
                string[] hosts = [.. listed.Split('\n').SkipWhile(l => !l.TrimStart().StartsWith("hosts (", StringComparison.Ordinal)).Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0)];
                Assert.Equal(all["hosts"]!.AsArray().Select(h => h!.GetValue<string>()), hosts);
            }

            if (reference["hostvars"]!.AsObject().FirstOrDefault() is { Key: { } host, Value: { } vars })
            {
                JsonNode shown = JsonNode.Parse(await CommandAsync("ansible-inventory", "-i", files[f], "--host", host))!;
                Assert.True(JsonNode.DeepEquals(shown, vars), $"{files[f]}: ansible-inventory --host {host} shows {shown.ToJsonString()}, the reference {vars.ToJsonString()}");
            }
        }

        output.WriteLine($"{files.Length} inventories, {queries} patterns, {seedDependent} left out as Ansible has no fixed order there (a level of grandchild groups walked as a set), {disagreements.Count} disagreements");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
        Assert.True(queries > 1000, $"only {queries} patterns were compared");
    }

    private static void CompareQuery(string file, JsonObject query, Inventory ours, List<string> disagreements)
    {
        string pattern = query["pattern"]!.GetValue<string>();
        string? limit = query["limit"]?.GetValue<string>();
        string what = $"{file}: {pattern}{(limit is null ? "" : $" --limit {limit}")}";
        var warnings = new List<string>();
        string mine;
        try
        {
            IReadOnlyList<TargetHost> hosts;
            try
            {
                hosts = TargetList.Resolve(pattern, ours, warnings);
            }
            catch (InventoryException) when (HostPattern.Evaluate(ours, HostPattern.SplitTerms(pattern), pattern, null).Count == 0)
            {
                // econtext refuses a pattern that selects nothing where Ansible says "No hosts matched": the same answer.
                hosts = [];
            }

            if (limit is not null)
            {
                HashSet<string> allowed = [.. HostPattern.Evaluate(ours, HostPattern.LimitTerms(limit, Path.GetFullPath), limit, warnings).Select(h => h.Name)];
                hosts = [.. hosts.Where(h => allowed.Contains(h.Name))];
            }

            mine = string.Join(" ", hosts.Select(h => h.Name));
        }
        catch (InventoryException e)
        {
            mine = "error: " + e.Message;
        }

        string theirs = query["error"] is { } error ? "error: " + error : string.Join(" ", query["hosts"]!.AsArray().Select(h => h!.GetValue<string>()));
        if (theirs.StartsWith("error", StringComparison.Ordinal) != mine.StartsWith("error", StringComparison.Ordinal) || (!theirs.StartsWith("error", StringComparison.Ordinal) && theirs != mine))
        {
            disagreements.Add($"{what}: Ansible [{theirs}], econtext [{mine}]");
        }

        string[] unmatched = [.. query["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).Where(w => w.StartsWith("Could not match", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal)];
        string[] ourUnmatched = [.. warnings.Where(w => w.StartsWith("Could not match", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal)];
        if (!unmatched.SequenceEqual(ourUnmatched))
        {
            disagreements.Add($"{what}: Ansible warns [{string.Join("; ", unmatched)}], econtext [{string.Join("; ", ourUnmatched)}]");
        }
    }

    private static void CompareVariables(string file, JsonObject hostvars, Inventory ours, List<string> disagreements)
    {
        string theirHosts = string.Join(" ", hostvars.Select(h => h.Key).Order(StringComparer.Ordinal));
        string ourHosts = string.Join(" ", ours.Hosts.Select(h => h.Name).Order(StringComparer.Ordinal));
        if (theirHosts != ourHosts)
        {
            disagreements.Add($"{file}: hosts are [{theirHosts}] in Ansible, [{ourHosts}] here");
        }

        foreach ((string host, JsonNode? vars) in hostvars)
        {
            if (ours.FindHost(host) is not { } mine)
            {
                continue;
            }

            foreach ((string key, JsonNode? value) in vars!.AsObject())
            {
                if (!mine.Vars.TryGetValue(key, out string? text))
                {
                    disagreements.Add($"{file}: host {host}: {key} is {value?.ToJsonString()} in Ansible, unset here");
                }
                else if (!SameValue(value, text))
                {
                    disagreements.Add($"{file}: host {host}: {key} is {value?.ToJsonString()} in Ansible, \"{text}\" here");
                }
            }

            foreach (string extra in mine.Vars.Keys.Where(k => !vars.AsObject().ContainsKey(k)))
            {
                disagreements.Add($"{file}: host {host}: {extra} is \"{mine.Vars[extra]}\" here, unset in Ansible");
            }
        }
    }

    // econtext keeps every scalar as text (YAML's yes stays "yes"), so values compare as text: Python's True is True.
    private static bool SameValue(JsonNode? value, string text) => value switch
    {
        null => text.Length == 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() == text,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => string.Equals(v.ToJsonString(), text, StringComparison.OrdinalIgnoreCase),
        JsonValue v => v.ToJsonString() == text,
        _ => TryParse(text) is { } parsed && JsonNode.DeepEquals(Textual(value), Textual(parsed)),
    };

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? Textual(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Textual(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Textual)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(v.GetValue<string>()),
        JsonValue v => JsonValue.Create(v.ToJsonString().ToLowerInvariant()),
        _ => null,
    };

    [Fact(Timeout = 120000)]
    public async Task Directories_several_sources_host_lists_and_variable_directories_resolve_as_ansible_does()
    {
        string root = Path.Combine(Path.GetTempPath(), $"econtext-sources-{Guid.NewGuid():N}");
        void Write(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            File.WriteAllText(Path.Combine(root, path), text);
        }

        Write("inv/10-web", "[web]\nweb1\nweb2 ansible_user=inline-user\n[web:vars]\nx=web-inline\nansible_user=web-inline-user\n");
        Write("inv/20-db.yml", "all:\n  children:\n    db:\n      hosts:\n        db1:\n      vars:\n        x: db-inline\n");
        Write("inv/notes.txt", "[ignored]\ngone1\n");
        Write("inv/old.ini", "[ignored]\ngone2\n");
        Write("inv/sub/30-more", "[web]\nweb4\n");
        Write("inv/group_vars/all.yml", "a: from-all-file\nx: all-file\n");
        Write("inv/group_vars/web/10.yml", "x: web-file\nansible_user: web-file-user\n");
        Write("inv/group_vars/web/20.yaml", "y: web-20\n");
        Write("inv/group_vars/web/skip.txt", "y: never\n");
        Write("inv/host_vars/web2.yml", "ansible_user: host-file-user\n");
        Write("inv/host_vars/db1", "ansible_port: 2200\nlist: [1, two]\n");
        Write("other/hosts", "[web]\nweb3\n[extra]\ne1\n");
        Write("other/group_vars/web.yml", "z: other-dir\nx: other-web-file\n");
        Write("other/host_vars/e1.json", "{\"ansible_host\": \"10.0.0.9\"}");
        try
        {
            string[] sources = [Path.Combine(root, "inv"), Path.Combine(root, "other", "hosts"), "h1,h2:2222,"];
            JsonArray[] runs = await Task.WhenAll(Seeds.Take(2).Select(seed => ReferenceAsync([sources], seed)));
            JsonObject reference = runs[0][0]!.AsObject();
            Inventory ours = InventorySources.Load(sources, Path.GetFullPath);

            var disagreements = new List<string>();
            CompareVariables("sources", reference["hostvars"]!.AsObject(), ours, disagreements);
            JsonArray queries = reference["queries"]!.AsArray();
            for (int q = 0; q < queries.Count; q++)
            {
                if (JsonNode.DeepEquals(runs[1][0]!["queries"]![q], queries[q]))
                {
                    CompareQuery("sources", queries[q]!.AsObject(), ours, disagreements);
                }
            }

            Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
            // What the tree was written for, so a change that broke both sides alike would still show.
            Assert.Equal("host-file-user", ours.FindHost("web2")!.User);
            Assert.Equal("web-file-user", ours.FindHost("web1")!.User);
            Assert.Equal(2200, ours.FindHost("db1")!.Port);
            Assert.Equal("10.0.0.9", ours.FindHost("e1")!.Address);
            Assert.Equal(2222, ours.FindHost("h2")!.Port);
            Assert.Null(ours.FindHost("gone1"));
            Assert.Null(ours.FindHost("gone2"));
            Assert.NotNull(ours.FindHost("web4"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [CorpusFact]
    public async Task Econtext_inventory_graph_and_list_show_each_corpus_inventory_as_ansible_inventory_does()
    {
        string corpus = CorpusFactAttribute.Find()!;
        string tool = Path.Combine(AppContext.BaseDirectory, "Econtext.Cli");
        var disagreements = new List<string>();
        foreach (string file in Directory.GetFiles(corpus).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            Task<string>[] graphs = [CommandAsync("ansible-inventory", "-i", file, "--graph"), CommandAsync(tool, "inventory", "-i", file, "--graph")];
            Task<string>[] lists = [CommandAsync("ansible-inventory", "-i", file, "--list"), CommandAsync(tool, "inventory", "-i", file, "--list")];
            (string theirs, string mine) = (await graphs[0], await graphs[1]);
            if (theirs != mine)
            {
                disagreements.Add($"{name} --graph: Ansible\n{theirs}\necontext\n{mine}");
            }

            // The groups exactly; the variables are compared as text by the test above (econtext keeps no types).
            (JsonObject theirList, JsonObject myList) = (JsonNode.Parse(await lists[0])!.AsObject(), JsonNode.Parse(await lists[1])!.AsObject());
            theirList.Remove("_meta");
            myList.Remove("_meta");
            if (!JsonNode.DeepEquals(theirList, myList))
            {
                disagreements.Add($"{name} --list: Ansible {theirList.ToJsonString()}, econtext {myList.ToJsonString()}");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    private static async Task<string> CommandAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ANSIBLE_NOCOLOR"] = "1";
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"{program} {string.Join(" ", arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static async Task<JsonArray> ReferenceAsync(object[] files, string seed)
    {
        string script = Path.Combine(Path.GetTempPath(), $"econtext-ansible-reference-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(script, Reference);
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3")
            {
                ArgumentList = { script },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["PYTHONHASHSEED"] = "0";
            start.Environment["ECONTEXT_WALK_ORDER"] = seed;
            start.Environment["ANSIBLE_NOCOLOR"] = "1";
            using var process = Process.Start(start)!;
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(files));
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(100));
            try
            {
                await process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(process.ExitCode == 0, $"ansible-core's inventory (python3, walk order {seed}) exited {process.ExitCode}: {await stderr}");
            return JsonNode.Parse(await stdout)!.AsArray();
        }
        finally
        {
            File.Delete(script);
        }
    }
}
