#Requires -Version 7.4
<#
.SYNOPSIS
    Pretrains the byte-level GPT that the MIRA reproduction fine-tunes, and caches it as safetensors.
.DESCRIPTION
    No pretrained language model is reachable offline, so FedPS trains its own: a byte-level GPT on the raw text of
    up to -CorpusCount examples per task (FreeDict pairs, WordNet/FOLDOC/GCIDE/Jargon glosses, fortunes), never
    their test or validation examples (common.ps1's $HeldOut). Centralized training is a one-client FedAvg
    federation; each round of -StepsPerRound steps is checkpointed under -Work, so -Resume continues a killed run
    exactly. Validation loss is measured on the raw text of the held-out examples. The model goes to
    $env:FEDPS_DATA/models/mira-base-v2 (not into git); an existing one is kept unless -Force.
#>
param(
    [int] $Steps = 2000,
    [int] $StepsPerRound = 250,
    [int] $CorpusCount = 12000,
    [int] $Layers = 4,
    [int] $Heads = 8,
    [int] $Embedding = 256,
    [int] $Threads = 1,
    [int] $Seed = 1,
    [string] $Work = (Join-Path $PSScriptRoot '../../runs/mira2/pretrain'),
    [switch] $Resume,
    [switch] $Force
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
if ((Test-Path (Join-Path $BaseModelPath 'model.safetensors')) -and -not $Force) { "Base model exists: $BaseModelPath (use -Force to retrain)"; return }
Set-FedDevice -Name cpu -Threads $Threads | Out-Null
New-Item -ItemType Directory -Force $Work | Out-Null

$train = Import-FedTextTask -Name $TaskNames -Corpus -Split train -ContextLength $ContextLength -TestCount $HeldOut -CorpusCount $CorpusCount -Seed $SplitSeed
$valid = Import-FedTextTask -Name $TaskNames -Corpus -Split test -ContextLength $ContextLength -TestCount $HeldOut -Seed $SplitSeed
$model = New-FedModel -Architecture Gpt -Tokenizer Byte -ContextLength $ContextLength -Layers $Layers -Heads $Heads -Embedding $Embedding -Seed $Seed
$optimizer = New-FedOptimizer AdamW -LearningRate 0.002 -WeightDecay 0.01
$server = $train | Split-FedDataset -Clients 1 -Seed $Seed |
    New-FedClient -Optimizer $optimizer -BatchSize 32 -LocalSteps $StepsPerRound |
    New-FedServer -Strategy FedAvg -Model $model -TestData $valid -Seed $Seed
$checkpoint = Join-Path $Work 'pretrain.safetensors'
if ($Resume -and (Test-Path $checkpoint)) { $null = Restore-FedCheckpoint $server $checkpoint; "Resumed after round $($server.Round)" }

"Corpus: $($train.Count) windows of $ContextLength bytes (train), $($valid.Count) (validation); model $($model.ParameterCount) parameters"
$clock = [Diagnostics.Stopwatch]::StartNew()
$rounds = [math]::Ceiling($Steps / $StepsPerRound)
while ($server.Round -lt $rounds) {
    $r = $server | Invoke-FedRound
    $null = Save-FedCheckpoint $server $checkpoint -Confirm:$false
    '{0,3} train {1:N4} validation {2:N4} ({3:N0} s)' -f $r.Round, $r.TrainLoss, $r.TestLoss, $clock.Elapsed.TotalSeconds | Write-Host
}
$clock.Stop()
Save-FedModel -Server $server -Path $BaseModelPath -Confirm:$false | Out-Null
$last = $server.History[-1]
$summary = [pscustomobject]@{
    Parameters     = $model.ParameterCount
    Layers         = $Layers; Heads = $Heads; Embedding = $Embedding; ContextLength = $ContextLength
    TrainWindows   = $train.Count
    ValidWindows   = $valid.Count
    Steps          = $server.Round * $StepsPerRound
    Seconds        = [math]::Round(($server.History | Measure-Object { $_.Duration.TotalSeconds } -Sum).Sum, 1)
    ValidationLoss = [math]::Round($last.TestLoss, 4)
    Curve          = ($server.History | ForEach-Object { '{0}:{1:N4}' -f ($_.Round * $StepsPerRound), $_.TestLoss }) -join ' '
}
$summary | ConvertTo-Json | Set-Content (Join-Path $Work 'pretrain.json')
$summary
