using FedPS.Core.Simulation;
using TorchSharp;

namespace FedPS.Core.Experiments;

/// <summary>
/// A run's curves as TensorBoard event files (TorchSharp's SummaryWriter), one scalar per metric and round. The writer
/// appends each event to the file as it is added, so there is nothing to flush or close.
/// </summary>
public sealed class TensorBoardLog
{
    private readonly TorchSharp.Modules.SummaryWriter writer;

    public TensorBoardLog(string folder)
    {
        IO.FileWrites.Guard(folder, () => Directory.CreateDirectory(folder));
        writer = torch.utils.tensorboard.SummaryWriter(folder);
    }

    public void Write(RoundResult round)
    {
        Scalar("train/loss", round.TrainLoss, round.Round);
        Scalar("test/loss", round.TestLoss, round.Round);
        Scalar("test/accuracy", round.TestAccuracy, round.Round);
        Scalar("traffic/megabytes_up", round.BytesUp / 1e6, round.Round);
        foreach (var (name, value) in round.Metrics)
        {
            Scalar($"metrics/{name}", value, round.Round);
        }
    }

    private void Scalar(string tag, double value, int step)
    {
        if (double.IsFinite(value))
        {
            writer.add_scalar(tag, (float)value, step);
        }
    }
}
