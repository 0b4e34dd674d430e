#Requires -Version 7.4
<#
.SYNOPSIS
    FedPS's main job: FedAvg with an MLP on MNIST, 10 clients with Dirichlet(0.5) label skew, 20 rounds.

.DESCRIPTION
    Prints one row per round and the final test accuracy. Run it through the README's first command, or in a
    session where the module is imported: ./examples/quickstart.ps1 -Rounds 5
#>
[CmdletBinding()]
param(
    [int] $Rounds = 20,
    [int] $Clients = 10,
    [double] $Alpha = 0.5,
    [int] $Seed = 1
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1') }

$clock = [Diagnostics.Stopwatch]::StartNew()
$train = Import-FedDataset mnist -Split train
$test = Import-FedDataset mnist -Split test
$model = $train | New-FedModel -Architecture Mlp -Seed $Seed

$server = $train |
    Split-FedDataset -Clients $Clients -Dirichlet $Alpha -Seed $Seed |
    New-FedClient -LocalEpochs 1 -BatchSize 32 -LearningRate 0.05 -Momentum 0.9 |
    New-FedServer -Strategy FedAvg -Model $model -TestData $test -Seed $Seed

Write-Host "FedAvg · $($model.Architecture) ($('{0:N0}' -f $model.ParameterCount) parameters) · MNIST · $Clients clients, Dirichlet($Alpha) · $Rounds rounds"
$server | Invoke-FedRound -Count $Rounds | Format-Table | Out-Host

$final = Measure-FedLoss $server
Write-Host ('Final test accuracy: {0:P2} (loss {1:N4}) after {2} rounds in {3:N1} s' -f $final.Accuracy, $final.Loss, $server.Round, $clock.Elapsed.TotalSeconds)
