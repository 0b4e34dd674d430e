using FedPS.Core.Models;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>
    /// True when clients keep models of their own (e.g. Mira's per-client adapters); then each client's model,
    /// not <see cref="Global"/>, is the one to evaluate for it.
    /// </summary>
    public virtual bool IsPersonalized => false;

    /// <summary>The trainable parameters client <paramref name="clientId"/> uses: the global ones unless the strategy personalizes.</summary>
    public virtual ParameterSet ParametersFor(int clientId) => Global;

    /// <summary>
    /// Work before the sampled clients train, with all of them in view: for algorithms whose round has an extra
    /// exchange (e.g. DONE's gradient averaging). By default nothing.
    /// </summary>
    public virtual void BeginRound(IReadOnlyList<ClientRound> clients)
    {
    }

    /// <summary>The client's local work; by default plain local training from <see cref="ParametersFor"/>.</summary>
    public virtual ClientUpdate TrainClient(ClientRound work) =>
        work.Trainer.Train(work.Client, ParametersFor(work.Client.Id), work.Round, work.Seed, work.Cancel, progress: work.Progress);

    /// <summary>Combines the round's updates into the new server state. Not called for a cancelled round.</summary>
    public abstract void Aggregate(IReadOnlyList<ClientUpdate> updates, int round);

    /// <summary>
    /// Everything the strategy needs to continue exactly where it stands (global parameters, server-optimizer
    /// moments, per-client state), as named tensors for a checkpoint. Subclasses with more state add to it.
    /// </summary>
    public virtual IEnumerable<(string Name, Tensor Value)> StateTensors() =>
        Global.Tensors.Select(t => ("global/" + t.Name, t.Value));

    /// <summary>Restores what <see cref="StateTensors"/> returned (values are copied).</summary>
    public virtual void LoadStateTensors(IReadOnlyDictionary<string, Tensor> state)
    {
        using var _ = torch.no_grad();
        foreach (var (name, value) in Global.Tensors)
        {
            value.copy_(Saved(state, "global/" + name));
        }
    }

    /// <summary>The tensor <paramref name="name"/> of a saved state, or a clear error when it is missing.</summary>
    protected static Tensor Saved(IReadOnlyDictionary<string, Tensor> state, string name) =>
        state.TryGetValue(name, out var saved)
            ? saved
            : throw new FedPSException(FedErrorKind.InvalidData, $"The saved state has no tensor '{name}'.", name);

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
