namespace FedPS.Core.Federation;

/// <summary>
/// A strategy's knobs: one record per strategy (declared in the strategy's own file), the one source of their
/// defaults and validation. Its settable properties are the strategy's YAML keys and New-FedStrategy's parameters.
/// </summary>
public abstract record StrategyOptions : OptionsRecord
{
    /// <summary>Checks every knob, failing with the knob and value named; returns the options to use.</summary>
    public virtual StrategyOptions Validated() => this;
}

/// <summary>The options of a strategy without knobs (FedAvg, FedIT, FedMedian, LocalOnly, script strategies).</summary>
public sealed record NoOptions : StrategyOptions
{
    public static NoOptions Instance { get; } = new();
}
