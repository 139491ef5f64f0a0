namespace Econtext.TestSupport;

public static class TaskExtensions
{
    /// <summary>True if the task completes (in any state) within <paramref name="timeout"/>.</summary>
    public static async Task<bool> CompletesWithin(this Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            return false;
        }
        catch (Exception)
        {
            // Completed, faulted or cancelled: the caller looks at the task itself.
        }

        return true;
    }
}
