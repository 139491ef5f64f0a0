namespace Econtext.Streams;

/// <summary>
/// What an item stream carries, which decides how its messages are addressed and where its CREDIT
/// goes. Each kind has a table of windows of its own in <see cref="CreditLedger"/>: the handles that
/// name streams come from different numberings (a caller's, an asking context's), so one number can
/// name a stream of each kind at once without their windows ever meeting.
/// </summary>
internal enum StreamKind
{
    /// <summary>Callee to caller: a streamed result, or what a method writes to its ChannelWriter parameter; MORE replies on the call's reply handle.</summary>
    Results,

    /// <summary>Caller to callee: the items of a ChannelReader argument; STREAM_ITEM messages whose reply-to is the call's handle.</summary>
    Arguments,

    /// <summary>Master to a context: the chunks of a shared file; MORE replies on the handle of the context's FILE_GET.</summary>
    File,
}
