#Requires -Version 7.4
<#
.SYNOPSIS
    A federated strategy written in PowerShell: the coordinate-wise median, as a class deriving from FedPS's strategy base.

.DESCRIPTION
    Dot-source it to define the class [ScriptMedian] in your session (after Import-Module FedPS, so the base class
    is known when the script is parsed); run it to see it next to the built-in FedMedian on the digits data:

        Import-Module ./out/FedPS
        . ./examples/custom-strategy.ps1              # defines [ScriptMedian]
        ./examples/custom-strategy.ps1                # defines it and compares it with FedMedian

    A strategy class overrides Aggregate($round, $results, $failures) and returns the new global parameters, shaped
    like $this.Global (Flower's aggregate_fit). It may also override Configure (what each client gets),
    Evaluate, SaveState/LoadState (its state in checkpoints) and CompleteRound. Use it directly:
        New-FedServer -Strategy ([ScriptMedian]::new()) ...
    or register it by name, for New-FedStrategy, New-FedServer -Strategy ScriptMedian and YAML configs:
        Register-FedStrategy ([ScriptMedian])
    Its methods run on this session's thread: Invoke-FedExperiment runs such runs one at a time, here.
#>
using namespace System.Collections.Generic
using namespace FedPS.Core.Federation
using namespace FedPS.Core.Models

class ScriptMedian : FederatedStrategy {
    ScriptMedian() : base('ScriptMedian') {
    }

    # Every coordinate of the new model is the median of the clients' values: with n values sorted, the mean of the
    # middle one (n odd) or two (n even), i.e. the values left after cutting floor((n-1)/2) from each end.
    [ParameterSet] Aggregate([RoundContext] $round, [IReadOnlyList[ClientUpdate]] $results, [IReadOnlyList[ClientFailure]] $failures) {
        $n = $results.Count
        $cut = [math]::Floor(($n - 1) / 2)
        $updates = $results
        return $this.Global.Map({
                param([string] $name, $global)
                $stacked = [TorchSharp.torch]::stack([TorchSharp.torch+Tensor[]] @($updates | ForEach-Object { $_.Parameters[$name] }))
                $sorted = $stacked.sort(0).Item1          # TorchSharp's sort returns (values, indices)
                $sorted.narrow(0, $cut, $n - 2 * $cut).mean([long[]] @(0))
            }.GetNewClosure())
    }
}

if ($MyInvocation.InvocationName -ne '.') {
    # Run as a script: the same federation under the script median and the built-in one.
    $train = Import-FedDataset digits
    $test = Import-FedDataset digits -Split test
    $results = foreach ($strategy in [ScriptMedian]::new(), 'FedMedian') {
        $server = $train | Split-FedDataset -Clients 6 -Iid -Seed 1 |
            New-FedClient -LearningRate 0.1 -BatchSize 16 |
            New-FedServer -Strategy $strategy -Model ($train | New-FedModel Mlp -Seed 1) -TestData $test -Seed 1
        $server | Invoke-FedRound -Count 3
        $server
    }
    $rounds = $results | Where-Object { $_ -is [FedPS.Core.Simulation.RoundResult] }
    $rounds | Format-Table Round, Strategy, TrainLoss, TestLoss, TestAccuracy
    $script, $builtIn = $results | Where-Object { $_ -is [FedPS.Core.Simulation.FedServer] }
    $difference = ($script.Strategy.Global.Names | ForEach-Object {
            [TorchSharp.torch]::abs($script.Strategy.Global[$_].sub($builtIn.Strategy.Global[$_])).max().item[float]()
        } | Measure-Object -Maximum).Maximum
    'Largest difference between the script median and FedMedian after 3 rounds: {0}' -f $difference
}
