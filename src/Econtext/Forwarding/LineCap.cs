namespace Econtext.Forwarding;

/// <summary>
/// How long a line of someone else's output may grow while this process holds it, waiting for its
/// end: a child's forwarded stdout/stderr (<see cref="RemoteOutput"/>) and a transport's own stderr
/// or terminal (<see cref="Transports.OutputPump"/>). A writer that never ends its line, by mistake or
/// on purpose, would otherwise make this process hold all of it. At the cap the part so far is passed
/// on as a piece of its own, marked with <see cref="CutMarker"/>, and the rest of the line follows.
/// </summary>
internal static class LineCap
{
    /// <summary>
    /// The longest line held: longer than any line a person reads (journald cuts at 48 KiB, Docker
    /// at 16 KiB), two of a child's 32 KiB reads, and small enough that many writers at once cost
    /// little.
    /// </summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Ends a piece of a longer line.</summary>
    public const string CutMarker = " [line cut at 64 KiB; continued in the next record]";

    /// <summary>
    /// How many bytes of <paramref name="text"/> fill a line of which <paramref name="held"/> bytes
    /// are held up to the cap, moved back to the start of a UTF-8 character so no character is split
    /// between two pieces. Called only when <paramref name="text"/> goes past the cap.
    /// </summary>
    public static int CutPoint(int held, ReadOnlySpan<byte> text)
    {
        int take = MaxLineBytes - held;
        int back = take;
        while (back > 0 && take - back < 3 && (text[back] & 0xC0) == 0x80)
        {
            back--;
        }

        // A full line held and no character start within reach: cut where the cap is.
        return (text[back] & 0xC0) == 0x80 || (back == 0 && held == 0) ? take : back;
    }
}
