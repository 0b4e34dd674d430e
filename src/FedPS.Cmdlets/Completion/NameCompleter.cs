using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using FedPS.Core.Data;
using FedPS.Core.Federation;
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
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

public sealed class DatasetNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DatasetCatalog.Names;
}

public sealed class SplitNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => DatasetDefinition.Splits;
}

public sealed class StrategyNameCompleter : NameCompleter
{
    protected override IEnumerable<string> Names => StrategyCatalog.Names;
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
