using System.Linq.Expressions;
using System.Reflection;

namespace Econtext.Calls;

/// <summary>
/// Turns <c>() => Inventory.Count(path)</c> into (method, evaluated arguments), as Hangfire does:
/// the body must be one call to a static method; each argument is evaluated here, at the call site.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal static class CallCapture
{
    public static (MethodPlan Plan, object?[] Arguments) Capture(LambdaExpression call)
    {
        ArgumentNullException.ThrowIfNull(call);
        Expression body = call.Body;
        while (body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            body = convert.Operand;
        }

        if (body is not MethodCallExpression invocation)
        {
            throw new ArgumentException(
                $"The expression must be a single call to a static method, like () => Inventory.Count(path); got: {call.Body}",
                nameof(call));
        }

        MethodPlan plan = MethodPlan.ForCaller(invocation.Method);
        var arguments = new object?[invocation.Arguments.Count];
        for (int i = 0; i < arguments.Length; i++)
        {
            if (i == plan.CancellationTokenIndex)
            {
                continue;
            }

            try
            {
                arguments[i] = Evaluate(invocation.Arguments[i]);
            }
            catch (Exception ex) when (ex is not ArgumentException)
            {
                string name = invocation.Method.GetParameters()[i].Name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new ArgumentException($"Evaluating argument '{name}' of {plan.DisplayName} at the call site threw {ex.GetType().Name}: {ex.Message}", name, ex);
            }
        }

        return (plan, arguments);
    }

    /// <summary>Fast paths for constants and captured variables; anything else is interpreted.</summary>
    private static object? Evaluate(Expression expression)
    {
        switch (expression)
        {
            case ConstantExpression constant:
                return constant.Value;
            case MemberExpression { Member: FieldInfo field, Expression: null }:
                return field.GetValue(null);
            case MemberExpression { Member: FieldInfo field, Expression: ConstantExpression closure }:
                return field.GetValue(closure.Value);
            case MemberExpression { Member: PropertyInfo property, Expression: null } when property.GetIndexParameters().Length == 0:
                return property.GetValue(null);
            case UnaryExpression { NodeType: ExpressionType.Convert, Operand: var operand } convert
                when convert.Method is null && operand.Type.IsValueType == convert.Type.IsValueType && !convert.Type.IsValueType:
                return Evaluate(operand);
            default:
                return Expression.Lambda<Func<object?>>(Expression.Convert(expression, typeof(object))).Compile(preferInterpretation: true)();
        }
    }
}
