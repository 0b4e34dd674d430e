namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// A strategy chosen and configured, not yet running: its name and its options record. New-FedStrategy makes one,
/// New-FedServer and YAML configs take one (a string such as "FedProx" converts to the strategy with its defaults),
/// and <see cref="Create"/> builds a fresh strategy from it for each server. A spec can also wrap a strategy object
/// made in a script (a PowerShell class instance); that object then serves exactly one server.
/// </summary>
public sealed record StrategySpec : INamedOptions
{
    private readonly FederatedStrategy? instance;
    private bool instanceTaken;

    public StrategySpec()
    {
    }

    /// <summary>The strategy <paramref name="name"/> with its default knobs (how PowerShell turns "-Strategy FedProx" into a spec).</summary>
    public StrategySpec(string name)
    {
        var definition = StrategyCatalog.Get(name);
        Name = definition.Name;
        Options = definition.DefaultOptions();
    }

    /// <summary>A spec for a strategy object someone already made (e.g. <c>[MyStrategy]::new()</c>).</summary>
    public StrategySpec(FederatedStrategy instance)
    {
        this.instance = instance;
        Name = instance.Name;
    }

    public string Name { get; init; } = "FedAvg";

    /// <summary>The strategy object this spec wraps, when it was made in a script rather than by name.</summary>
    [Newtonsoft.Json.JsonIgnore]
    public FederatedStrategy? Instance => instance;

    public StrategyOptions Options { get; init; } = NoOptions.Instance;

    /// <summary>The knobs and their values, e.g. "mu=0.1".</summary>
    public string Knobs => Options.ToString();

    public string Summary => instance is null && StrategyCatalog.Contains(Name) ? StrategyCatalog.Get(Name).Summary : "a strategy object from a script";

    /// <summary>True when the strategy folds updates in as they arrive (its round memory does not grow with the clients sampled).</summary>
    public bool StreamsUpdates
    {
        get
        {
            if (instance is not null)
            {
                return instance.StreamsUpdates;
            }

            using var probe = Create();
            return probe.StreamsUpdates;
        }
    }

    /// <summary>True when the strategy is a PowerShell class, whose methods run on its session's thread only.</summary>
    public bool ThreadAffine => instance?.GetType().Assembly.IsDynamic ?? StrategyCatalog.Get(Name).ThreadAffine;

    /// <summary>Checks the name and every knob; the options become the strategy's own record if they were left at none.</summary>
    public StrategySpec Validated()
    {
        if (instance is not null)
        {
            return this;
        }

        var definition = StrategyCatalog.Get(Name);
        var options = Options is NoOptions && definition.OptionsType != typeof(NoOptions) ? definition.DefaultOptions() : Options;
        if (!definition.OptionsType.IsInstanceOfType(options))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{definition.Name} takes the knobs of {definition.OptionsType.Name}, not of {options.GetType().Name}.", options);
        }

        return this with { Name = definition.Name, Options = options.Validated() };
    }

    /// <summary>A new strategy for one server (the wrapped object itself, the first time only).</summary>
    public FederatedStrategy Create()
    {
        if (instance is null)
        {
            var valid = Validated();
            return StrategyCatalog.Get(valid.Name).Create(valid.Options);
        }

        if (instanceTaken || instance.IsInitialized)
        {
            throw new FedPSException(FedErrorKind.InvalidOperation,
                $"This {instance.Name} object already serves a server; create a new one for each server (or register its class with Register-FedStrategy).", instance);
        }

        instanceTaken = true;
        return instance;
    }

    Type INamedOptions.OptionsTypeFor(string name) => StrategyCatalog.Get(name).OptionsType;

    string? INamedOptions.HintForUnknownKey(string name, string key)
    {
        var owners = StrategyCatalog.StrategiesWithKnob(key).ToArray();
        return owners.Length == 0 ? null : $"'{key}' is a knob of {string.Join(", ", owners)}, not of {StrategyCatalog.Canonical(name)}.";
    }

    public override string ToString() => Knobs.Length == 0 ? Name : $"{Name}({Knobs})";
}
