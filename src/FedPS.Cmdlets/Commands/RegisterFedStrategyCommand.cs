using System.Management.Automation;
using FedPS.Core;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;

namespace FedPS.Cmdlets.Commands;

/// <summary>Registers a strategy class (e.g. a PowerShell class deriving from FederatedStrategy) under a name.</summary>
[Cmdlet(VerbsLifecycle.Register, "FedStrategy", SupportsShouldProcess = true)]
[OutputType(typeof(StrategyDefinition))]
public sealed class RegisterFedStrategyCommand : FedCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public Type Type { get; set; } = null!;

    /// <summary>Default: the type's name.</summary>
    [Parameter(Position = 1)]
    public string? Name { get; set; }

    [Parameter]
    public string? Summary { get; set; }

    protected override void Process() => ProcessItem(Type, Register);

    private void Register()
    {
        if (!typeof(FederatedStrategy).IsAssignableFrom(Type) || Type.IsAbstract)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{Type.FullName} is not a concrete strategy: a strategy class derives from [FedPS.Core.Federation.FederatedStrategy].", Type);
        }

        if (Type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                $"{Type.FullName} needs a constructor without parameters, so an experiment can create one per run.", Type);
        }

        var name = string.IsNullOrWhiteSpace(Name) ? Type.Name : Name;
        var definition = new StrategyDefinition(name, Summary ?? $"{Type.FullName} (registered)", typeof(NoOptions),
            _ => (FederatedStrategy)Activator.CreateInstance(Type)!)
        {
            ThreadAffine = Type.Assembly.IsDynamic,
        };
        if (ShouldProcess(name, $"Register the strategy class {Type.FullName}"))
        {
            StrategyCatalog.Register(definition);
            WriteVerbose($"Registered {Type.FullName} as the strategy '{name}'{(definition.ThreadAffine ? " (a PowerShell class: experiments run it on this session's thread)" : string.Empty)}.");
            WriteObject(definition);
        }
    }
}
