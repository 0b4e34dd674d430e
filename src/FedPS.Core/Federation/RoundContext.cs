using FedPS.Core.Models;
using FedPS.Core.Primitives;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation;

/// <summary>
/// One round as a strategy sees it: its number, the run's seed, the clients sampled for it that take part, and the
/// services a strategy may ask of the round: an extra exchange with the clients during configuration (DONE's
/// gradient pass) without touching any network itself, and the mean of the clients' updates
/// (<see cref="BeginMean"/>, privatized when the server runs central DP). Resources a strategy creates for the
/// round (<see cref="Own"/>) live until it ends.
/// </summary>
public sealed class RoundContext : IDisposable
{
    private readonly LocalTrainer? trainer;
    private readonly List<IDisposable> owned = [];

    private readonly Func<ParameterSet, RoundMean>? mean;

    public RoundContext(int number, long seed, IReadOnlyList<FedClient> sampled, LocalTrainer? trainer = null, CancellationToken cancel = default,
        Func<ParameterSet, RoundMean>? mean = null)
    {
        Number = number;
        Seed = seed;
        Sampled = sampled;
        this.trainer = trainer;
        Cancel = cancel;
        this.mean = mean;
    }

    /// <summary>The round's number (1 for the first).</summary>
    public int Number { get; }

    /// <summary>The run's seed; every random draw of the round derives from (seed, round, client).</summary>
    public long Seed { get; }

    /// <summary>The sampled clients that take part (those available this round); the strategy configures each.</summary>
    public IReadOnlyList<FedClient> Sampled { get; }

    /// <summary>Sampled clients that cannot take part this round (dropout, an availability trace), and why.</summary>
    public IReadOnlyList<ClientFailure> Unavailable { get; init; } = [];

    /// <summary>How many clients the round sampled, available or not.</summary>
    public int SampledCount => Sampled.Count + Unavailable.Count;

    [Newtonsoft.Json.JsonIgnore]
    public CancellationToken Cancel { get; }

    /// <summary>False once the round was completed or abandoned: strategy-owned tensors it referenced may be gone.</summary>
    public bool IsOpen { get; private set; } = true;

    /// <summary>
    /// ∇Fₖ(θ) of <paramref name="client"/>: the mean-loss gradient at <paramref name="at"/> over
    /// <paramref name="samples"/> of its samples (all of them by default), computed by the client. The caller owns the result.
    /// </summary>
    public ParameterSet LocalGradient(FedClient client, ParameterSet at, int? samples = null)
    {
        Cancel.ThrowIfCancellationRequested();
        return Trainer.Gradient(client, at, samples ?? client.SampleCount, Seed, Number);
    }

    /// <summary>
    /// A second local training pass of <paramref name="client"/>, computed by the client apart from the round's update
    /// (e.g. Ditto's personal model): <paramref name="steps"/> steps of its own optimizer from <paramref name="start"/>,
    /// <paramref name="penalty"/> added to every minibatch loss, minibatches drawn in an order seeded by
    /// (seed, round, client, <paramref name="purpose"/>). The caller owns the result's parameters.
    /// </summary>
    public LocalPassResult TrainLocally(FedClient client, ParameterSet start, int steps, Func<nn.Module<Tensor, Tensor>, Tensor>? penalty = null,
        SeedPurpose purpose = SeedPurpose.PersonalTraining)
    {
        Cancel.ThrowIfCancellationRequested();
        return Trainer.TrainPass(client, start, steps, penalty, purpose, Seed, Number, Cancel);
    }

    /// <summary>
    /// The mean of this round's client updates, to be fed with each update that arrives: the sample-weighted mean of
    /// their parameters (<see cref="WeightedMean"/>) unless the server privatizes it. <paramref name="global"/> are the
    /// parameters the clients started from. The caller disposes it.
    /// </summary>
    public RoundMean BeginMean(ParameterSet global) => mean?.Invoke(global) ?? new WeightedMean();

    /// <summary>Keeps <paramref name="resource"/> alive until the round ends, then disposes it.</summary>
    public T Own<T>(T resource) where T : IDisposable
    {
        owned.Add(resource);
        return resource;
    }

    /// <summary>Ends the round: disposes what it owns. Called by whoever runs the round.</summary>
    public void Dispose()
    {
        IsOpen = false;
        foreach (var resource in owned)
        {
            resource.Dispose();
        }

        owned.Clear();
    }

    public override string ToString() => $"round {Number} ({Sampled.Count} clients)";

    private LocalTrainer Trainer => trainer ?? throw new FedPSException(FedErrorKind.InvalidOperation,
        "This round has no clients to compute on (a stand-alone aggregation): the strategy needs a server.");
}
