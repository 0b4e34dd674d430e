using FedPS.Core.Optim;

namespace FedPS.Core.Federation;

/// <summary>How a client trains locally each round: batch size, epochs or an exact step count, and the optimizer.</summary>
public sealed record LocalTrainingSpec
{
    public int BatchSize { get; init; } = 32;

    /// <summary>Passes over the client's data per round; ignored when <see cref="Steps"/> is set.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>An exact number of local steps per round (the same budget for every client), or null for epochs.</summary>
    public int? Steps { get; init; }

    public OptimizerSpec Optimizer { get; init; } = OptimizerSpec.Sgd(0.05);

    /// <summary>
    /// Before each optimizer step, scale the gradient down so its global L2 norm (over all trained parameters) is at
    /// most this (torch's clip_grad_norm_, as Sophia's reference training script does with 1.0); null: no clipping.
    /// </summary>
    public double? MaxGradientNorm { get; init; }

    public LocalTrainingSpec Validated()
    {
        if (BatchSize < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"BatchSize must be at least 1 (got {BatchSize}).", BatchSize);
        }

        if (Epochs < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"LocalEpochs must be at least 1 (got {Epochs}).", Epochs);
        }

        if (Steps is < 1)
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"LocalSteps must be at least 1 (got {Steps}).", Steps);
        }

        if (MaxGradientNorm is { } clip && !(clip > 0 && double.IsFinite(clip)))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument,
                FormattableString.Invariant($"MaxGradientNorm must be a positive number (got {clip})."), clip);
        }

        return this with { Optimizer = Optimizer.Validated() };
    }

    /// <summary>The number of optimizer steps a client with <paramref name="samples"/> samples takes per round.</summary>
    public int StepsFor(int samples) => Steps ?? (Epochs * ((samples + BatchSize - 1) / BatchSize));

    public override string ToString() =>
        $"{(Steps is { } s ? $"{s} steps" : $"{Epochs} epoch(s)")}, batch {BatchSize}, {Optimizer}" +
        (MaxGradientNorm is { } clip ? FormattableString.Invariant($", gradient norm clipped at {clip}") : string.Empty);
}
