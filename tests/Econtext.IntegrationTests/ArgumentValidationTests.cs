namespace Econtext.IntegrationTests;

/// <summary>Calls that cannot work are refused at the call site, with the parameter and type named.</summary>
public sealed class ArgumentValidationTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Object_parameter_is_refused_naming_parameter_and_type()
    {
        object value = 5;
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.TakesObject(value)); });
        AssertNames(ex, "value", "Object");
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Stream_parameter_is_refused_naming_parameter_and_type()
    {
        using var stream = new MemoryStream([1, 2, 3]);
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.TakesStream(stream)); });
        AssertNames(ex, "input", "Stream");
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Interface_parameter_is_refused_naming_parameter_and_type()
    {
        IShape shape = new Square(2);
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.TakesInterface(shape)); });
        AssertNames(ex, "shape", "IShape");
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Delegate_parameter_is_refused_naming_parameter_and_type()
    {
        Func<int> callback = () => 1;
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.TakesDelegate(callback)); });
        AssertNames(ex, "callback", "Func");
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Class_with_an_untravelable_property_is_refused_naming_the_property()
    {
        var bag = new Bag { Label = "x", Payload = new object() };
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.TakesBag(bag)); });
        AssertNames(ex, "bag", "Bag");
        Assert.Contains("Payload", ex.Message, StringComparison.Ordinal);
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Unsupported_parameter_is_refused_by_CallNoReply_too()
    {
        object value = "x";
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => _ctx.CallNoReply(() => Unsupported.TakesObject(value)));
        AssertNames(ex, "value", "Object");
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Unsupported_result_type_is_refused_at_the_call_site()
    {
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => Unsupported.ReturnsObject()); });
        Assert.Contains("ReturnsObject", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Object", ex.Message, StringComparison.Ordinal);
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Instance_method_is_refused_at_the_call_site()
    {
        var counter = new Counter();
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => counter.Next()); });
        Assert.Contains("Next", ex.Message, StringComparison.Ordinal);
        Assert.Contains("instance", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, counter.Value);
        await StillWorks();
    }

    [Fact(Timeout = 60000)]
    public async Task Expression_that_is_not_a_method_call_is_refused()
    {
        int local = 3;
        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => { _ = _ctx.CallAsync(() => local + 1); });
        Assert.Contains("static method", ex.Message, StringComparison.Ordinal);
        await StillWorks();
    }

    private static void AssertNames(ArgumentException ex, string parameter, string type)
    {
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains("'" + parameter + "'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(type, ex.Message, StringComparison.Ordinal);
    }

    private async Task StillWorks() => Assert.Equal(3, await _ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
}
