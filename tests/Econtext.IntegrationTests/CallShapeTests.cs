namespace Econtext.IntegrationTests;

/// <summary>Every call shape, and values of every allowed kind, round-tripped through a real child.</summary>
public sealed class CallShapeTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Runs_in_another_process_that_knows_its_context()
    {
        ChildInfo info = await _ctx.CallAsync(() => Probe.WhoAmI()).WaitAsync(Bound);

        Assert.True(info.IsChild);
        Assert.Equal(_ctx.Name, info.Name);
        Assert.Equal(_ctx.Id, info.Id);
        Assert.Equal(_ctx.RemoteProcessId, info.ProcessId);
        Assert.NotEqual(Environment.ProcessId, info.ProcessId);
        Assert.False(CurrentContext.IsChild);
        Assert.Equal(0, CurrentContext.Id);
    }

    [Fact(Timeout = 60000)]
    public async Task Func_of_T_returns_the_value()
    {
        int a = 40;
        Assert.Equal(42, await _ctx.CallAsync(() => Echo.Add(a, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Func_of_Task_of_T_returns_the_value()
    {
        string text = "async " + Guid.NewGuid();
        Assert.Equal(text, await _ctx.CallAsync(() => Echo.ValueAsync(text)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Func_of_ValueTask_of_T_returns_the_value()
    {
        var when = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(-7));
        DateTimeOffset back = await _ctx.CallAsync(() => Echo.ValueValueTaskAsync(when)).WaitAsync(Bound);
        Assert.Equal(when, back);
        Assert.Equal(when.Offset, back.Offset);
    }

    [Fact(Timeout = 60000)]
    public async Task Action_completes_after_the_method_ran()
    {
        string key = Guid.NewGuid().ToString();
        await _ctx.CallAsync(() => Effects.Set(key, "action")).WaitAsync(Bound);
        Assert.Equal("action", await _ctx.CallAsync(() => Effects.WaitFor(key, 0)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Func_of_Task_completes_after_the_task()
    {
        string key = Guid.NewGuid().ToString();
        await _ctx.CallAsync(() => Effects.SetAsync(key, "task")).WaitAsync(Bound);
        Assert.Equal("task", await _ctx.CallAsync(() => Effects.WaitFor(key, 0)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Func_of_ValueTask_completes_after_the_value_task()
    {
        string key = Guid.NewGuid().ToString();
        await _ctx.CallAsync(() => Effects.SetValueTaskAsync(key, "valuetask")).WaitAsync(Bound);
        Assert.Equal("valuetask", await _ctx.CallAsync(() => Effects.WaitFor(key, 0)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task CallNoReply_with_an_action_runs_the_method()
    {
        string key = Guid.NewGuid().ToString();
        _ctx.CallNoReply(() => Effects.Set(key, "no reply"));
        Assert.Equal("no reply", await _ctx.CallAsync(() => Effects.WaitFor(key, 20000)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task CallNoReply_with_an_async_method_runs_it()
    {
        string key = Guid.NewGuid().ToString();
        _ctx.CallNoReply(() => Effects.SetAsync(key, "no reply async"));
        Assert.Equal("no reply async", await _ctx.CallAsync(() => Effects.WaitFor(key, 20000)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Primitives_round_trip_at_their_limits()
    {
        Assert.Equal(int.MinValue, await _ctx.CallAsync(() => Echo.Value(int.MinValue)).WaitAsync(Bound));
        Assert.Equal(long.MaxValue, await _ctx.CallAsync(() => Echo.Value(long.MaxValue)).WaitAsync(Bound));
        Assert.Equal(ulong.MaxValue, await _ctx.CallAsync(() => Echo.Value(ulong.MaxValue)).WaitAsync(Bound));
        Assert.Equal((short)-12345, await _ctx.CallAsync(() => Echo.Value((short)-12345)).WaitAsync(Bound));
        Assert.Equal((byte)255, await _ctx.CallAsync(() => Echo.Value((byte)255)).WaitAsync(Bound));
        Assert.Equal((sbyte)-128, await _ctx.CallAsync(() => Echo.Value((sbyte)-128)).WaitAsync(Bound));
        Assert.True(await _ctx.CallAsync(() => Echo.Value(true)).WaitAsync(Bound));
        Assert.Equal('\u00e9', await _ctx.CallAsync(() => Echo.Value('\u00e9')).WaitAsync(Bound));
        Assert.Equal(Math.PI, await _ctx.CallAsync(() => Echo.Value(Math.PI)).WaitAsync(Bound));
        Assert.Equal(double.NaN, await _ctx.CallAsync(() => Echo.Value(double.NaN)).WaitAsync(Bound));
        Assert.Equal(double.NegativeInfinity, await _ctx.CallAsync(() => Echo.Value(double.NegativeInfinity)).WaitAsync(Bound));
        Assert.Equal(1.5f, await _ctx.CallAsync(() => Echo.Value(1.5f)).WaitAsync(Bound));
        Assert.Equal(79228162514264337593543950335m, await _ctx.CallAsync(() => Echo.Value(decimal.MaxValue)).WaitAsync(Bound));
        Assert.Equal(0.1m + 0.2m, await _ctx.CallAsync(() => Echo.Value(0.1m + 0.2m)).WaitAsync(Bound));
        Assert.Equal(Int128.MaxValue, await _ctx.CallAsync(() => Echo.Value(Int128.MaxValue)).WaitAsync(Bound));
    }

    [Theory(Timeout = 60000)]
    [InlineData("")]
    [InlineData("plain ascii")]
    [InlineData("unicode: \u00e9\u00e8 \u4e2d\u6587 \U0001F600 \u05e9\u05dc\u05d5\u05dd e\u0301")]
    [InlineData("control: \0 \t \r\n \u001b[31m \"quoted\" \\ back")]
    [InlineData("{\"looks\":\"like json\",\"$type\":\"System.Object\"}")]
    public async Task Strings_round_trip_exactly(string text)
    {
        Assert.Equal(text, await _ctx.CallAsync(() => Echo.Value(text)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Null_and_long_strings_round_trip()
    {
        string? none = null;
        Assert.Null(await _ctx.CallAsync(() => Echo.Value(none)).WaitAsync(Bound));
        Assert.Equal("<null>|b", await _ctx.CallAsync(() => Echo.Concat(none, "b")).WaitAsync(Bound));
        string big = string.Concat(Enumerable.Repeat("0123456789abcdef\u00e9", 200_000));
        Assert.Equal(big, await _ctx.CallAsync(() => Echo.Value(big)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Byte_arrays_round_trip_including_empty_and_null()
    {
        byte[] empty = [];
        Assert.Empty(await _ctx.CallAsync(() => Echo.Value(empty)).WaitAsync(Bound));
        byte[]? none = null;
        Assert.Null(await _ctx.CallAsync(() => Echo.Value(none)).WaitAsync(Bound));
        byte[] small = [0, 1, 2, 0xEC, 0xFF, (byte)'\n'];
        Assert.Equal(new byte[] { (byte)'\n', 0xFF, 0xEC, 2, 1, 0 }, await _ctx.CallAsync(() => Echo.Reverse(small)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Large_byte_arrays_travel_both_ways_intact()
    {
        byte[] upload = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(upload);

        byte[] echoed = await _ctx.CallAsync(() => Echo.Value(upload)).WaitAsync(Bound);
        Assert.Equal(upload.Length, echoed.Length);
        Assert.True(upload.AsSpan().SequenceEqual(echoed), "the 3 MiB array came back different");

        string remoteHash = await _ctx.CallAsync(() => Echo.Sha256(upload)).WaitAsync(Bound);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(upload)), remoteHash);

        byte[] download = await _ctx.CallAsync(() => Echo.Bytes(2 * 1024 * 1024, 7)).WaitAsync(Bound);
        byte[] expected = new byte[2 * 1024 * 1024];
        new Random(7).NextBytes(expected);
        Assert.True(expected.AsSpan().SequenceEqual(download), "the 2 MiB array made in the child arrived different");
    }

    [Fact(Timeout = 60000)]
    public async Task Arrays_lists_sets_and_dictionaries_round_trip()
    {
        int[] numbers = [3, 1, 4, 1, 5, 9, 2, 6];
        Assert.Equal(numbers, await _ctx.CallAsync(() => Echo.Value(numbers)).WaitAsync(Bound));

        List<string?> words = ["alpha", null, "", "\u03b3"];
        Assert.Equal(words, await _ctx.CallAsync(() => Echo.Value(words)).WaitAsync(Bound));

        HashSet<Guid> ids = [Guid.NewGuid(), Guid.NewGuid()];
        Assert.Equal(ids, await _ctx.CallAsync(() => Echo.Value(ids)).WaitAsync(Bound));

        var map = new Dictionary<string, long> { ["a"] = 1, ["b"] = long.MinValue, [""] = 0 };
        Assert.Equal(map, await _ctx.CallAsync(() => Echo.Value(map)).WaitAsync(Bound));

        var byId = new Dictionary<int, List<double>> { [1] = [1.5, -2.25], [-7] = [] };
        Dictionary<int, List<double>> back = await _ctx.CallAsync(() => Echo.Value(byId)).WaitAsync(Bound);
        Assert.Equivalent(byId, back, strict: true);

        var byColor = new Dictionary<Color, string> { [Color.Red] = "r", [Color.Blue] = "b" };
        Assert.Equal(byColor, await _ctx.CallAsync(() => Echo.Value(byColor)).WaitAsync(Bound));

        int[][] jagged = [[1, 2], [], [3]];
        Assert.Equivalent(jagged, await _ctx.CallAsync(() => Echo.Value(jagged)).WaitAsync(Bound), strict: true);
    }

    [Fact(Timeout = 60000)]
    public async Task Enums_round_trip_including_flags_and_undefined_values()
    {
        Assert.Equal(Color.Green, await _ctx.CallAsync(() => Echo.Value(Color.Green)).WaitAsync(Bound));
        Access rw = Access.Read | Access.Write;
        Assert.Equal(rw, await _ctx.CallAsync(() => Echo.Value(rw)).WaitAsync(Bound));
        var undefined = (Color)99;
        Assert.Equal(undefined, await _ctx.CallAsync(() => Echo.Value(undefined)).WaitAsync(Bound));
        Assert.Equal(DayOfWeek.Saturday, await _ctx.CallAsync(() => Echo.Value(DayOfWeek.Saturday)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Dates_times_spans_and_guids_round_trip()
    {
        var utc = new DateTime(2025, 11, 25, 23, 31, 7, DateTimeKind.Utc).AddTicks(1234567);
        DateTime utcBack = await _ctx.CallAsync(() => Echo.Value(utc)).WaitAsync(Bound);
        Assert.Equal(utc, utcBack);
        Assert.Equal(DateTimeKind.Utc, utcBack.Kind);

        var unspecified = new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Unspecified);
        Assert.Equal($"Unspecified:{unspecified.Ticks}", await _ctx.CallAsync(() => Echo.DescribeDate(unspecified)).WaitAsync(Bound));

        var offset = new DateTimeOffset(2020, 1, 2, 3, 4, 5, 678, TimeSpan.FromMinutes(330));
        DateTimeOffset offsetBack = await _ctx.CallAsync(() => Echo.Value(offset)).WaitAsync(Bound);
        Assert.Equal(offset, offsetBack);
        Assert.Equal(offset.Offset, offsetBack.Offset);

        TimeSpan span = TimeSpan.FromDays(-3) + TimeSpan.FromTicks(7);
        Assert.Equal(span, await _ctx.CallAsync(() => Echo.Value(span)).WaitAsync(Bound));
        Assert.Equal(TimeSpan.MaxValue, await _ctx.CallAsync(() => Echo.Value(TimeSpan.MaxValue)).WaitAsync(Bound));

        var guid = Guid.NewGuid();
        Assert.Equal(guid, await _ctx.CallAsync(() => Echo.Value(guid)).WaitAsync(Bound));

        var day = new DateOnly(2000, 2, 29);
        Assert.Equal(day, await _ctx.CallAsync(() => Echo.Value(day)).WaitAsync(Bound));
        var time = new TimeOnly(23, 59, 59, 999);
        Assert.Equal(time, await _ctx.CallAsync(() => Echo.Value(time)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Nullable_values_round_trip_both_null_and_set()
    {
        int? none = null;
        int? some = -5;
        Assert.Null(await _ctx.CallAsync(() => Echo.NullableOrNull(none)).WaitAsync(Bound));
        Assert.Equal(-5, await _ctx.CallAsync(() => Echo.NullableOrNull(some)).WaitAsync(Bound));
        Guid? noGuid = null;
        Assert.Null(await _ctx.CallAsync(() => Echo.Value(noGuid)).WaitAsync(Bound));
        DateTime? when = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(when, await _ctx.CallAsync(() => Echo.Value(when)).WaitAsync(Bound));
        Color? color = Color.Blue;
        Assert.Equal(Color.Blue, await _ctx.CallAsync(() => Echo.Value(color)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Records_round_trip_and_are_rebuilt_in_the_child()
    {
        var person = new Person(
            "Ada",
            36,
            Color.Blue,
            new Address("12 St James's Square", "London", null),
            ["math", "engines"],
            new Dictionary<string, int> { ["analysis"] = 10, ["poetry"] = 3 });

        Person echoed = await _ctx.CallAsync(() => Echo.Value(person)).WaitAsync(Bound);
        Assert.Equivalent(person, echoed, strict: true);

        Person older = await _ctx.CallAsync(() => Echo.Birthday(person)).WaitAsync(Bound);
        Assert.Equal(37, older.Age);
        Assert.Equal(["math", "engines", "older"], older.Tags);
        Assert.Equal(person.Home, older.Home);

        Person? nobody = null;
        Assert.Null(await _ctx.CallAsync(() => Echo.Value(nobody)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Plain_classes_with_nested_values_round_trip()
    {
        var owner = new Person("Grace", 85, Color.Red, null, [], []);
        var item = new Item { Name = "disk", Size = 1L << 40, Access = Access.Read | Access.Execute, Created = new DateOnly(1952, 5, 1) };
        byte[] blob = new byte[70_000];
        new Random(3).NextBytes(blob);
        var inventory = new Inventory
        {
            Host = "web1",
            Id = Guid.NewGuid(),
            TakenAtUtc = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc),
            TakenAtLocal = new DateTimeOffset(2025, 1, 1, 13, 0, 0, TimeSpan.FromHours(1)),
            Uptime = TimeSpan.FromHours(1234.5),
            Blob = blob,
            Items = [item, new Item { Name = "nic" }],
            Archived = [new Item { Name = "tape", Size = -1 }],
            Owners = new Dictionary<Guid, Person> { [Guid.NewGuid()] = owner },
            ByColor = new Dictionary<Color, List<Item>> { [Color.Green] = [item], [Color.Red] = [] },
            Matrix = [[1, 2, 3], [4]],
            Price = 19.99m,
            Ratio = null,
        };

        Inventory back = await _ctx.CallAsync(() => Echo.Inventory(inventory)).WaitAsync(Bound);
        Assert.Equivalent(inventory, back, strict: true);
        Assert.True(blob.AsSpan().SequenceEqual(back.Blob));
        Assert.Equal(DateTimeKind.Utc, back.TakenAtUtc.Kind);
        Assert.Equal(inventory.TakenAtLocal.Offset, back.TakenAtLocal.Offset);
    }

    [Fact(Timeout = 60000)]
    public async Task Async_methods_return_collections_of_records()
    {
        var byName = new Dictionary<string, Person>
        {
            ["b"] = new Person("B", 2, Color.Green, null, ["x"], []),
            ["a"] = new Person("A", 1, Color.Red, new Address("s", "c", 12345), [], new Dictionary<string, int> { ["k"] = 1 }),
        };
        List<Person> people = await _ctx.CallAsync(() => Echo.PeopleAsync(byName)).WaitAsync(Bound);
        Assert.Equivalent(new[] { byName["a"], byName["b"] }, people, strict: true);
    }

    [Fact(Timeout = 60000)]
    public async Task Arguments_are_evaluated_at_the_call_site()
    {
        var person = new Person("Eval", 1, Color.Red, null, [], []);
        int[] values = [10, 20];
        string result = await _ctx.CallAsync(() => Echo.Concat(person.Name.ToUpperInvariant(), (values[0] + values[1]).ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WaitAsync(Bound);
        Assert.Equal("EVAL|30", result);
    }
}
