using FedPS.Bench;
using FedPS.Core.Runtime;

CpuThreading.PrepareNativeEnvironment(); // before anything loads libtorch

var benches = new Dictionary<string, Action<string[]>>(StringComparer.OrdinalIgnoreCase)
{
    ["overhead"] = OverheadBench.Run,
    ["lora"] = LoraBench.Run,
    ["sophia-step"] = SophiaStepBench.Run,
    ["fedsophia-round"] = FedSophiaRoundBench.Run,
    ["threads"] = ThreadsBench.Run,
    ["scale"] = ScaleBench.Run,
    ["micro"] = MicroBenchmarks.Run,
};

if (args.Length == 0 || !benches.TryGetValue(args[0], out var bench))
{
    Console.Error.WriteLine($"usage: FedPS.Bench <{string.Join("|", benches.Keys)}> [options]");
    return 2;
}

bench(args[1..]);
return 0;
