using System.Text.Json.Serialization;

namespace FedPS.Core.Federation.Stages;

/// <summary>How a client's update is encoded for the uplink.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CompressionMethod>))] // by name in stored configs
public enum CompressionMethod
{
    /// <summary>The k·d largest-magnitude values and their positions (<see cref="TopK"/>).</summary>
    TopK,

    /// <summary>Stochastic quantization to s levels of each bucket's norm (<see cref="Qsgd"/>), unbiased.</summary>
    Qsgd,

    /// <summary>Stochastic rounding to 256 levels of each bucket's range (<see cref="EightBit"/>), unbiased.</summary>
    EightBit,

    /// <summary>One bit per value, the sign, and each bucket's mean magnitude (<see cref="SignCompression"/>).</summary>
    Sign,
}

/// <summary>Update compression's knobs (one record for every method; each method reads its own).</summary>
public sealed record CompressionOptions : StageOptions
{
    public CompressionMethod Method { get; init; } = CompressionMethod.TopK;

    /// <summary>k (TopK): the fraction of the update's values that are sent, in (0, 1].</summary>
    public double Ratio { get; init; } = 0.01;

    /// <summary>s (Qsgd): the quantization levels; each magnitude is rounded to one of 0, 1/s, …, 1 of its bucket's norm.</summary>
    public int Levels { get; init; } = 15;

    /// <summary>Values that share one scale (Qsgd's norm, EightBit's range, Sign's mean magnitude).</summary>
    public int BucketSize { get; init; } = 512;

    /// <summary>Keep, per client, what compression dropped and add it to that client's next update (error feedback).</summary>
    public bool ErrorFeedback { get; init; }

    public override StageOptions Validated()
    {
        Require(Ratio is > 0 and <= 1, nameof(Ratio), Ratio, "in (0, 1] (the fraction k of values top-k sends)");
        Require(Levels >= 1, nameof(Levels), Levels, "at least 1");
        Require(BucketSize >= 1, nameof(BucketSize), BucketSize, "at least 1");
        return this;
    }

    public override RoundStage CreateStage(IReadOnlyList<int>? clients = null) =>
        ServerStage(clients, "Compression is the protocol's, the same for every client: give it to New-FedServer -Compression.",
            () => new UpdateCompression((CompressionOptions)Validated()));

    /// <summary>The compressor these options describe.</summary>
    public Compressor CreateCompressor() => Method switch
    {
        CompressionMethod.TopK => new TopK(Ratio),
        CompressionMethod.Qsgd => new Qsgd(Levels, BucketSize),
        CompressionMethod.EightBit => new EightBit(BucketSize),
        _ => new SignCompression(BucketSize),
    };
}
