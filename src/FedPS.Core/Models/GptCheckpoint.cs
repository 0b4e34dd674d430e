using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using FedPS.Core.IO;
using static TorchSharp.torch;

namespace FedPS.Core.Models;

/// <summary>
/// A GPT checkpoint folder as Hugging Face writes one: model.safetensors in GPT-2's tensor layout plus
/// config.json (vocab_size, n_positions, n_embd, n_layer, n_head). A real GPT-2 folder loads the same way.
/// </summary>
public static class GptCheckpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";

    private const int MaxConfigBytes = 1 << 20;

    /// <summary>Writes the weights (LoRA adapters merged in) and the config into <paramref name="folder"/>.</summary>
    public static void Save(string folder, IReadOnlyDictionary<string, Tensor> weights, GptConfig config, LoraSpec? lora)
    {
        if (File.Exists(folder))
        {
            throw new FedPSException(FedErrorKind.InvalidArgument, $"Cannot write a checkpoint folder at '{folder}': it is a file.", folder);
        }

        FileWrites.Guard(folder, () => Directory.CreateDirectory(folder));
        var exported = Gpt2Layout.Export(weights, config, lora);
        try
        {
            FileWrites.Replace(Path.Combine(folder, WeightsFile), temp =>
            {
                using var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
                SafetensorsFile.Write(file, exported.Select(p => (p.Key, p.Value)).ToArray(), new Dictionary<string, string> { ["format"] = "pt" });
            });
        }
        finally
        {
            foreach (var tensor in exported.Values)
            {
                tensor.Dispose();
            }
        }

        var json = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["vocab_size"] = config.VocabularySize,
            ["n_positions"] = config.ContextLength,
            ["n_embd"] = config.Embedding,
            ["n_layer"] = config.Layers,
            ["n_head"] = config.Heads,
            ["fedps_tokenizer"] = config.Tokenizer,
        };
        FileWrites.Replace(Path.Combine(folder, ConfigFile), temp => File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
    }

    /// <summary>Reads config.json (GPT-2's keys; the tokenizer defaults to Gpt2 for a Hugging Face folder).</summary>
    public static GptConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"'{folder}' is not a GPT checkpoint folder: '{path}' is missing.", path);
        }

        if (new FileInfo(path).Length > MaxConfigBytes)
        {
            throw new FedPSException(FedErrorKind.LimitExceeded, $"'{path}' has more than {MaxConfigBytes:N0} bytes; a GPT config.json has a few hundred.", path);
        }

        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' is not a JSON object of GPT-2 settings.", path);
            int Read(string key) => json[key]?.GetValue<int>()
                ?? throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' has no '{key}'.", path);
            return new GptConfig(Read("vocab_size"), Read("n_positions"), Read("n_layer"), Read("n_head"), Read("n_embd"),
                json["fedps_tokenizer"]?.GetValue<string>() ?? "Gpt2").Validated();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new FedPSException(FedErrorKind.InvalidData, $"'{path}' is not a valid GPT-2 config.json: {ex.Message}", path, ex);
        }
    }

    /// <summary>Loads a checkpoint folder as a model, adding fresh LoRA adapters (seeded) when <paramref name="lora"/> is given.</summary>
    public static FedModel Load(string folder, LoraSpec? lora, int seed)
    {
        var config = ReadConfig(folder);
        var spec = ModelSpec.ForGpt(config, lora).Validated(); // a config too large for memory is refused before reading weights
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path))
        {
            throw new FedPSException(FedErrorKind.ObjectNotFound, $"'{folder}' is not a GPT checkpoint folder: '{path}' is missing.", path);
        }

        var checkpoint = SafetensorsFile.Load(path);
        try
        {
            var weights = Gpt2Layout.Import(checkpoint, config, path);
            try
            {
                return new FedModel(spec, seed, weights);
            }
            finally
            {
                foreach (var tensor in weights.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        finally
        {
            foreach (var tensor in checkpoint.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
