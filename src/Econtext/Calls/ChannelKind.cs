namespace Econtext.Calls;

/// <summary>The side of a channel a remote method takes as a parameter.</summary>
internal enum ChannelKind
{
    /// <summary>The method reads items the caller writes (ChannelReader&lt;T&gt;).</summary>
    Reader,

    /// <summary>The method writes items the caller reads (ChannelWriter&lt;T&gt;).</summary>
    Writer,
}
