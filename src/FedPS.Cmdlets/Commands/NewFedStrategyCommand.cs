using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using FedPS.Cmdlets.Completion;
using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// A strategy spec: a strategy by name with its own knobs as parameters. The knobs are the properties of the strategy's
/// options record, offered as dynamic parameters once the name is known (so they tab-complete), and validated by the
/// record itself — one source of defaults and ranges for cmdlets and YAML alike.
/// </summary>
[Cmdlet(VerbsCommon.New, "FedStrategy")]
[OutputType(typeof(StrategySpec))]
public sealed class NewFedStrategyCommand : FedCmdlet, IDynamicParameters
{
    private RuntimeDefinedParameterDictionary? knobs;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(StrategyNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Catches knobs the named strategy does not have, to say whose knobs they are.</summary>
    [Parameter(ValueFromRemainingArguments = true, DontShow = true)]
    public object[]? UnknownArguments { get; set; }

    public object? GetDynamicParameters()
    {
        knobs = null;
        if (string.IsNullOrEmpty(Name) || !StrategyCatalog.Contains(Name))
        {
            return null;
        }

        knobs = new RuntimeDefinedParameterDictionary();
        foreach (var knob in StrategyCatalog.Get(Name).Knobs)
        {
            var type = knob.PropertyType == typeof(bool) ? typeof(SwitchParameter) : knob.PropertyType;
            knobs.Add(knob.Name, new RuntimeDefinedParameter(knob.Name, type, [new ParameterAttribute()]));
        }

        return knobs;
    }

    protected override void Process() => ProcessItem(Name, Create);

    private void Create()
    {
        var definition = StrategyCatalog.Get(Name);
        if (UnknownArguments is { Length: > 0 } unknown)
        {
            throw UnknownKnob(definition, unknown);
        }

        var options = definition.DefaultOptions();
        foreach (var knob in definition.Knobs)
        {
            if (knobs?.TryGetValue(knob.Name, out var parameter) == true && parameter.IsSet)
            {
                knob.SetValue(options, Value(knob, parameter.Value));
            }
        }

        var spec = new StrategySpec { Name = definition.Name, Options = options }.Validated();
        WriteVerbose($"{spec.Name}: {(spec.Knobs.Length == 0 ? "no knobs" : spec.Knobs)}; {(spec.StreamsUpdates ? "streams updates into a running sum" : "aggregates every update at once")}.");
        WriteObject(spec);
    }

    private static object? Value(PropertyInfo knob, object? value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        return raw is SwitchParameter flag ? flag.IsPresent : LanguagePrimitives.ConvertTo(raw, knob.PropertyType, CultureInfo.InvariantCulture);
    }

    private static FedPSException UnknownKnob(StrategyDefinition definition, object[] unknown)
    {
        var first = unknown.Select(u => u is PSObject ps ? ps.BaseObject : u).First();
        var text = Convert.ToString(first, CultureInfo.InvariantCulture) ?? string.Empty;
        var own = definition.Knobs.Count == 0 ? "it has no knobs" : "its knobs are " + string.Join(", ", definition.Knobs.Select(k => "-" + k.Name));
        if (!text.StartsWith('-'))
        {
            return new FedPSException(FedErrorKind.InvalidArgument,
                $"Unexpected argument '{text}' for the strategy {definition.Name}: give knobs by name ({own}).", first);
        }

        var name = text.TrimStart('-').TrimEnd(':');
        var owners = StrategyCatalog.StrategiesWithKnob(name).ToArray();
        var whose = owners.Length == 0 ? string.Empty : $" -{name} is a knob of {string.Join(", ", owners)}.";
        return new FedPSException(FedErrorKind.InvalidArgument,
            $"The strategy {definition.Name} has no knob -{name}.{whose} For {definition.Name}, {own}.", name);
    }
}
