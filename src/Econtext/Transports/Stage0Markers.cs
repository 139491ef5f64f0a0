namespace Econtext.Transports;

/// <summary>
/// The lines stage 0 prints on a transport's stdout to say where it got to. Here, beside the
/// transport that reads them, so that reading a transport needs nothing of the bootstrap.
/// </summary>
internal static class Stage0Markers
{
    /// <summary>A runtime was found and the temporary folder made: the preamble may follow.</summary>
    public const string Ready = "ECONTEXT-STAGE0-OK";

    /// <summary>No runtime, and none could be sent; the rest of the line says where stage 0 looked.</summary>
    public const string NoRuntime = "ECONTEXT-NO-RUNTIME";

    /// <summary>No writable temporary folder for the loader.</summary>
    public const string NoTemp = "ECONTEXT-NO-TEMP";

    /// <summary>No dotnet found: "which runtime would you send?" followed by <c>uname -sm</c> and the libc (glibc or musl); the answer is a cache folder name, or "-" and why not.</summary>
    public const string RuntimeQuery = "ECONTEXT-RUNTIME-QUERY";

    /// <summary>The cache has no good copy of that runtime: the answer is a byte count, a newline, and that many bytes of gzip'd tar.</summary>
    public const string RuntimeSend = "ECONTEXT-RUNTIME-SEND";
}
