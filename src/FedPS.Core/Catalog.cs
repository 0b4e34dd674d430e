namespace FedPS.Core;

/// <summary>
/// The named things of one kind FedPS knows (datasets, strategies, optimizers, splits, ...), looked up by name
/// without regard to case. Every "Unknown X 'y'. Valid Xs: …" error comes from here, so lookups read the same
/// everywhere. Entries keep the order they were added in, which is the order completion and errors list them in.
/// </summary>
public sealed class Catalog<T>
{
    private readonly object gate = new();
    private readonly Dictionary<string, (string Name, T Value)> entries = new(StringComparer.OrdinalIgnoreCase);
    private string[] names = [];

    /// <param name="kind">What one entry is, for messages: "dataset", "Hessian estimator".</param>
    /// <param name="plural">The plural, when it is not <paramref name="kind"/> + "s".</param>
    public Catalog(string kind, IEnumerable<(string Name, T Value)> entries, string? plural = null)
    {
        Kind = kind;
        Plural = plural ?? kind + "s";
        foreach (var (name, value) in entries)
        {
            Add(name, value);
        }
    }

    public string Kind { get; }

    public string Plural { get; }

    /// <summary>The entries' names as they were registered (their canonical spelling), in order.</summary>
    public IReadOnlyList<string> Names => names;

    public IEnumerable<T> Values
    {
        get
        {
            lock (gate)
            {
                return names.Select(n => entries[n].Value).ToArray();
            }
        }
    }

    public T this[string name] => Get(name);

    public bool Contains(string? name)
    {
        lock (gate)
        {
            return name is not null && entries.ContainsKey(name);
        }
    }

    public bool TryGet(string? name, out T value)
    {
        lock (gate)
        {
            if (name is not null && entries.TryGetValue(name, out var entry))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public T Get(string? name) => TryGet(name, out var value) ? value : throw Unknown(name);

    /// <summary>The registered spelling of <paramref name="name"/> (e.g. "fedavg" → "FedAvg").</summary>
    public string Canonical(string? name)
    {
        lock (gate)
        {
            return name is not null && entries.TryGetValue(name, out var entry) ? entry.Name : throw Unknown(name);
        }
    }

    /// <summary>Adds an entry, or replaces the one of the same name (e.g. a script strategy redefined in a session).</summary>
    public void Register(string name, T value)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"A {Kind} needs a name.", name);
        }

        lock (gate)
        {
            if (entries.TryGetValue(name, out var existing))
            {
                entries[name] = (existing.Name, value);
                return;
            }

            Add(name, value);
        }
    }

    /// <summary>The error for a name that is not in the catalog, listing the valid ones.</summary>
    public FedPSException Unknown(string? name) =>
        new(FedErrorKind.InvalidArgument,
            $"Unknown {Kind} '{name}'. Valid {Plural}: {string.Join(", ", Names)}.", name);

    private void Add(string name, T value)
    {
        entries.Add(name, (name, value));
        names = [.. names, name];
    }
}

/// <summary>Catalogs of plain names (splits, partition kinds, architectures): the value of each entry is its name.</summary>
public static class Catalog
{
    public static Catalog<string> Of(string kind, params string[] names) => new(kind, names.Select(n => (n, n)));
}
