using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;

namespace Econtext.IntegrationTests;

/// <summary>An assembly the master built at run time, with no file anywhere, is called in a child.</summary>
public sealed class InMemoryAssemblyTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    [Fact(Timeout = 60000)]
    public async Task A_method_of_an_assembly_loaded_from_bytes_runs_in_a_child()
    {
        string name = UniqueName();
        Assembly assembly = InMemoryAssemblies.Load(BuildImage(name, "hello from "));
        Assert.True(string.IsNullOrEmpty(assembly.Location));
        MethodInfo method = assembly.GetType("Generated.Greeter", throwOnError: true)!.GetMethod("Hello")!;
        Expression<Func<string>> call = Expression.Lambda<Func<string>>(Expression.Call(method));

        // The method reads CurrentContext.Name, so the answer says where it ran.
        string answer = await fixture.Context.CallAsync(call).WaitAsync(Bound);

        Assert.Equal("hello from " + fixture.Context.Name, answer);
        Assert.Equal(0, fixture.Router.Statistics.AssemblyRequests);
    }

    [Fact(Timeout = 60000)]
    public async Task An_in_memory_assembly_is_pushed_to_a_new_context_ahead_of_the_call()
    {
        string name = UniqueName();
        Assembly assembly = InMemoryAssemblies.Load(BuildImage(name, "again from "));
        MethodInfo method = assembly.GetType("Generated.Greeter", throwOnError: true)!.GetMethod("Hello")!;
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "in-memory" }).WaitAsync(Bound);

        string answer = await ctx.CallAsync(Expression.Lambda<Func<string>>(Expression.Call(method))).WaitAsync(Bound);

        Assert.Equal("again from in-memory", answer);
        Assert.True(router.Statistics.AssembliesPushed > 0);
        Assert.Equal(0, router.Statistics.AssemblyRequests);
    }

    [Fact(Timeout = 60000)]
    public Task Loading_the_same_image_twice_returns_the_loaded_assembly() => Task.Run(() =>
    {
        string name = UniqueName();
        byte[] image = BuildImage(name, "x");

        Assembly first = InMemoryAssemblies.Load(image);
        Assembly second = InMemoryAssemblies.Load((byte[])image.Clone());

        Assert.Same(first, second);
    });

    [Fact(Timeout = 60000)]
    public Task A_different_image_with_a_name_already_used_is_refused() => Task.Run(() =>
    {
        string name = UniqueName();
        InMemoryAssemblies.Load(BuildImage(name, "one"));

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => InMemoryAssemblies.Load(BuildImage(name, "two")));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains("unique", error.Message, StringComparison.Ordinal);
    });

    [Fact(Timeout = 60000)]
    public Task The_name_of_an_assembly_loaded_from_a_file_is_refused() => Task.Run(() =>
    {
        string name = typeof(InMemoryAssemblyTests).Assembly.GetName().Name!;

        Assert.Throws<InvalidOperationException>(() => InMemoryAssemblies.Load(BuildImage(name, "impostor")));
    });

    [Fact(Timeout = 60000)]
    public Task Bytes_that_are_not_an_assembly_are_refused() => Task.Run(() =>
    {
        Assert.Throws<BadImageFormatException>(() => InMemoryAssemblies.Load([1, 2, 3, 4]));
    });

    internal static string UniqueName() => "Econtext.InMemoryTest." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// An assembly with <c>public static class Generated.Greeter { public static string Hello() =>
    /// prefix + CurrentContext.Name; }</c>, built without a compiler and never written to disk.
    /// </summary>
    internal static byte[] BuildImage(string name, string prefix)
    {
        var builder = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        ModuleBuilder module = builder.DefineDynamicModule(name);
        TypeBuilder type = module.DefineType("Generated.Greeter", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class);
        MethodBuilder hello = type.DefineMethod("Hello", MethodAttributes.Public | MethodAttributes.Static, typeof(string), Type.EmptyTypes);
        ILGenerator il = hello.GetILGenerator();
        il.Emit(OpCodes.Ldstr, prefix);
        il.Emit(OpCodes.Call, typeof(CurrentContext).GetProperty(nameof(CurrentContext.Name))!.GetMethod!);
        il.Emit(OpCodes.Call, typeof(string).GetMethod(nameof(string.Concat), [typeof(string), typeof(string)])!);
        il.Emit(OpCodes.Ret);
        type.CreateType();
        using var stream = new MemoryStream();
        builder.Save(stream);
        return stream.ToArray();
    }
}
