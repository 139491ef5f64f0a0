namespace Econtext.Calls;

/// <summary>A parsed CALL payload; argument values stay as JSON until the method's types are known.</summary>
internal sealed record CallRequest(
    string AssemblyName,
    Guid Mvid,
    int MetadataToken,
    string[] TypeArguments,
    string[] MethodArguments,
    (int Offset, int Length)[] Arguments,
    (int Offset, int Length)[] Attachments);
