using System.Text;

namespace FedPS.Core.Experiments;

/// <summary>
/// The protocol buffers of TensorBoard's HParams plugin (tensorboard/plugins/hparams/api.proto and plugin_data.proto),
/// encoded by hand: TorchSharp ships TensorBoard's event and summary messages but not these. Only the fields FedPS
/// writes are encoded: an experiment (hyperparameter and metric names), a session's start (its values) and its end.
/// </summary>
internal static class HParams
{
    public const string PluginName = "hparams";
    public const string ExperimentTag = "_hparams_/experiment";
    public const string SessionStartTag = "_hparams_/session_start_info";
    public const string SessionEndTag = "_hparams_/session_end_info";

    // api.proto: DataType and Status.
    private const int DataTypeString = 1;
    private const int DataTypeBool = 2;
    private const int DataTypeFloat64 = 3;
    private const int StatusSuccess = 1;
    private const int StatusFailure = 2;
    private const int StatusRunning = 3;

    /// <summary>HParamsPluginData { experiment = 2: Experiment { hparam_infos = 4, metric_infos = 5 } }.</summary>
    public static byte[] Experiment(IReadOnlyDictionary<string, object> hyperparameters, IEnumerable<string> metrics)
    {
        var experiment = new ProtoWriter();
        foreach (var (name, value) in hyperparameters)
        {
            var info = new ProtoWriter().String(1, name).Varint(4, value switch { double => DataTypeFloat64, bool => DataTypeBool, _ => DataTypeString });
            experiment.Message(4, info);
        }

        foreach (var tag in metrics)
        {
            experiment.Message(5, new ProtoWriter().Message(1, new ProtoWriter().String(2, tag)));
        }

        return new ProtoWriter().Message(2, experiment).ToArray();
    }

    /// <summary>HParamsPluginData { session_start_info = 3: SessionStartInfo { hparams = 1 (map to Value), start_time_secs = 5 } }.</summary>
    public static byte[] SessionStart(IReadOnlyDictionary<string, object> hyperparameters, double startTime)
    {
        var start = new ProtoWriter();
        foreach (var (name, value) in hyperparameters)
        {
            // google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4.
            var protoValue = value switch
            {
                double number => new ProtoWriter().Double(2, number),
                bool flag => new ProtoWriter().Varint(4, flag ? 1 : 0),
                _ => new ProtoWriter().String(3, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty),
            };
            start.Message(1, new ProtoWriter().String(1, name).Message(2, protoValue));
        }

        start.Double(5, startTime);
        return new ProtoWriter().Message(3, start).ToArray();
    }

    /// <summary>HParamsPluginData { session_end_info = 4: SessionEndInfo { status = 1, end_time_secs = 2 } }.</summary>
    public static byte[] SessionEnd(RunStatus status, double endTime)
    {
        var code = status switch { RunStatus.Complete => StatusSuccess, RunStatus.Failed => StatusFailure, _ => StatusRunning };
        return new ProtoWriter().Message(4, new ProtoWriter().Varint(1, code).Double(2, endTime)).ToArray();
    }

    /// <summary>The few protobuf wire types these messages need: varints, doubles and length-delimited fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream bytes = new();

        public ProtoWriter Varint(int field, long value)
        {
            Key(field, 0);
            Raw((ulong)value);
            return this;
        }

        public ProtoWriter Double(int field, double value)
        {
            Key(field, 1);
            Span<byte> fixed64 = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(fixed64, value);
            bytes.Write(fixed64);
            return this;
        }

        public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public byte[] ToArray() => bytes.ToArray();

        private ProtoWriter Bytes(int field, byte[] value)
        {
            Key(field, 2);
            Raw((ulong)value.Length);
            bytes.Write(value);
            return this;
        }

        private void Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                bytes.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            bytes.WriteByte((byte)value);
        }
    }
}
