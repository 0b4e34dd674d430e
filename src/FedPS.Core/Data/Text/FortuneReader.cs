using System.Text;

namespace FedPS.Core.Data.Text;

/// <summary>
/// Reads a fortune(6) file: entries separated by lines holding only "%". Some entries use backspace overstrikes
/// for bold or underline (x BS x, _ BS x); a character followed by a backspace is dropped, leaving the text as
/// it reads. The .dat (strfile index) and .u8 files next to it are not read.
/// </summary>
public static class FortuneReader
{
    public static IReadOnlyList<string> Read(string path, string package)
    {
        var entries = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            var entry = current.ToString().Trim();
            if (entry.Length > 0)
            {
                entries.Add(entry);
            }

            current.Clear();
        }

        foreach (var line in TextFiles.ReadLines(path, package))
        {
            if (line == "%")
            {
                Flush();
            }
            else
            {
                current.Append(StripOverstrikes(line)).Append('\n');
            }
        }

        Flush();
        return entries;
    }

    public static string StripOverstrikes(string line)
    {
        if (!line.Contains('\b', StringComparison.Ordinal))
        {
            return line;
        }

        var kept = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            if (c == '\b')
            {
                if (kept.Length > 0)
                {
                    kept.Length--;
                }
            }
            else
            {
                kept.Append(c);
            }
        }

        return kept.ToString();
    }
}
