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
    public const string WeightsFile = ModelCheckpoint.WeightsFile;
    public const string ConfigFile = ModelCheckpoint.ConfigFile;

    /// <summary>Writes the weights (LoRA adapters merged in) and the config into <paramref name="folder"/>.</summary>
    public static void Save(string folder, IReadOnlyDictionary<string, Tensor> weights, GptConfig config, LoraSpec? lora)
    {
        ModelCheckpoint.CreateFolder(folder);
        var exported = Gpt2Layout.Export(weights, config, lora);
        try
        {
            FileWrites.Replace(Path.Combine(folder, ModelCheckpoint.WeightsFile), temp =>
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
        ModelCheckpoint.WriteConfig(folder, json);
    }

    /// <summary>Reads config.json (GPT-2's keys; the tokenizer defaults to Gpt2 for a Hugging Face folder).</summary>
    public static GptConfig ReadConfig(string folder) => ReadConfig(ModelCheckpoint.ReadConfig(folder), Path.Combine(folder, ConfigFile));

    internal static GptConfig ReadConfig(JsonObject json, string path)
    {
        try
        {
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
    public static FedModel Load(string folder, LoraSpec? lora, int seed) => Load(folder, ReadConfig(folder), lora, seed);

    internal static FedModel Load(string folder, GptConfig config, LoraSpec? lora, int seed)
    {
        var spec = ModelSpec.ForGpt(config, lora).Validated(); // a config too large for memory is refused before reading weights
        var checkpoint = ModelCheckpoint.ReadWeights(folder);
        try
        {
            var weights = Gpt2Layout.Import(checkpoint, config, Path.Combine(folder, WeightsFile));
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
