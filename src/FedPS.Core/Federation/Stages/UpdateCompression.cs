using System.Globalization;
using FedPS.Core.Models;
using FedPS.Core.Primitives;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Core.Federation.Stages;

/// <summary>
/// Compressed uplinks: every client encodes its update Δ (all tensors as one vector) with one <see cref="Compressor"/>
/// and the server decodes it; the round counts the encoded bytes. With error feedback (Seide et al. 2014; Stich,
/// Cordonnier, Jaggi 2018, "Sparsified SGD with Memory"; Karimireddy et al. 2019, "Error Feedback Fixes SignSGD")
/// each client keeps what its encodings dropped and sends it later:
/// <code>
///   p = Δ + e            (e = 0 without error feedback)
///   send C(p);   e ← p − C(p)
/// </code>
/// Residuals are per client, carried from round to round, committed only when a round completes (an abandoned round
/// leaves them as they were) and saved in checkpoints. The downlink carries the global model uncompressed (4 bytes a
/// value), counted as such. A trained client that sends nothing (local-only training) is left alone.
/// </summary>
public sealed class UpdateCompression : RoundStage
{
    private const string ResidualPrefix = "residual/";
    private readonly CompressionOptions options;
    private readonly Compressor compressor;
    private readonly Dictionary<int, ParameterSet> residuals = [];
    private readonly Dictionary<int, ParameterSet> pending = [];
    private long rawBytes;
    private long wireBytes;

    public UpdateCompression(CompressionOptions options)
        : base("compression", 300)
    {
        this.options = (CompressionOptions)options.Validated();
        compressor = this.options.CreateCompressor();
    }

    public CompressionOptions Options => options;

    public Compressor Compressor => compressor;

    /// <summary>The clients that carry a residual (error feedback).</summary>
    public IReadOnlyCollection<int> ClientsWithResidual => residuals.Keys;

    /// <summary>Client <paramref name="clientId"/>'s residual e (a view), or null.</summary>
    public ParameterSet? Residual(int clientId) => residuals.GetValueOrDefault(clientId);

    public override long? EncodedBytes(ParameterSet payload) =>
        compressor.WireBytes(payload.ElementCount, (int)payload.Tensors[0].Value.ElementSize);

    public override ClientUpdate Transform(ClientUpdate update, long seed, int round)
    {
        if (update.Round is not null && update.BytesUp == 0)
        {
            return update; // trained, but nothing travels (local-only training)
        }

        using var _ = no_grad();
        using var delta = update.Delta();
        var residual = options.ErrorFeedback ? residuals.GetValueOrDefault(update.ClientId) : null;
        using var target = residual is null ? delta.Clone() : delta.Map((name, d) => d.add(residual[name]));
        using var flat = cat(target.Values.Select(v => v.flatten()).ToArray());
        using var generator = new Generator((ulong)SeedSequence.Derive(seed, round, update.ClientId, (long)SeedPurpose.Compression));
        using var decoded = compressor.Roundtrip(flat, generator);
        var sent = Unflatten(decoded, target);
        if (options.ErrorFeedback)
        {
            if (pending.Remove(update.ClientId, out var stale))
            {
                stale.Dispose();
            }

            pending[update.ClientId] = target.Map((name, p) => p.sub(sent[name]));
        }

        var encoded = EncodedBytes(target)!.Value;
        var extra = update.BytesUp - update.Parameters.ByteCount; // an extra exchange (DONE's gradient) travels as it did
        rawBytes += update.Parameters.ByteCount;
        wireBytes += encoded;
        return update.WithDelta(sent, encoded + Math.Max(0, extra));
    }

    public override void CompleteRound(RoundContext round, IDictionary<string, double> metrics)
    {
        foreach (var (client, residual) in pending)
        {
            if (residuals.Remove(client, out var previous))
            {
                previous.Dispose();
            }

            residuals[client] = residual;
        }

        pending.Clear();
        if (wireBytes > 0)
        {
            metrics["uplinkCompression"] = (double)rawBytes / wireBytes;
        }

        (rawBytes, wireBytes) = (0, 0);
    }

    public override void AbandonRound(RoundContext round) => DropPending();

    /// <summary>Every client's residual as residual/{client}/{tensor}.</summary>
    public override void SaveState(StrategyState state)
    {
        foreach (var (client, residual) in residuals.OrderBy(r => r.Key))
        {
            state.Add(string.Create(CultureInfo.InvariantCulture, $"{ResidualPrefix}{client}/"), residual);
        }
    }

    public override void LoadState(StrategyState state)
    {
        ClearResiduals();
        foreach (var client in state.Under(ResidualPrefix).Select(e => (Parts: e.Name.Split('/', 2), e.Value)).GroupBy(e => e.Parts[0]))
        {
            residuals[int.Parse(client.Key, CultureInfo.InvariantCulture)] =
                new ParameterSet(client.Select(e => (e.Parts[1], e.Value.clone())).ToArray());
        }
    }

    public override string Describe() => options.Method switch
    {
        CompressionMethod.TopK => string.Create(CultureInfo.InvariantCulture, $"top-k k={options.Ratio}"),
        CompressionMethod.Qsgd => string.Create(CultureInfo.InvariantCulture, $"QSGD s={options.Levels}, bucket {options.BucketSize}"),
        CompressionMethod.EightBit => string.Create(CultureInfo.InvariantCulture, $"8-bit, bucket {options.BucketSize}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"1-bit sign, bucket {options.BucketSize}"),
    } + (options.ErrorFeedback ? " with error feedback" : string.Empty);

    public override void Dispose()
    {
        ClearResiduals();
        DropPending();
        base.Dispose();
    }

    private void DropPending()
    {
        foreach (var residual in pending.Values)
        {
            residual.Dispose();
        }

        pending.Clear();
        (rawBytes, wireBytes) = (0, 0);
    }

    /// <summary>A flat vector cut back into tensors shaped like <paramref name="like"/>'s.</summary>
    private static ParameterSet Unflatten(Tensor flat, ParameterSet like)
    {
        long offset = 0;
        return like.Map((_, value) =>
        {
            var part = flat.narrow(0, offset, value.numel()).reshape(value.shape).clone();
            offset += value.numel();
            return part;
        });
    }

    private void ClearResiduals()
    {
        foreach (var residual in residuals.Values)
        {
            residual.Dispose();
        }

        residuals.Clear();
    }
}
