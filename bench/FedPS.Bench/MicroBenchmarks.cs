using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FedPS.Core.Models;
using FedPS.Core.Optim;
using FedPS.Core.Primitives;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPS.Bench;

/// <summary>
/// BenchmarkDotNet micro-benchmarks (in process, so libtorch loads once with FedPS's threading): an optimizer's
/// update alone on fixed gradients, and the server's weighted average. Run: FedPS.Bench micro [BenchmarkDotNet args].
/// </summary>
internal static class MicroBenchmarks
{
    public static void Run(string[] args)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromTypes([typeof(OptimizerUpdateBenchmarks), typeof(AveragingBenchmarks)]).Run(args, config);
    }
}

/// <summary>One update of each optimizer on the same fixed gradients (no forward, no backward, no curvature refresh).</summary>
public class OptimizerUpdateBenchmarks
{
    private readonly Dictionary<string, (nn.Module<Tensor, Tensor> Module, ILocalOptimizer Optimizer)> candidates = [];
    private Minibatch batch = null!;

    [Params("Mlp", "Cnn")]
    public string Architecture { get; set; } = "Mlp";

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var spec = new ModelSpec(Architecture, [1, 28, 28], 10, ModelSpec.DefaultMlpHidden);
        foreach (var name in new[] { "AdamW", "Sophia", "Sgd" })
        {
            var module = spec.Build(1);
            var optimizer = OptimizerSpec.Defaults(name).Create(module.parameters());
            optimizer.ZeroGrad();
            foreach (var p in module.parameters())
            {
                using var _ = no_grad();
                var grad = p.grad ?? zeros_like(p);
                grad.copy_(randn_like(p));
                p.grad = grad;
            }

            candidates[name] = (module, optimizer);
        }

        batch = new Minibatch(candidates["Sgd"].Module, zeros(1), zeros(1), new Generator(1));
    }

    [Benchmark(Baseline = true)]
    public void AdamW() => Update("AdamW");

    [Benchmark]
    public void Sophia() => ((Sophia)candidates["Sophia"].Optimizer).Step();

    [Benchmark]
    public void Sgd() => Update("Sgd");

    private void Update(string name) => candidates[name].Optimizer.Step(batch);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (module, optimizer) in candidates.Values)
        {
            optimizer.Dispose();
            module.Dispose();
        }
    }
}

/// <summary>FedAvg's weighted average of 10 client updates of the MLP: tensor by tensor (RunningAverage) and over flat buffers.</summary>
public class AveragingBenchmarks
{
    private ParameterSet[] sets = [];
    private Tensor[] flats = [];
    private double[] weights = [];

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var spec = new ModelSpec("Mlp", [1, 28, 28], 10, ModelSpec.DefaultMlpHidden);
        sets = Enumerable.Range(1, 10).Select(seed => ParameterSet.From(spec.Build(seed))).ToArray();
        flats = sets.Select(s => cat(s.Values.Select(v => v.flatten()).ToArray())).ToArray();
        weights = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();
    }

    [Benchmark(Baseline = true)]
    public void PerTensor()
    {
        using var average = RunningAverage.Of(sets, weights);
    }

    [Benchmark]
    public void Flat()
    {
        using var _ = no_grad();
        var total = weights.Sum();
        using var sum = flats[0].mul(weights[0] / total);
        for (var i = 1; i < flats.Length; i++)
        {
            sum.add_(flats[i], alpha: weights[i] / total);
        }
    }
}
