#Requires -Version 7.4
<#
.SYNOPSIS
    The CPU cost of a MIRA-sized language-model round, to compare two builds (for example before and after a change
    to the training loop): 16 text tasks, the pretrained mira-base-v2 GPT with rank-8 LoRA adapters, FedIT, AdamW,
    16 clients x 5 steps of batch 16, then every client's validation pass. Prints CPU seconds (our process's, which
    holds when the machine is busy) and the losses, so that two builds can be checked to compute the same thing.
    Asserts nothing. Needs the MIRA packages and base model (examples/mira/reproduce.ps1 makes them).
.EXAMPLE
    dotnet pwsh bench/text-round.ps1 -Module ./out/FedPS/FedPS.psd1 -Rounds 2
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Module,
    [int] $Rounds = 2
)
$ErrorActionPreference = 'Stop'
Import-Module $Module
Set-FedDevice cpu -Threads 1 | Out-Null
. (Join-Path $PSScriptRoot '../examples/mira/common.ps1')
$tasks = @(Import-FedTextTask -Name $TaskNames -ContextLength $ContextLength -TrainCount 200 -TestCount $TestCount -ValidationCount $ValidationCount -Seed $SplitSeed)
$model = Import-FedModel $BaseModelPath -LoraRank 8 -LoraAlpha 16 -LoraTargets Attention -Seed 1
$server = $tasks | Split-FedDataset -ByTask -Seed 1 |
    New-FedClient -Optimizer (New-FedOptimizer AdamW -LearningRate 0.003) -BatchSize 16 -LocalSteps 5 |
    New-FedServer -Strategy FedIT -Model $model -Seed 1
$process = [Diagnostics.Process]::GetCurrentProcess()
$start = $process.TotalProcessorTime
$result = foreach ($round in 1..$Rounds) { $server | Invoke-FedRound }
$process.Refresh(); $training = ($process.TotalProcessorTime - $start).TotalSeconds
$start = $process.TotalProcessorTime
$validation = for ($k = 0; $k -lt $tasks.Count; $k++) { $server.MeasureClients([int[]] @($k), $tasks[$k].Validation)[0].Loss }
$process.Refresh(); $measuring = ($process.TotalProcessorTime - $start).TotalSeconds
[pscustomobject]@{
    Module = $Module; Rounds = $Rounds
    TrainingCpuSeconds = [math]::Round($training, 1); ValidationCpuSeconds = [math]::Round($measuring, 1)
    LastTrainLoss = [math]::Round($result[-1].TrainLoss, 5); MeanValidationLoss = [math]::Round(($validation | Measure-Object -Average).Average, 5)
} | Format-List
