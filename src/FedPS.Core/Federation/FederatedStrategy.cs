using FedPS.Core.Models;
using FedPS.Core.Simulation;

namespace FedPS.Core.Federation;

/// <summary>One sampled client's work in a round, as the round engine hands it to a strategy.</summary>
public sealed record ClientRound(FedClient Client, int Round, long Seed, LocalTrainer Trainer, CancellationToken Cancel,
    IProgress<LocalProgress>? Progress);

/// <summary>
/// A federated algorithm, in the shape of Flower's Strategy: what a client does with the server's state this
/// round (<see cref="TrainClient"/>) and how the server combines the results (<see cref="Aggregate"/>).
/// One subclass per algorithm, one file each under Federation/Strategies.
/// </summary>
public abstract class FederatedStrategy : IDisposable
{
    private ParameterSet? global;

    public abstract string Name { get; }

    /// <summary>The server's current model parameters (what it sends and what is evaluated).</summary>
    public ParameterSet Global => global ?? throw new InvalidOperationException("the strategy is not initialized");

    public virtual void Initialize(ParameterSet initial, IReadOnlyList<FedClient> clients) => ReplaceGlobal(initial.Clone());

    /// <summary>The client's local work; by default plain local training from the global parameters.</summary>
    public virtual ClientUpdate TrainClient(ClientRound work) =>
        work.Trainer.Train(work.Client, Global, work.Round, work.Seed, work.Cancel, progress: work.Progress);

    /// <summary>Combines the round's updates into the new server state. Not called for a cancelled round.</summary>
    public abstract void Aggregate(IReadOnlyList<ClientUpdate> updates, int round);

    /// <summary>A short description of the strategy and its knobs.</summary>
    public override string ToString() => Name;

    protected void ReplaceGlobal(ParameterSet next)
    {
        var previous = global;
        global = next;
        if (!ReferenceEquals(previous, next))
        {
            previous?.Dispose();
        }
    }

    public virtual void Dispose()
    {
        global?.Dispose();
        GC.SuppressFinalize(this);
    }
}
