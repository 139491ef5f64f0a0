using System.Text;

namespace Econtext.Cli.Commands;

/// <summary>Reads a password from the terminal without echoing it.</summary>
internal static class PasswordPrompt
{
    public static string Read(string prompt)
    {
        if (Console.IsInputRedirected)
        {
            throw new UsageException("-K asks for the become password on a terminal, and standard input is not one. Use --become-password-file FILE instead.");
        }

        Console.Error.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return password.ToString();
    }
}
