namespace Econtext.IntegrationTests;

/// <summary>Runs in a context: fetches files the master shared with it.</summary>
public static class MasterFiles
{
    /// <summary>Fetches <paramref name="masterPath"/> to <paramref name="localPath"/>; returns the bytes copied.</summary>
    public static async Task<long> Fetch(string masterPath, string localPath) =>
        (await CurrentContext.FetchFileAsync(masterPath, localPath).ConfigureAwait(false)).Bytes;

    /// <summary>Fetches into memory and hashes it; "refused: ..." or "failed: ..." instead of throwing, so tests can check many paths in one call.</summary>
    public static async Task<string> TryFetch(string masterPath)
    {
        try
        {
            using var memory = new MemoryStream();
            await CurrentContext.FetchFileAsync(masterPath, memory).ConfigureAwait(false);
            return "ok " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(memory.ToArray()));
        }
        catch (UnauthorizedAccessException ex)
        {
            return "refused: " + ex.Message;
        }
        catch (IOException ex)
        {
            return "failed: " + ex.Message;
        }
    }

    /// <summary><paramref name="count"/> fetches of the same file at once, each answered as <see cref="TryFetch"/> answers.</summary>
    public static Task<string[]> TryFetchMany(string masterPath, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => TryFetch(masterPath)));

    /// <summary>
    /// Fetches after moving this context's handle counter so that the fetch's reply handle is
    /// <paramref name="handle"/>: the number the master chose for a call of its own to this context.
    /// </summary>
    public static async Task<long> FetchUnderHandle(int handle, string masterPath, string localPath)
    {
        Router router = CurrentContext.ChildRouter!;
        while (router.Replies.Allocate() < handle - 1)
        {
        }

        return await Fetch(masterPath, localPath).ConfigureAwait(false);
    }
}
