using System.Globalization;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// An availability trace: which clients can take part in which rounds, from a CSV file of <c>client,round,available</c>
/// rows (an optional header row of those names; available is 1/0, true/false or yes/no; blank lines and lines starting
/// with # are skipped). A (client, round) pair the file does not list is available. Every bad row is reported with its
/// file and line.
/// </summary>
public sealed class AvailabilityTrace
{
    private readonly Dictionary<(int Client, int Round), bool> available;
    private readonly Dictionary<int, int> firstLine;

    private AvailabilityTrace(string path, Dictionary<(int, int), bool> available, Dictionary<int, int> firstLine)
    {
        Path = path;
        this.available = available;
        this.firstLine = firstLine;
    }

    public string Path { get; }

    /// <summary>The clients the trace names.</summary>
    public IReadOnlyCollection<int> Clients => firstLine.Keys;

    /// <summary>The line a client first appears on (for messages).</summary>
    public int LineOf(int client) => firstLine[client];

    public bool IsAvailable(int client, int round) => !available.TryGetValue((client, round), out var value) || value;

    public static AvailabilityTrace Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"The availability trace '{path}' does not exist.", path);
        }

        var rows = new Dictionary<(int, int), bool>();
        var lines = new Dictionary<(int, int), int>();
        var first = new Dictionary<int, int>();
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split(',').Select(f => f.Trim()).ToArray();
            if (number == 1 && fields.Length == 3 && string.Equals(fields[0], "client", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (fields.Length != 3)
            {
                throw Bad(path, number, $"expected 3 fields (client,round,available), found {fields.Length}: '{line}'");
            }

            if (!int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var client) || client < 0)
            {
                throw Bad(path, number, $"the client '{fields[0]}' is not a client id (an integer, at least 0)");
            }

            if (!int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var round) || round < 1)
            {
                throw Bad(path, number, $"the round '{fields[1]}' is not a round number (an integer, at least 1)");
            }

            bool? value = fields[2].ToLowerInvariant() switch
            {
                "1" or "true" or "yes" => true,
                "0" or "false" or "no" => false,
                _ => null,
            };
            if (value is null)
            {
                throw Bad(path, number, $"available must be 1/0, true/false or yes/no, not '{fields[2]}'");
            }

            if (lines.TryGetValue((client, round), out var earlier))
            {
                throw Bad(path, number, $"client {client} in round {round} was already given on line {earlier}");
            }

            rows[(client, round)] = value.Value;
            lines[(client, round)] = number;
            first.TryAdd(client, number);
        }

        return new AvailabilityTrace(path, rows, first);
    }

    private static FedPSException Bad(string path, int line, string why) =>
        new(FedErrorKind.InvalidData, $"{path}:{line}: {why}.", $"{path}:{line}");
}
