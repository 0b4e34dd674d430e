#Requires -Version 7.4
<#
.SYNOPSIS
    Pretrains the small byte-level GPT that the MIRA reproduction fine-tunes, and caches it as safetensors.
.DESCRIPTION
    No pretrained language model is reachable offline, so FedPS trains its own: a byte-level GPT on the raw text
    of the tasks' *training* examples (FreeDict pairs, WordNet/FOLDOC glosses, fortunes), never their test
    splits. Centralized training is a one-client FedAvg federation. Validation loss is measured on the raw text
    of the test splits. The checkpoint goes to $env:FEDPS_DATA/models/mira-base (not into git).
#>
param(
    [int] $Steps = 1500,
    [int] $StepsPerRound = 250,
    [int] $Threads = 1,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
Set-FedDevice -Name cpu -Threads $Threads | Out-Null

$train = Import-FedTextTask -Name $TaskNames -Corpus -Split train -ContextLength $ContextLength -TestCount $HeldOut -Seed $SplitSeed
$valid = Import-FedTextTask -Name $TaskNames -Corpus -Split test -ContextLength $ContextLength -TestCount $HeldOut -Seed $SplitSeed
$model = New-FedModel -Architecture Gpt -Tokenizer Byte -ContextLength $ContextLength -Layers 4 -Heads 4 -Embedding 128 -Seed $Seed
$optimizer = New-FedOptimizer AdamW -LearningRate 0.002 -WeightDecay 0.01
$server = $train | Split-FedDataset -Clients 1 -Seed $Seed |
    New-FedClient -Optimizer $optimizer -BatchSize 32 -LocalSteps $StepsPerRound |
    New-FedServer -Strategy FedAvg -Model $model -TestData $valid -Seed $Seed

"Corpus: $($train.Count) windows of $ContextLength bytes (train), $($valid.Count) (validation); model $($model.ParameterCount) parameters"
$clock = [Diagnostics.Stopwatch]::StartNew()
$server | Invoke-FedRound -Count ([math]::Ceiling($Steps / $StepsPerRound)) | Format-Table Round, TrainLoss, TestLoss, TestPerplexity, Duration | Out-String | Write-Host
$clock.Stop()
Save-FedModel -Server $server -Path $BaseModelPath -Confirm:$false | Out-Null
$last = $server.History[-1]
[pscustomobject]@{
    Parameters       = $model.ParameterCount
    TrainWindows     = $train.Count
    Steps            = $server.Round * $StepsPerRound
    Seconds          = [math]::Round($clock.Elapsed.TotalSeconds, 1)
    ValidationLoss   = [math]::Round($last.TestLoss, 4)
    ValidationPpl    = [math]::Round($last.TestPerplexity, 3)
    Checkpoint       = $BaseModelPath
}
