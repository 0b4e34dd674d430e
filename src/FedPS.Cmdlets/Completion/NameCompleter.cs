using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using FedPS.Core.Data;
using FedPS.Core.Data.Packages;
using FedPS.Core.Data.Text;
using FedPS.Core.Experiments;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Runtime;

namespace FedPS.Cmdlets.Completion;

/// <summary>Completes a parameter from a fixed list of names the engine owns (one mechanism for every name-valued parameter).</summary>
public abstract class NameCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<string> Names { get; }

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return Names
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, Describe(n)));
    }

    /// <summary>The tooltip of a completion: what the name stands for (the name itself unless a completer knows more).</summary>
    protected virtual string Describe(string name) => name;
}

public sealed class DatasetNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DatasetCatalog.Names;
}

/// <summary>Everything Install-FedDataset installs: the datasets and the text tasks' packages.</summary>
public sealed class InstallableNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DataCatalog.Installable.Select(p => p.Name);
}

public sealed class TextTaskNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => FedPS.Core.Data.Text.TextTaskCatalog.Names;
}

public sealed class TokenizerNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => FedPS.Core.Tokenizers.TokenizerCatalog.Names;
}

public sealed class LoraTargetCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => Enum.GetNames<LoraTargets>();
}

public sealed class AdjacencyNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => Enum.GetNames<AdjacencyKind>();
}

public sealed class SplitNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DatasetDefinition.Splits;
}

public sealed class StrategyNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => StrategyCatalog.Names;

    protected override string Describe(string name)
    {
        var definition = StrategyCatalog.Get(name);
        var knobs = definition.Knobs.Select(k => "-" + k.Name).ToArray();
        return $"{definition.Summary}{(knobs.Length == 0 ? string.Empty : ". Knobs: " + string.Join(" ", knobs))}";
    }
}

public sealed class ArchitectureNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => ModelSpec.Architectures;
}

public sealed class OptimizerNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => OptimizerSpec.Names;
}

public sealed class HessianEstimatorNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => HessianEstimators.Names;
}

public sealed class DeviceNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => FedDevice.ValidNames;
}

public sealed class MetricNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => Core.Experiments.ResultExport.Metrics;
}

public sealed class GroupByCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => ["Strategy", "Dataset", "Experiment", "Point", "Seed", "Name"];
}

public sealed class RunStatusCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => Enum.GetValues<RunStatus>().Select(s => s.ToText());
}

/// <summary>Completes -Name of Invoke-FedExperiment with the run names of the plan its -Config (a YAML path) expands to.</summary>
public sealed class PlannedRunNameCompleter : IArgumentCompleter
{
    // Tab completion must answer at once, also for a sweep of many thousand runs.
    private const int MaxCandidates = 10_000;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Config"] is not string path || !File.Exists(path))
        {
            return [];
        }

        try
        {
            var prefix = wordToComplete.Trim('\'', '"');
            return Core.Experiments.ExperimentConfig.Load(path).Runs(force: true)
                .Take(MaxCandidates)
                .Where(r => r.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Select(r => new CompletionResult($"'{r.Name}'", r.Name, CompletionResultType.ParameterValue, r.Point))
                .ToArray();
        }
        catch (Core.FedPSException)
        {
            return [];
        }
    }
}
