using System.Management.Automation;
using FedPS.Core.Models;

namespace FedPS.Cmdlets.Commands;

/// <summary>The LoRA parameters shared by the cmdlets that create a model (New-FedModel, Import-FedModel).</summary>
public abstract class LoraModelCmdlet : FedCmdlet
{
    /// <summary>Add LoRA adapters of this rank and freeze every other weight.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? LoraRank { get; set; }

    [Parameter]
    public double LoraAlpha { get; set; } = 16;

    [Parameter]
    public double LoraDropout { get; set; }

    [Parameter]
    public LoraTargets LoraTargets { get; set; } = LoraTargets.Attention;

    /// <summary>The adapters asked for, validated; null without -LoraRank.</summary>
    protected LoraSpec? Lora => LoraRank is { } rank ? new LoraSpec(rank, LoraAlpha, LoraDropout, LoraTargets).Validated() : null;
}
