using FedPS.Core.Experiments;
using FedPS.Core.Simulation;
using Google.Protobuf;

namespace FedPS.Core.Tests.Experiments;

public sealed class TensorBoardLogTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-tb-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static PlannedRun Run() =>
        ExperimentConfig.Parse("name: tb\nsweep:\n  optimizer.learningRate: [0.1]\n  strategy.name: [FedProx]\n", "c.yaml").Expand().Runs.Single();

    private static RoundResult Round(int number) => new()
    {
        Round = number, Strategy = "FedProx", SampledClients = [0, 1], TrainLoss = 1.0 / number, TestLoss = 0.5, TestAccuracy = 0.25 * number,
        BytesUp = 1000, BytesDown = 1000, Duration = TimeSpan.FromMilliseconds(1),
        ClientResults = new[] { 0, 1 }.Select(c => new ClientRoundResult { ClientId = c, Samples = 5, TrainLoss = c + 0.5, Steps = 2, BytesUp = 500, BytesDown = 500 }).ToArray(),
    };

    [Fact]
    public void A_run_leaves_an_HParams_session_with_its_swept_values_and_how_it_ended()
    {
        var log = new TensorBoardLog(folder);
        using (var session = log.Start(Run(), CancellationToken.None))
        {
            log.Write(Round(1));
            session.Complete();
        }

        var events = HParamsEvents();
        Assert.Equal(["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"], events.Select(e => e.Tag));
        Assert.All(events, e => Assert.Equal("hparams", e.Plugin));

        var start = Fields(Fields(events[1].Content)[3].Single<ByteString>());
        var values = start[1].Cast<ByteString>().Select(Fields).ToDictionary(
            entry => entry[1].Single<ByteString>().ToStringUtf8(),
            entry => Fields(entry[2].Single<ByteString>()));
        Assert.Equal(0.1, values["learningRate"][2].Single<double>());  // Value.number_value
        Assert.Equal("FedProx", values["strategy"][3].Single<ByteString>().ToStringUtf8()); // Value.string_value
        Assert.Equal(1.0, values["seed"][2].Single<double>());

        var metrics = Fields(Fields(events[0].Content)[2].Single<ByteString>())[5].Cast<ByteString>()
            .Select(m => Fields(Fields(m)[1].Single<ByteString>())[2].Single<ByteString>().ToStringUtf8());
        Assert.Equal(TensorBoardLog.HParamsMetrics, metrics);

        var end = Fields(Fields(events[2].Content)[4].Single<ByteString>());
        Assert.Equal(1L, end[1].Single<long>()); // STATUS_SUCCESS
    }

    [Fact]
    public void A_run_that_fails_ends_its_session_as_failed_and_a_resumed_run_replaces_its_record()
    {
        using (new TensorBoardLog(folder).Start(Run(), CancellationToken.None))
        {
        }

        Assert.Equal(2L, Fields(Fields(HParamsEvents()[2].Content)[4].Single<ByteString>())[1].Single<long>()); // STATUS_FAILURE

        var resumed = new TensorBoardLog(folder);
        using (var session = resumed.Start(Run(), CancellationToken.None))
        {
            session.Complete();
        }

        Assert.Equal(3, HParamsEvents().Count);
    }

    [Fact]
    public void Per_client_logging_gives_each_client_a_run_of_its_own()
    {
        var log = new TensorBoardLog(folder, perClient: true);
        log.Write(Round(1));
        log.Write(Round(2));

        Assert.Equal(["client-0", "client-1"], Directory.GetDirectories(folder).Select(Path.GetFileName).Order());
        Assert.Single(Directory.GetFiles(Path.Combine(folder, "client-1"), "events.out.tfevents.*"));
    }

    private List<(string Tag, string Plugin, ByteString Content)> HParamsEvents()
    {
        var file = Assert.Single(Directory.GetFiles(folder, "*fedps-hparams"));
        var bytes = File.ReadAllBytes(file);
        var events = new List<(string, string, ByteString)>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = (int)BitConverter.ToUInt64(bytes, offset);
            var record = Tensorboard.Event.Parser.ParseFrom(bytes, offset + 12, length);
            offset += 12 + length + 4;
            var value = Assert.Single(record.Summary.Value);
            events.Add((value.Tag, value.Metadata.PluginData.PluginName, value.Metadata.PluginData.Content));
        }

        return events;
    }

    /// <summary>A protobuf message's fields by number: varints as long, fixed64 as double, the rest as bytes.</summary>
    private static Dictionary<int, List<object>> Fields(ByteString message)
    {
        var fields = new Dictionary<int, List<object>>();
        var input = new CodedInputStream(message.ToByteArray());
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.Fixed64 => input.ReadDouble(),
                _ => input.ReadBytes(),
            };
            var number = WireFormat.GetTagFieldNumber(tag);
            if (!fields.TryGetValue(number, out var list))
            {
                fields[number] = list = [];
            }

            list.Add(value);
        }

        return fields;
    }
}

internal static class FieldListExtensions
{
    public static T Single<T>(this List<object> values) => (T)Assert.Single(values);
}
