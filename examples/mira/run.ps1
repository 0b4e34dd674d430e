#Requires -Version 7.4
<#
.SYNOPSIS
    MIRA vs FedIT vs LocalOnly: federated multi-task LoRA fine-tuning of the pretrained byte-level GPT.
.DESCRIPTION
    8 clients, one per task (translation ×3, definition ×2, continuation ×2, classification ×1). Every method
    starts from the same base (pretrain.ps1) with fresh rank-8 LoRA adapters on the attention projections and
    runs the same local budget. After every round each client's own model is measured on its own task's test
    split (local loss); after the last round each client's model is measured on the union of all tasks' test
    splits (global loss). The tasks' split is fixed (common.ps1); the seeds vary adapter initialization and shuffling.
    Writes CSVs under -Out, PNG curves and a markdown table fragment under -Results.
#>
param(
    [int[]] $Seeds = @(1, 2, 3),
    [double[]] $Lambdas = @(0.02, 0.05, 0.1),
    [int] $Rounds = 12,
    [int] $LocalSteps = 5,
    [int] $BatchSize = 16,
    [double] $LearningRate = 0.003,
    [int] $TrainCount = 128,
    [int] $TestCount = 24,
    [int] $Threads = 1,
    # Mira's task graph: Uniform (the default) or TokenSimilarity (cosine of the clients' response-token histograms).
    [ValidateSet('Uniform', 'TokenSimilarity')]
    [string] $Adjacency = 'Uniform',
    # Run only the Mira settings (e.g. for an adjacency comparison against an earlier run's baselines).
    [switch] $MiraOnly,
    [string] $Out = (Join-Path $PSScriptRoot '../../runs/mira'),
    [string] $Results = (Join-Path $PSScriptRoot '../../docs/results')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
if ($TestCount -gt $HeldOut) { throw "TestCount $TestCount exceeds the $HeldOut examples per task that pretraining held out." }
Set-FedDevice -Name cpu -Threads $Threads | Out-Null
New-Item -ItemType Directory -Force $Out, $Results | Out-Null

$graph = if ($Adjacency -eq 'Uniform') { '' } else { ", $Adjacency" }
$methods = @(if (-not $MiraOnly) { @{ Label = 'FedIT'; Strategy = 'FedIT'; Lambda = 0 }, @{ Label = 'LocalOnly'; Strategy = 'LocalOnly'; Lambda = 0 } }) +
    @($Lambdas | ForEach-Object { @{ Label = "Mira(λ=$_$graph)"; Strategy = (New-FedStrategy Mira -Lambda $_ -Adjacency $Adjacency); Lambda = $_ } })
$curves = [Collections.Generic.List[object]]::new()
$finals = [Collections.Generic.List[object]]::new()
$samples = [Collections.Generic.List[object]]::new()
$clock = [Diagnostics.Stopwatch]::StartNew()

foreach ($seed in $Seeds) {
    # The split is fixed (SplitSeed); the run's seed draws the adapters' initialization and the shuffling.
    $tasks = Import-FedTextTask -Name $TaskNames -ContextLength $ContextLength -TrainCount $TrainCount -TestCount $TestCount -Seed $SplitSeed
    $union = [FedPS.Core.Data.FedDataset]::Concat('all-tasks', [FedPS.Core.Data.FedDataset[]] $tasks.Test)
    foreach ($method in $methods) {
        $model = Import-FedModel $BaseModelPath -LoraRank 8 -LoraAlpha 16 -LoraTargets Attention -Seed $seed
        $optimizer = New-FedOptimizer AdamW -LearningRate $LearningRate
        $server = $tasks | Split-FedDataset -ByTask -Seed $seed |
            New-FedClient -Optimizer $optimizer -BatchSize $BatchSize -LocalSteps $LocalSteps |
            New-FedServer -Strategy $method.Strategy -Model $model -Seed $seed
        $bytes = 0
        for ($round = 0; $round -le $Rounds; $round++) {
            if ($round -gt 0) { $bytes += ($server | Invoke-FedRound | ForEach-Object { $_.BytesUp + $_.BytesDown }) }
            foreach ($m in Measure-FedLoss $server -PerClient -Split Test) {
                $curves.Add([pscustomobject]@{ Method = $method.Label; Seed = $seed; Round = $round; Client = $m.ClientId; Task = $m.Data; Loss = $m.Loss })
            }
        }
        $local = @(Measure-FedLoss $server -PerClient -Split Test)
        $global = @(Measure-FedLoss $server -PerClient -Data $union)
        for ($i = 0; $i -lt $local.Count; $i++) {
            $finals.Add([pscustomobject]@{
                Method = $method.Label; Seed = $seed; Client = $local[$i].ClientId; Task = $local[$i].Data
                LocalLoss = $local[$i].Loss; LocalAccuracy = $local[$i].Accuracy; GlobalLoss = $global[$i].Loss; MBCommunicated = $bytes / 1MB
            })
        }
        if ($seed -eq $Seeds[0]) {
            foreach ($task in $tasks) {
                $id = [array]::IndexOf($TaskNames, $task.Name)
                $g = Invoke-FedGenerate -Server $server -ClientId $id -Prompt $task.TestExamples[0].Prompt -MaxTokens 40
                $samples.Add([pscustomobject]@{ Method = $method.Label; Task = $task.Name; Prompt = $g.Prompt.Trim(); Expected = $task.TestExamples[0].Response; Generated = $g.Completion })
            }
        }
        $server.Dispose()
        Write-Host ("seed {0} {1,-14} mean local {2:N4}  global {3:N4}  ({4:N0} s so far)" -f $seed, $method.Label,
            ($local | Measure-Object Loss -Average).Average, ($global | Measure-Object Loss -Average).Average, $clock.Elapsed.TotalSeconds)
    }
}

$curves | Export-Csv (Join-Path $Out 'curves.csv') -NoTypeInformation
$finals | Export-Csv (Join-Path $Out 'final.csv') -NoTypeInformation
$samples | Export-Csv (Join-Path $Out 'samples.csv') -NoTypeInformation
if (-not $MiraOnly) { & (Join-Path $PSScriptRoot 'report.ps1') -Out $Out -Results $Results }
"Total: $([math]::Round($clock.Elapsed.TotalMinutes, 1)) min"
