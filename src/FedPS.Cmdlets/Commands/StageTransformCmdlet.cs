using System.Management.Automation;
using FedPS.Core.Federation;

namespace FedPS.Cmdlets.Commands;

/// <summary>
/// The transform stages of a hand-written round (Protect-FedUpdate, Compress-FedUpdate, Invoke-FedAttack): each runs
/// one engine <see cref="RoundStage"/> — the very stage a configured server runs — over the piped updates, with the
/// random draws a server would make (from the update's round, or -Seed for an update built by hand).
/// </summary>
public abstract class StageTransformCmdlet : FedCmdlet
{
    private RoundStage? stage;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ClientUpdate Update { get; set; } = null!;

    /// <summary>The seed of an update built by hand (a trained update draws from its round's seed).</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>The stage this cmdlet runs, from its parameters (validated by the stage's options record).</summary>
    protected abstract RoundStage CreateStage();

    /// <summary>What happened to one update, for -Verbose.</summary>
    protected abstract string Describe(RoundStage stage, ClientUpdate before, ClientUpdate after);

    /// <summary>Whether the update is transformed (the others pass unchanged).</summary>
    protected virtual bool Applies(ClientUpdate update) => true;

    protected override void Begin() => stage = CreateStage();

    protected override void Process()
    {
        if (!Applies(Update))
        {
            WriteObject(Update);
            return;
        }

        var sent = stage!.Transform(Update, Update.Round?.Seed ?? Seed, Update.RoundNumber ?? 0);
        WriteVerbose($"Client {Update.ClientId}: {Describe(stage, Update, sent)}");
        WriteObject(sent);
    }

    protected override void End() => stage?.Dispose();
}
