namespace Econtext;

/// <summary>Base of every exception Econtext raises itself.</summary>
public class EcontextException : Exception
{
    /// <summary>Creates the exception; only Econtext raises it and its subclasses.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    internal EcontextException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the error that caused it; only Econtext raises it and its subclasses.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="innerException">The error that caused this one, or null.</param>
    internal EcontextException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
