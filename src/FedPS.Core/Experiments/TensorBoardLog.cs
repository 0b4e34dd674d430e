using System.Buffers.Binary;
using System.Globalization;
using FedPS.Core.Simulation;
using Google.Protobuf;
using Tensorboard;
using TorchSharp;

namespace FedPS.Core.Experiments;

/// <summary>
/// A run's curves as TensorBoard event files (TorchSharp's SummaryWriter), one scalar per metric and round, and a
/// record for TensorBoard's HParams dashboard: the run's swept values, strategy, dataset and seed as
/// hyperparameters, its final test accuracy and losses as metrics, and how it ended. With per-client logging, each
/// client's training loss, update norm and traffic go to a run of its own (client-3/), so TensorBoard draws every
/// client's curve on one chart. The writer appends each event to its file as it is added, so there is nothing to
/// flush or close; the hparams record is one small file, replaced whole when the run ends.
/// </summary>
public sealed class TensorBoardLog
{
    /// <summary>The metrics the HParams dashboard shows for each run: the last value of each tag.</summary>
    public static readonly IReadOnlyList<string> HParamsMetrics = ["test/accuracy", "test/loss", "train/loss"];

    // Named like every event file (TensorBoard reads any file with "tfevents" in its name), fixed so that a resumed
    // run replaces its record instead of adding a second session.
    private const string HParamsFile = "events.out.tfevents.0.fedps-hparams";

    private readonly string folder;
    private readonly bool perClient;
    private readonly TorchSharp.Modules.SummaryWriter writer;
    private readonly Dictionary<int, TorchSharp.Modules.SummaryWriter> clients = [];
    private IReadOnlyDictionary<string, object>? hyperparameters;
    private double startTime;

    public TensorBoardLog(string folder, bool perClient = false)
    {
        IO.FileWrites.Guard(folder, () => Directory.CreateDirectory(folder));
        this.folder = folder;
        this.perClient = perClient;
        writer = torch.utils.tensorboard.SummaryWriter(folder);
    }

    /// <summary>
    /// Records the run's hyperparameters for the HParams dashboard, as a session that is running. Disposing the
    /// session ends it: complete after <see cref="Session.Complete"/>, else interrupted (cancelled) or failed.
    /// </summary>
    public Session Start(PlannedRun run, CancellationToken cancel)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["strategy"] = run.Strategy,
            ["dataset"] = run.Dataset,
            ["seed"] = (double)run.Seed,
        };
        foreach (var (name, text) in run.Parameters)
        {
            values[name] = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
                : bool.TryParse(text, out var flag) ? flag
                : text;
        }

        hyperparameters = values;
        startTime = UnixNow();
        WriteHParams(end: null);
        return new Session(this, cancel);
    }

    public void Write(RoundResult round)
    {
        Scalar(writer, "train/loss", round.TrainLoss, round.Round);
        Scalar(writer, "test/loss", round.TestLoss, round.Round);
        Scalar(writer, "test/accuracy", round.TestAccuracy, round.Round);
        Scalar(writer, "traffic/megabytes_up", round.BytesUp / 1e6, round.Round);
        Scalar(writer, "traffic/megabytes_down", round.BytesDown / 1e6, round.Round);
        foreach (var (name, value) in round.Metrics)
        {
            Scalar(writer, $"metrics/{name}", value, round.Round);
        }

        if (!perClient)
        {
            return;
        }

        foreach (var client in round.ClientResults)
        {
            if (!clients.TryGetValue(client.ClientId, out var own))
            {
                var path = Path.Combine(folder, $"client-{client.ClientId}");
                IO.FileWrites.Guard(path, () => Directory.CreateDirectory(path));
                clients[client.ClientId] = own = torch.utils.tensorboard.SummaryWriter(path);
            }

            Scalar(own, "client/train_loss", client.TrainLoss, round.Round);
            Scalar(own, "client/update_norm", client.UpdateNorm, round.Round);
            Scalar(own, "client/megabytes_up", client.BytesUp / 1e6, round.Round);
            Scalar(own, "client/steps", client.Steps, round.Round);
        }
    }

    private static void Scalar(TorchSharp.Modules.SummaryWriter target, string tag, double value, int step)
    {
        if (double.IsFinite(value))
        {
            target.add_scalar(tag, (float)value, step);
        }
    }

    private void WriteHParams(RunStatus? end)
    {
        var records = new List<byte[]>
        {
            Record(HParams.ExperimentTag, HParams.Experiment(hyperparameters!, HParamsMetrics), startTime),
            Record(HParams.SessionStartTag, HParams.SessionStart(hyperparameters!, startTime), startTime),
        };
        if (end is { } status)
        {
            var now = UnixNow();
            records.Add(Record(HParams.SessionEndTag, HParams.SessionEnd(status, now), now));
        }

        IO.FileWrites.Replace(Path.Combine(folder, HParamsFile), temp =>
        {
            using var file = File.Create(temp);
            foreach (var record in records)
            {
                TfRecord.Write(file, record);
            }
        });
    }

    /// <summary>A run's HParams session: how it ends is written when it is disposed.</summary>
    public sealed class Session(TensorBoardLog log, CancellationToken cancel) : IDisposable
    {
        private bool complete;
        private bool ended;

        /// <summary>The run finished every round.</summary>
        public void Complete() => complete = true;

        public void Dispose()
        {
            if (ended)
            {
                return;
            }

            ended = true;
            log.WriteHParams(complete ? RunStatus.Complete : cancel.IsCancellationRequested ? RunStatus.Interrupted : RunStatus.Failed);
        }
    }

    /// <summary>An Event holding one summary value that carries only hparams plugin data, as PyTorch's add_hparams writes it.</summary>
    private static byte[] Record(string tag, byte[] content, double wallTime)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata
            {
                PluginData = new SummaryMetadata.Types.PluginData { PluginName = HParams.PluginName, Content = ByteString.CopyFrom(content) },
            },
        });
        return new Event { WallTime = wallTime, Summary = summary }.ToByteArray();
    }

    private static double UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>TFRecord framing: length, masked CRC-32C of the length, the data, masked CRC-32C of the data.</summary>
    private static class TfRecord
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(i =>
        {
            var crc = (uint)i;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }

            return crc;
        }).ToArray();

        public static void Write(Stream output, byte[] data)
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)data.Length);
            Span<byte> crc = stackalloc byte[4];
            output.Write(length);
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Masked(length));
            output.Write(crc);
            output.Write(data);
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Masked(data));
            output.Write(crc);
        }

        private static uint Masked(ReadOnlySpan<byte> bytes)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in bytes)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            crc ^= 0xFFFFFFFFu;
            return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
        }
    }
}
