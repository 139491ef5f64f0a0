namespace Econtext;

/// <summary>Base of every exception Econtext raises itself.</summary>
public class EcontextException : Exception
{
    public EcontextException(string message)
        : base(message)
    {
    }

    public EcontextException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
