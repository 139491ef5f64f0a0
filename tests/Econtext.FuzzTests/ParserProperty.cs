using CsCheck;
using Econtext.Wire;
using Xunit.Abstractions;

namespace Econtext.FuzzTests;

/// <summary>
/// The one property every parser of another context's bytes must have: on any input it returns a
/// value or throws <see cref="ProtocolViolationException"/> (which the router turns into "break the
/// sender's stream"), never another exception, never a hang, and never allocates much more than the
/// input it was given (a huge announced length must not become a huge allocation).
/// </summary>
internal static class ParserProperty
{
    /// <summary>Allowance for what a parse allocates beyond its input: strings, arrays, JSON state.</summary>
    private const long AllocationSlack = 1 << 20;

    private const int AllocationPerInputByte = 64;

    /// <summary>Runs <paramref name="parse"/> on mutated <paramref name="seeds"/> for the budget; fails with the first bad input, in hex.</summary>
    public static Task HoldsAsync(string target, IReadOnlyList<byte[]> seeds, Action<byte[]> parse, ITestOutputHelper output, long? iterations = null)
    {
        long violations = 0;
        return SampleAsync(
            target,
            seeds,
            input =>
            {
                if (!ReturnsOrViolates(input, parse))
                {
                    Interlocked.Increment(ref violations);
                }
            },
            iterations ?? FuzzBudget.BoundedIterations,
            () => Interlocked.Read(ref violations),
            output);
    }

    /// <summary>
    /// Feeds mutated <paramref name="seeds"/> to <paramref name="check"/> on two threads for the
    /// budget (<paramref name="iterations"/> in the bounded pass), fails if the run outlasts
    /// <see cref="FuzzBudget.HangLimit"/>, and logs the inputs tried and those refused as
    /// protocol violations (<paramref name="refused"/>), however the run ends.
    /// </summary>
    public static async Task SampleAsync(string target, IReadOnlyList<byte[]> seeds, Action<byte[]> check, long iterations, Func<long> refused, ITestOutputHelper output)
    {
        long count = 0;
        Task run = Task.Run(() => Mutator.From(seeds).Sample(
            input =>
            {
                Interlocked.Increment(ref count);
                check(input);
            },
            iter: FuzzBudget.Iterations(iterations),
            time: FuzzBudget.Time,
            threads: 2,
            print: Mutator.Print));
        try
        {
            await run.WaitAsync(FuzzBudget.HangLimit);
        }
        finally
        {
            FuzzLog.Record(target, Interlocked.Read(ref count), refused(), output);
        }
    }

    /// <summary>True when the parse returned, false when it threw <see cref="ProtocolViolationException"/>; anything else escapes.</summary>
    public static bool ReturnsOrViolates(byte[] input, Action<byte[]> parse)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool returned;
        try
        {
            parse(input);
            returned = true;
        }
        catch (ProtocolViolationException ex) when (!string.IsNullOrWhiteSpace(ex.Message))
        {
            returned = false;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationSlack + ((long)input.Length * AllocationPerInputByte))
        {
            throw new InvalidOperationException($"parsing {input.Length} bytes allocated {allocated} bytes");
        }

        return returned;
    }
}
