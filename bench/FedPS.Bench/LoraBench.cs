using System.Diagnostics;
using System.Globalization;
using FedPS.Core.Primitives;
using FedPS.Core.Data;
using FedPS.Core.Federation;
using FedPS.Core.Federation.Strategies;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// LoRA vs full fine-tuning of the MIRA reproduction's GPT (4 layers × 128, context 64, byte vocabulary):
/// time per AdamW step on the same batch, trainable parameters, optimizer state and bytes per round; then the
/// resident memory of a Mira server with 8 vs 64 clients (per-client state must be adapters only, never a
/// copy of the base model).
/// </summary>
internal static class LoraBench
{
    private static readonly GptConfig Config = new(257, 64, 4, 4, 128, "Byte");

    public static void Run(string[] args)
    {
        var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        torch.set_num_threads(threads);
        var lora = new LoraSpec(8, 16, 0, LoraTargets.Attention);
        var full = new FedModel(ModelSpec.ForGpt(Config), 1);
        var adapted = new FedModel(ModelSpec.ForGpt(Config, lora), 1);
        using var tokens = randint(0, 256, [16, 64], generator: new Generator(1));
        using var targets = randint(0, 256, [16, 64], generator: new Generator(2));

        Action Step(FedModel model)
        {
            var adam = torch.optim.AdamW(model.Module.parameters().Where(p => p.requires_grad), 0.001);
            return () =>
            {
                using var scope = NewDisposeScope();
                adam.zero_grad();
                Losses.CrossEntropy(model.Module.forward(tokens), targets).backward();
                adam.step();
            };
        }

        var times = Measure.Interleaved(10, Step(full), Step(adapted));
        Console.WriteLine($"threads {threads}; GPT {Config}; batch 16×64; LoRA {lora}");
        Console.WriteLine($"| | full fine-tuning | LoRA | ratio (LoRA / full) |");
        Console.WriteLine($"|---|---:|---:|---:|");
        Console.WriteLine(Row("AdamW step, median of 10 (ms)", times[0].Wall * 1000, times[1].Wall * 1000));
        Console.WriteLine(Row("AdamW step, CPU (ms)", times[0].Cpu * 1000, times[1].Cpu * 1000));
        Console.WriteLine(Row("trainable parameters", full.TrainableParameterCount, adapted.TrainableParameterCount));
        Console.WriteLine(Row("optimizer state (KB, 2 moments)", 2 * 4 * full.TrainableParameterCount / 1024.0, 2 * 4 * adapted.TrainableParameterCount / 1024.0));
        Console.WriteLine(Row("bytes up per client per round (KB)", 4 * full.TrainableParameterCount / 1024.0, 4 * adapted.TrainableParameterCount / 1024.0));

        var rss8 = ServerMemory(8, lora);
        var rss64 = ServerMemory(64, lora);
        Console.WriteLine();
        Console.WriteLine("| Mira clients | strategy state (MB, exact) | RSS growth: server built (MB) | after round 1 (MB) | after round 3 (MB) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        Console.WriteLine(FormattableString.Invariant($"| 8 | {rss8.State:N2} | {rss8.Built:N1} | {rss8.Round:N1} | {rss8.Round3:N1} |"));
        Console.WriteLine(FormattableString.Invariant($"| 64 | {rss64.State:N2} | {rss64.Built:N1} | {rss64.Round:N1} | {rss64.Round3:N1} |"));
        var adapterKb = 4 * adapted.TrainableParameterCount / 1024.0;
        var baseKb = 4 * adapted.ParameterCount / 1024.0;
        Console.WriteLine(FormattableString.Invariant(
            $"per extra client: {(rss64.Built - rss8.Built) * 1024 / 56:N1} KB built, {(rss64.Round - rss8.Round) * 1024 / 56:N1} KB after a round (adapter: {adapterKb:N1} KB; a copy of the base model would be {baseKb:N0} KB)"));
    }

    private static string Row(string what, double full, double lora) =>
        FormattableString.Invariant($"| {what} | {full:N1} | {lora:N1} | {lora / full:N3} |");

    // Each client holds 16 sequences of 64 random tokens; one local step each. RSS after building the server
    // (persistent per-client state) and after one round (plus what a round leaves allocated or cached).
    private static (double State, double Built, double Round, double Round3) ServerMemory(int clients, LoraSpec lora)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Process.GetCurrentProcess().WorkingSet64;

        var model = new FedModel(ModelSpec.ForGpt(Config, lora), 1);
        var data = Enumerable.Range(0, clients).Select(k =>
        {
            var x = randint(0, 256, [16, 64], generator: new Generator((ulong)k + 10));
            var dataset = new FedDataset($"synthetic-{k}", "train", x, x.roll(-1, 1), Enumerable.Range(0, 257).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
            return new FedClient(new FedClientData(k, dataset, "synthetic"), new LocalTrainingSpec { BatchSize = 16, Steps = 1, Optimizer = OptimizerSpec.Sgd(0.01) });
        }).ToArray();
        using var server = new FedServer(model, data, new Mira(new MiraOptions { Lambda = 0.05 }), seed: 1);
        var built = Rss() - before;
        server.RunRound();
        var round = Rss() - before;
        server.RunRound();
        server.RunRound();
        var round3 = Rss() - before;
        var state = server.Strategy.StateTensors().Sum(t => t.Value.numel() * t.Value.ElementSize);
        const double mb = 1024.0 * 1024.0;
        return (state / mb, built / mb, round / mb, round3 / mb);

        static long Rss()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var self = Process.GetCurrentProcess();
            return self.WorkingSet64;
        }
    }
}
