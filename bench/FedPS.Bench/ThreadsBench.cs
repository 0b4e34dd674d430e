using System.Diagnostics;
using System.Globalization;
using FedPS.Core.Primitives;
using FedPS.Core.Models;
using FedPS.Core.Runtime;
using FedPS.Core.Simulation;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// One training configuration in one process, for bench/threads.ps1: the OpenMP environment (wait policy, thread
/// count) is read when libtorch loads, so every setting needs a fresh process. Trains the MLP or the CNN on
/// MNIST-shaped batches of 32 (SGD with momentum, as the quickstart) or the MIRA GPT (4 layers × 128, context 64,
/// batch 32, AdamW) on random tokens, and prints one line: the median wall and CPU milliseconds per step, and how
/// many cores' worth of CPU other processes used meanwhile.
/// </summary>
internal static class ThreadsBench
{
    public static void Run(string[] args)
    {
        var architecture = ModelSpec.Canonical(args.Length > 0 ? args[0] : "Mlp");
        var threads = args.Length > 1 && args[1] != "default" ? int.Parse(args[1], CultureInfo.InvariantCulture) : (int?)null;
        var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 4.0;
        var device = FedDevice.Set("cpu", threads);

        var (module, inputs, labels) = Workload(architecture);
        FedDevice.UseDefaultThreadsFor(module.parameters().Sum(p => p.numel())); // what a round of this model would use
        using optim.Optimizer optimizer = architecture == "Gpt"
            ? torch.optim.AdamW(module.parameters(), 0.001)
            : torch.optim.SGD(module.parameters(), 0.05, momentum: 0.9);
        module.train();

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = Losses.CrossEntropy(module.forward(inputs), labels);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        }

        // Size the blocks so that 7 of them take about the requested time; the first is a warm-up.
        var clock = Stopwatch.StartNew();
        var probe = 0;
        while (clock.Elapsed.TotalSeconds < 0.3 || probe < 3)
        {
            Step();
            probe++;
        }

        var perBlock = Math.Max(1, (int)(seconds / 8 / (clock.Elapsed.TotalSeconds / probe)));
        var wall = new List<double>();
        var cpu = new List<double>();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var runCpu = self.TotalProcessorTime;
        var machineBusy = MachineBusySeconds();
        var runClock = Stopwatch.StartNew();
        for (var block = 0; block < 8; block++)
        {
            self.Refresh();
            var cpuStart = self.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < perBlock; i++)
            {
                Step();
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds / perBlock;
            self.Refresh();
            wall.Add(elapsed);
            cpu.Add((self.TotalProcessorTime - cpuStart).TotalMilliseconds / perBlock);
        }

        self.Refresh();
        var ownCpu = (self.TotalProcessorTime - runCpu).TotalSeconds;
        var others = (MachineBusySeconds() - machineBusy - ownCpu) / runClock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant(
            $"{architecture}\t{torch.get_num_threads()}\t{device.WaitPolicy}\t{Median(wall):F3}\t{Median(cpu):F3}\t{perBlock}\t{others:F2}"));
    }

    private static (nn.Module<Tensor, Tensor> Module, Tensor Inputs, Tensor Labels) Workload(string architecture)
    {
        using var generator = new Generator(1);
        if (architecture == "Gpt")
        {
            var config = new GptConfig(257, 64, 4, 4, 128, "Byte");
            var tokens = randint(0, 256, [32, 64], generator: generator);
            return (ModelSpec.ForGpt(config).Build(1), tokens, tokens.roll(-1, 1));
        }

        var spec = new ModelSpec(architecture, [1, 28, 28], 10, ModelSpec.DefaultMlpHidden);
        return (spec.Build(1), rand([32, 1, 28, 28], generator: generator), randint(0, 10, [32], generator: generator));
    }

    /// <summary>CPU seconds all processes have used since boot (Linux /proc/stat; NaN elsewhere).</summary>
    private static double MachineBusySeconds()
    {
        if (!File.Exists("/proc/stat"))
        {
            return double.NaN;
        }

        // cpu  user nice system idle iowait irq softirq steal ... in clock ticks of 1/100 s
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ticks = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        return ticks / 100.0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Skip(1).Order().ToArray(); // the first block is a warm-up
        return sorted[sorted.Length / 2];
    }
}
