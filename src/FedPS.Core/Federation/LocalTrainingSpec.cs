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

        return this with { Optimizer = Optimizer.Validated() };
    }

    /// <summary>The number of optimizer steps a client with <paramref name="samples"/> samples takes per round.</summary>
    public int StepsFor(int samples) => Steps ?? (Epochs * ((samples + BatchSize - 1) / BatchSize));

    public override string ToString() =>
        $"{(Steps is { } s ? $"{s} steps" : $"{Epochs} epoch(s)")}, batch {BatchSize}, {Optimizer}";
}
