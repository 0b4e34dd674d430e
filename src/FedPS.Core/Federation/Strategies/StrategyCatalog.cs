namespace FedPS.Core.Federation.Strategies;

/// <summary>
/// One strategy FedPS can build by name: its options record (the knobs), how to create it, and a one-line summary.
/// Script strategies registered with Register-FedStrategy are definitions too.
/// </summary>
public sealed record StrategyDefinition(string Name, string Summary, [property: Newtonsoft.Json.JsonIgnore] Type OptionsType,
    [property: Newtonsoft.Json.JsonIgnore] Func<StrategyOptions, FederatedStrategy> Factory)
{
    /// <summary>
    /// True for strategies written in PowerShell: their methods must run on the thread of the session that defined
    /// them, so an experiment runs them one at a time on that thread.
    /// </summary>
    public bool ThreadAffine { get; init; }

    public StrategyOptions DefaultOptions() => (StrategyOptions)Activator.CreateInstance(OptionsType)!;

    /// <summary>The knobs with their defaults, as text ("Beta=0.2").</summary>
    public string Defaults => DefaultOptions().ToString();

    /// <summary>The knobs of this strategy (its options record's settable properties).</summary>
    [Newtonsoft.Json.JsonIgnore]
    public IReadOnlyList<System.Reflection.PropertyInfo> Knobs => OptionsRecord.Knobs(OptionsType);

    public FederatedStrategy Create(StrategyOptions? options = null)
    {
        options ??= DefaultOptions();
        if (!OptionsType.IsInstanceOfType(options))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{Name} takes {OptionsType.Name}, not {options.GetType().Name}.", options);
        }

        return Factory(options.Validated());
    }
}

/// <summary>The strategies FedPS offers, by name, plus the script strategies registered in this process.</summary>
public static class StrategyCatalog
{
    private static readonly Catalog<StrategyDefinition> Definitions = new("strategy", plural: "strategies", entries:
    [
        Define("FedAvg", "Federated Averaging: the sample-weighted mean of the clients' models (McMahan et al. 2017)",
            (NoOptions _) => new FedAvg()),
        Define("FedProx", "FedAvg with a proximal term μ/2·‖θ − θ_global‖² in every client's loss (Li et al. 2020)",
            (FedProxOptions o) => new FedProx(o)),
        Define("FedAdagrad", "FedAvg's mean as a pseudo-gradient for a server Adagrad step (Reddi et al. 2021)",
            (FedOptOptions o) => new FedOpt(ServerMomentRule.Adagrad, o)),
        Define("FedAdam", "FedAvg's mean as a pseudo-gradient for a server Adam step (Reddi et al. 2021)",
            (FedOptOptions o) => new FedOpt(ServerMomentRule.Adam, o)),
        Define("FedYogi", "FedAvg's mean as a pseudo-gradient for a server Yogi step (Reddi et al. 2021)",
            (FedOptOptions o) => new FedOpt(ServerMomentRule.Yogi, o)),
        Define("FedSophia", "Clients train with Sophia, keeping their optimizer state; the server averages (Elbakary et al. 2024)",
            (FedSophiaOptions o) => new FedSophia(o)),
        Define("DONE", "Approximate Newton steps from Richardson iterations on Hessian-vector products (Dinh et al. 2022)",
            (DoneOptions o) => new Done(o)),
        Define("FedMedian", "Coordinate-wise median of the clients' models (Yin et al. 2018)",
            (NoOptions _) => new FedMedian()),
        Define("FedTrimmedAvg", "Coordinate-wise mean without the β·n smallest and largest values (Yin et al. 2018)",
            (FedTrimmedAvgOptions o) => new FedTrimmedAvg(o)),
        Define("Krum", "The update closest to its n − f − 2 nearest others (Blanchard et al. 2017)",
            (KrumOptions o) => new Krum(o)),
        Define("MultiKrum", "The mean of the m updates with the best Krum scores (Blanchard et al. 2017)",
            (MultiKrumOptions o) => new Krum(o)),
        Define("FedIT", "FedAvg over the LoRA adapters of one shared model (Zhang et al. 2024)",
            (NoOptions _) => new FedIT()),
        Define("Mira", "Per-client adapters pulled together over a task graph (Elbakary et al. 2024)",
            (MiraOptions o) => new Mira(o)),
        Define("Ditto", "FedAvg plus a personal model per client, pulled towards the global one by λ/2·‖v − w‖² (Li et al. 2021)",
            (DittoOptions o) => new Ditto(o)),
        Define("LocalOnly", "Every client trains its own model; nothing is shared (Mira with λ = 0)",
            (NoOptions _) => Mira.LocalOnly()),
    ]);

    private static readonly HashSet<string> BuiltIn = new(Definitions.Names, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<string> Names => Definitions.Names;

    public static bool IsBuiltIn(string name) => BuiltIn.Contains(name);

    public static IEnumerable<StrategyDefinition> All => Definitions.Values;

    public static StrategyDefinition Get(string name) => Definitions.Get(name);

    public static bool Contains(string name) => Definitions.Contains(name);

    public static string Canonical(string name) => Definitions.Canonical(name);

    public static FederatedStrategy Create(string name, StrategyOptions? options = null) => Get(name).Create(options);

    /// <summary>Adds a strategy (e.g. a PowerShell class) under its name, replacing a script strategy of that name.</summary>
    public static void Register(StrategyDefinition definition)
    {
        if (IsBuiltIn(definition.Name))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"'{definition.Name}' is a built-in strategy; register yours under another name.", definition.Name);
        }

        Definitions.Register(definition.Name, definition);
    }

    /// <summary>The strategies whose options have a knob named <paramref name="knob"/>.</summary>
    public static IEnumerable<string> StrategiesWithKnob(string knob) =>
        All.Where(d => d.Knobs.Any(p => string.Equals(p.Name, knob, StringComparison.OrdinalIgnoreCase))).Select(d => d.Name);

    private static (string, StrategyDefinition) Define<TOptions>(string name, string summary, Func<TOptions, FederatedStrategy> create)
        where TOptions : StrategyOptions =>
        (name, new StrategyDefinition(name, summary, typeof(TOptions), o => create((TOptions)o)));
}
