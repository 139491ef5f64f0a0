using System.Text;

namespace Econtext.Cli.Targets;

/// <summary>
/// Splits text into words the way a POSIX shell would, without running one: ssh options from an inventory must reach
/// ssh as the words their author meant, and nothing may be expanded on the way (no variables, globs or commands).
/// </summary>
internal static class ShellWords
{
    /// <summary>
    /// Single quotes keep everything literally; double quotes let a backslash escape <c>" \ $ `</c> and a newline;
    /// outside quotes a backslash escapes any character. With <paramref name="comments"/>, a <c>#</c> that starts a
    /// word starts a comment to the end of the line (an INI host line's trailing comment).
    /// </summary>
    /// <exception cref="FormatException">A quote is not closed, or the text ends with a lone backslash.</exception>
    public static IReadOnlyList<string> Split(string text, bool comments = false)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        // Separate from word.Length so that '' and "" still make an (empty) word.
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if (c == '#' && comments && !inWord)
            {
                var newline = text.IndexOf('\n', i);
                if (newline < 0)
                {
                    break;
                }
                i = newline;
            }
            else if (c == '\'')
            {
                var close = text.IndexOf('\'', i + 1);
                if (close < 0)
                {
                    throw new FormatException($"the single quote at character {i + 1} is never closed");
                }
                word.Append(text, i + 1, close - i - 1);
                inWord = true;
                i = close;
            }
            else if (c == '"')
            {
                var open = i;
                inWord = true;
                for (i++; ; i++)
                {
                    if (i == text.Length)
                    {
                        throw new FormatException($"the double quote at character {open + 1} is never closed");
                    }
                    if (text[i] == '"')
                    {
                        break;
                    }
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`' or '\n')
                    {
                        i++;
                        if (text[i] != '\n')
                        {
                            word.Append(text[i]);
                        }
                    }
                    else
                    {
                        word.Append(text[i]);
                    }
                }
            }
            else if (c == '\\')
            {
                if (++i == text.Length)
                {
                    throw new FormatException("the text ends with a backslash that escapes nothing");
                }
                // A backslash before a newline joins the lines, as in a shell.
                if (text[i] != '\n')
                {
                    word.Append(text[i]);
                    inWord = true;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
