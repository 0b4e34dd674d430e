namespace FedPS.Core.Federation;

/// <summary>A client's loss or parameters became NaN or infinite: the run stops and says where.</summary>
public sealed class FedDivergenceException : FedPSException
{
    public FedDivergenceException(int clientId, int round, int step, double loss)
        : base(FedErrorKind.Diverged,
            FormattableString.Invariant(
                $"Training diverged on client {clientId} in round {round} at local step {step}: the loss is {loss}. ") +
            "Lower the learning rate, or pass -OnDivergence Continue to drop that client's update and go on.",
            clientId)
    {
        ClientId = clientId;
        Round = round;
        Step = step;
        Loss = loss;
    }

    public int ClientId { get; }

    public int Round { get; }

    public int Step { get; }

    public double Loss { get; }

    public override string ErrorId => "TrainingDiverged";
}
