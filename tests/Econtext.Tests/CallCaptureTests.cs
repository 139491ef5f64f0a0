using System.Linq.Expressions;
using Econtext.Calls;

namespace Econtext.Tests;

public class CallCaptureTests
{
    [Fact]
    public void CapturesTheMethodAndEvaluatesArgumentsAtTheCallSite()
    {
        int local = 40;
        var point = new Point(1, 2);
        Expression<Func<Point>> call = () => Samples.Move(point, local + 2);
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        Assert.Equal(nameof(Samples.Move), plan.Method.Name);
        Assert.Equal(ReturnKind.Value, plan.ReturnKind);
        Assert.Equal(typeof(Point), plan.ResultType);
        Assert.Same(point, arguments[0]);
        Assert.Equal(42, arguments[1]);
    }

    [Fact]
    public void LeavesTheCancellationTokenToTheCallee()
    {
        Expression<Func<Task<int>>> call = () => Samples.WaitAsync(5, CancellationToken.None);
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        Assert.Equal(1, plan.CancellationTokenIndex);
        Assert.Equal(ReturnKind.TaskOfT, plan.ReturnKind);
        Assert.Equal(typeof(int), plan.ResultType);
        Assert.Equal(5, arguments[0]);
        Assert.Null(arguments[1]);
    }

    [Fact]
    public void ClosedGenericMethodsAreAllowed()
    {
        Expression<Func<string>> call = () => Samples.Identity("x");
        (MethodPlan plan, _) = CallCapture.Capture(call);
        Assert.Equal([typeof(string)], plan.MethodArguments);
    }

    [Fact]
    public void AnythingButOneCallIsRefused()
    {
        Expression<Func<int>> call = () => 1 + 2;
        ArgumentException error = Assert.Throws<ArgumentException>(() => CallCapture.Capture(call));
        Assert.Contains("single call to a static method", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstanceMethodsAreRefused()
    {
        var list = new List<int>();
        Expression<Func<int>> call = () => list.IndexOf(3);
        ArgumentException error = Assert.Throws<ArgumentException>(() => CallCapture.Capture(call));
        Assert.Contains("instance method", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(Samples.TakesObject), "value", "Object")]
    [InlineData(nameof(Samples.TakesStream), "content", "Stream")]
    [InlineData(nameof(Samples.TakesShape), "shape", "IShape")]
    [InlineData(nameof(Samples.TakesAbstract), "shape", "ShapeBase")]
    [InlineData(nameof(Samples.TakesDelegate), "producer", "Func<Int32>")]
    [InlineData(nameof(Samples.TakesNested), "items", "List<HasStream>")]
    public void UnsupportedParameterTypesNameTheParameterAndTheType(string method, string parameter, string type)
    {
        LambdaExpression call = Call(method);
        ArgumentException error = Assert.Throws<ArgumentException>(() => CallCapture.Capture(call));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"'{parameter}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(type, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByRefParametersAreRefused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => MethodPlan.ForCaller(typeof(Samples).GetMethod(nameof(Samples.TakesRef))!));
        Assert.Contains("by reference", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedResultTypesAreRefused()
    {
        Expression<Func<object>> call = () => Samples.ReturnsObject();
        ArgumentException error = Assert.Throws<ArgumentException>(() => CallCapture.Capture(call));
        Assert.Contains("result type Object", error.Message, StringComparison.Ordinal);
        Expression<Func<IAsyncEnumerable<int>>> streaming = () => Samples.Streams();
        (MethodPlan plan, _) = CallCapture.Capture(streaming);
        Assert.Equal(ReturnKind.AsyncEnumerable, plan.ReturnKind);
        Assert.Equal(typeof(int), plan.ResultType);
    }

    [Fact]
    public void AnArgumentThatThrowsWhileEvaluatedIsReportedWithItsName()
    {
        int[] empty = [];
        Expression<Func<int>> call = () => Samples.Add(empty[3], 1);
        ArgumentException error = Assert.Throws<ArgumentException>(() => CallCapture.Capture(call));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("IndexOutOfRangeException", error.Message, StringComparison.Ordinal);
    }

    private static LambdaExpression Call(string method)
    {
        System.Reflection.MethodInfo info = typeof(Samples).GetMethod(method)!;
        Expression[] arguments = info.GetParameters().Select(p => (Expression)Expression.Default(p.ParameterType)).ToArray();
        return Expression.Lambda(Expression.Call(info, arguments));
    }
}
