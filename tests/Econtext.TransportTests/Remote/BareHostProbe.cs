using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml;

namespace Econtext.TransportTests.Remote;

/// <summary>Runs in a context on a shipped runtime: what that runtime is, and code that needs framework parts it was not sent.</summary>
public static class BareHostProbe
{
    /// <summary>The folder the running runtime was loaded from.</summary>
    public static string RuntimeDirectory() => RuntimeEnvironment.GetRuntimeDirectory();

    /// <summary>Every assembly loaded, with where it came from (empty or a memfd path when from memory).</summary>
    public static string[] LoadedAssemblies() =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => $"{a.GetName().Name} {(a.IsDynamic ? "(dynamic)" : a.Location)}").Order(StringComparer.Ordinal).ToArray();

    public static string FrameworkDescription() => RuntimeInformation.FrameworkDescription;

    /// <summary>Needs OpenSSL through the crypto shim, which is shipped.</summary>
    public static string Sha256Of(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Needs System.Private.Xml, which is not shipped: the context asks for it and loads it from memory.</summary>
    public static string XmlRootName(string xml)
    {
        var document = new XmlDocument();
        document.LoadXml(xml);
        return document.DocumentElement!.Name;
    }
}
