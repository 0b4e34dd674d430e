#Requires -Version 7.4
<#
.SYNOPSIS
    MIRA vs FedIT, FedIT + local fine-tuning, Ditto and LocalOnly: federated multi-task LoRA fine-tuning of the
    pretrained byte-level GPT, tuned on validation data, early-stopped on validation loss, reported on test data.
.DESCRIPTION
    16 clients, one per task (common.ps1), each with its task's training examples, a validation split carved from the
    training side, and 100 test examples. Every method starts from the same base (pretrain.ps1) with fresh rank-8 LoRA
    adapters on the attention projections and runs the same local budget per round (AdamW, -LocalSteps steps of
    -BatchSize; Ditto's clients also take -LocalSteps personal steps).

    Protocol (nothing here ever looks at a test example before the last step of a run):
    - Every run stops when the mean over clients of each client's validation loss (its own model on its own task's
      validation split) has not improved for -Patience rounds, or after -MaxRounds (-TuneMaxRounds for tuning runs:
      a candidate is judged on what it reaches in that budget); its model is then the one of the
      best validation round (checkpointed), and only that one is measured on test data.
    - Tune phase, seed -TuneSeed: FedIT's learning rate over -FedItLearningRates; LocalOnly's over
      -LocalLearningRates; Mira's λ over -MiraLambdas at LocalOnly's learning rate (Mira's local training is
      LocalOnly's plus the graph step); Ditto's λ over -DittoLambdas at FedIT's learning rate (its global model is
      FedAvg). Each picks the lowest best-round mean validation loss. FedIT + FT fine-tunes at LocalOnly's rate.
    - Final phase, every seed of -Seeds (seeds run in turn, all methods per seed, so an interrupted run leaves
      complete pairs; seed 1 runs again rather than reusing its tuning run): each method at its selected setting; FedIT + FT is FedIT's best-validation adapter merged into
      the base, fresh adapters (B = 0, so it starts exactly at FedIT's model), then LocalOnly rounds with early stopping.
    - Seeds draw the adapters' initialization and the minibatch order; the tasks' splits are fixed (common.ps1).

    Outputs under -Out (runs/, not committed): per run a folder with rounds.csv (per round and client: validation
    loss), checkpoints (last and best), final.csv (test loss, global probe loss) and metrics.csv (exact match, chrF
    from greedy generation on the 100 test examples of the short-answer tasks). -Resume skips finished runs and
    continues unfinished ones from their last checkpoint; without it the runs under -Out start over. report.ps1 turns the
    results into the committed CSVs, tables and figures.
#>
param(
    [ValidateSet('All', 'Tune', 'Final')]
    [string] $Phase = 'All',
    # The tuning phase is two independent chains: Shared (FedIT's rate, then Ditto's λ at it) and Personal (LocalOnly's
    # rate, then Mira's λ at it). On two cores, run `-Phase Tune -TuneChain Shared` and `-TuneChain Personal` at once;
    # a chain alone only runs (or reads back) its own runs and selects nothing. Both reads every finished run back.
    [ValidateSet('Both', 'Shared', 'Personal')]
    [string] $TuneChain = 'Both',
    [int[]] $Seeds = @(1, 2, 3, 4, 5),
    [int] $TuneSeed = 1,
    [int] $MaxRounds = 50,
    [int] $TuneMaxRounds = 25,
    [int] $Patience = 3,
    [int] $FineTuneRounds = 15,
    [int] $LocalSteps = 5,
    [int] $BatchSize = 16,
    [int] $TrainCount = 200,
    [double[]] $FedItLearningRates = @(0.001, 0.003, 0.01, 0.03),
    [double[]] $LocalLearningRates = @(0.001, 0.003, 0.01),
    [double[]] $MiraLambdas = @(0.0017, 0.005, 0.015, 0.045),
    [double[]] $DittoLambdas = @(0.1, 1.0),
    # Test examples per task in the global (all-task) probe: each client's model on the union of these.
    [int] $GlobalProbe = 20,
    [int] $Threads = 1,
    # Task names (default: common.ps1's 16).
    [string[]] $TaskList,
    [string] $Out = (Join-Path $PSScriptRoot '../../runs/mira2'),
    # A selection from an earlier tuning (report.ps1 commits it as docs/results/mira/selected.json): with -Phase Final
    # and no selected.json under -Out yet, the final runs use it instead of tuning again.
    [string] $Selection,
    [switch] $Resume,
    # A few rounds, one seed, a tiny fresh GPT instead of the pretrained base, few examples: the test suite's smoke run.
    [switch] $Smoke
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
if ($Smoke) {
    if (-not $PSBoundParameters.ContainsKey('Seeds')) { $Seeds = @($TuneSeed) }
    $Patience = 1
    if (-not $PSBoundParameters.ContainsKey('MaxRounds')) { $MaxRounds = 2 }
    if (-not $PSBoundParameters.ContainsKey('TuneMaxRounds')) { $TuneMaxRounds = $MaxRounds }
    $FineTuneRounds = 1; $LocalSteps = 2; $BatchSize = 4
    $TrainCount = 8; $TestCount = 4; $ValidationCount = 4; $GlobalProbe = 2; $ContextLength = 64
    $FedItLearningRates = @(0.01); $LocalLearningRates = @(0.01); $MiraLambdas = @(0.05); $DittoLambdas = @(0.5)
}
if (-not $TaskList) { $TaskList = $TaskNames }
Set-FedDevice -Name cpu -Threads $Threads | Out-Null
# Without -Resume everything starts over; with it, finished runs are read back and unfinished ones continue.
if (-not $Resume) { Remove-Item (Join-Path $Out 'runs'), (Join-Path $Out 'selected.json') -Recurse -Force -ErrorAction SilentlyContinue }
New-Item -ItemType Directory -Force $Out | Out-Null
$clock = [Diagnostics.Stopwatch]::StartNew()

# Short answers are scored by greedy generation (exact match, chrF); definitions and continuations by loss only.
$MaxTokens = @{ Translation = 24; Classification = 12; Synonym = 16; Naming = 16 }
$tasks = @(Import-FedTextTask -Name $TaskList -ContextLength $ContextLength -TrainCount $TrainCount -TestCount $TestCount -ValidationCount $ValidationCount -Seed $SplitSeed)
$probe = [FedPS.Core.Data.FedDataset]::Concat('global-probe',
    [FedPS.Core.Data.FedDataset[]] @($tasks | ForEach-Object { $_.Test.Subset([int[]] @(0..([math]::Min($GlobalProbe, $_.Test.Count) - 1)), "$($_.Name)[probe]") }))

function New-Model([int] $Seed, [string] $From) {
    if ($Smoke -and -not $From) {
        return New-FedModel -Architecture Gpt -Tokenizer Byte -ContextLength $ContextLength -Layers 1 -Heads 2 -Embedding 32 -LoraRank 4 -LoraTargets Attention -Seed $Seed
    }
    Import-FedModel ($From ? $From : $BaseModelPath) -LoraRank 8 -LoraAlpha 16 -LoraTargets Attention -Seed $Seed
}

function New-Server($Run) {
    $optimizer = New-FedOptimizer AdamW -LearningRate $Run.LearningRate
    $tasks | Split-FedDataset -ByTask -Seed $Run.Seed |
        New-FedClient -Optimizer $optimizer -BatchSize $BatchSize -LocalSteps $LocalSteps |
        New-FedServer -Strategy $Run.Strategy -Model (New-Model $Run.Seed $Run.From) -Seed $Run.Seed
}

# Each client's own model on its own task's validation split.
function Measure-Validation($Server) {
    for ($k = 0; $k -lt $tasks.Count; $k++) { $Server.MeasureClients([int[]] @($k), $tasks[$k].Validation)[0].Loss }
}

# Tuning and final runs live apart (runs/tune, runs/final): a final run never reuses a tuning run, so seed 1's final
# numbers come from the same code as every other seed's even if the engine changed between the phases.
function Get-RunFolder($Run) { Join-Path $Out ('runs/{0}/{1}/seed{2}' -f $Run.Stage, $Run.Key, $Run.Seed) }

# Trains one run to its best validation round (resuming from its last checkpoint with -Resume) and returns its
# summary; finished runs are read back.
function Invoke-Run($Run) {
    $dir = Get-RunFolder $Run
    $summaryPath = Join-Path $dir 'summary.json'
    if (Test-Path $summaryPath) { return Get-Content $summaryPath | ConvertFrom-Json }
    New-Item -ItemType Directory -Force $dir | Out-Null
    $roundsPath = Join-Path $dir 'rounds.csv'; $last = Join-Path $dir 'last.safetensors'; $best = Join-Path $dir 'best.safetensors'
    $server = New-Server $Run
    try {
        $rows = [Collections.Generic.List[object]]::new()
        if ((Test-Path $last) -and (Test-Path $roundsPath)) {
            $null = Restore-FedCheckpoint $server $last
            Import-Csv $roundsPath | Where-Object { [int]$_.Round -le $server.Round } | ForEach-Object { $rows.Add($_) }
            Write-Host "  $($Run.Key) seed $($Run.Seed): resumed after round $($server.Round)"
        }
        $record = {
            param($round, $trainLoss, $mb)
            $losses = @(Measure-Validation $server)
            for ($k = 0; $k -lt $tasks.Count; $k++) {
                $rows.Add([pscustomobject]@{ Method = $Run.Method; Setting = $Run.Setting; Seed = $Run.Seed; Round = $round; Client = $k; Task = $tasks[$k].Name
                    ValidationLoss = [math]::Round($losses[$k], 5); TrainLoss = [math]::Round($trainLoss, 5); MB = [math]::Round($mb, 4) })
            }
            ($losses | Measure-Object -Average).Average
        }
        if ($rows.Count -eq 0) {
            $mean = & $record 0 ([double]::NaN) 0
            $null = Save-FedCheckpoint $server $best -Confirm:$false
            $null = Save-FedCheckpoint $server $last -Confirm:$false
            $rows | Export-Csv $roundsPath -NoTypeInformation
        }
        $curve = $rows | Group-Object { [int]$_.Round } | ForEach-Object { [pscustomobject]@{ Round = [int]$_.Name; Mean = ($_.Group | Measure-Object { [double]$_.ValidationLoss } -Average).Average } } | Sort-Object Round
        $bestRow = $curve | Sort-Object Mean, Round | Select-Object -First 1
        $bestRound = $bestRow.Round; $bestMean = $bestRow.Mean
        while ($server.Round -lt $Run.MaxRounds -and ($server.Round - $bestRound) -lt $Patience) {
            $result = $server | Invoke-FedRound
            $mb = ($server.History | Measure-Object { $_.BytesUp + $_.BytesDown } -Sum).Sum / 1MB
            $mean = & $record $server.Round $result.TrainLoss $mb
            if ($mean -lt $bestMean) { $bestMean = $mean; $bestRound = $server.Round; $null = Save-FedCheckpoint $server $best -Confirm:$false }
            $null = Save-FedCheckpoint $server $last -Confirm:$false
            $rows | Export-Csv $roundsPath -NoTypeInformation
            Write-Host ('  {0} seed {1} round {2,2}: validation {3:N4} (best {4:N4} at {5}) [{6:N0} s]' -f $Run.Key, $Run.Seed, $server.Round, $mean, $bestMean, $bestRound, $clock.Elapsed.TotalSeconds)
        }
        $summary = [pscustomobject]@{
            Key = $Run.Key; Method = $Run.Method; Setting = $Run.Setting; Seed = $Run.Seed; LearningRate = $Run.LearningRate
            BestRound = $bestRound; RoundsRun = $server.Round; ValidationLoss = $bestMean
            MBToBest = ($server.History | Select-Object -First $bestRound | Measure-Object { $_.BytesUp + $_.BytesDown } -Sum).Sum / 1MB
        }
        $summary | ConvertTo-Json | Set-Content $summaryPath
        $summary
    }
    finally { $server.Dispose() }
}

# Test loss, global probe loss and task metrics of a finished run at its best validation round (computed once).
function Measure-Run($Run) {
    $dir = Get-RunFolder $Run
    $finalPath = Join-Path $dir 'final.csv'
    if (Test-Path $finalPath) { return Import-Csv $finalPath }
    $summary = Invoke-Run $Run
    $server = New-Server $Run
    try {
        $null = Restore-FedCheckpoint $server (Join-Path $dir 'best.safetensors')
        $test = @(Measure-FedLoss $server -PerClient -Split Test)
        $global = @(Measure-FedLoss $server -PerClient -Data $probe)
        $samples = [Collections.Generic.List[object]]::new()
        $rows = for ($k = 0; $k -lt $tasks.Count; $k++) {
            $task = $tasks[$k]
            $score = if ($MaxTokens.ContainsKey("$($task.Kind)")) { $task | Measure-FedTextTask $server -ClientId $k -MaxTokens $MaxTokens["$($task.Kind)"] }
            if ($score) { $score.Predictions | Select-Object -First 3 | ForEach-Object { $samples.Add([pscustomobject]@{ Method = $Run.Method; Seed = $Run.Seed; Task = $task.Name; Prompt = $_.Prompt.Trim(); Expected = $_.Expected; Generated = $_.Generated }) } }
            [pscustomobject]@{
                Method = $Run.Method; Setting = $Run.Setting; Seed = $Run.Seed; LearningRate = $Run.LearningRate; Client = $k; Task = $task.Name; Kind = "$($task.Kind)"
                BestRound = $summary.BestRound; RoundsRun = $summary.RoundsRun; MBToBest = [math]::Round($summary.MBToBest + $Run.MBBefore, 4)
                ValidationLoss = [math]::Round($server.MeasureClients([int[]] @($k), $task.Validation)[0].Loss, 5)
                TestLoss = [math]::Round($test[$k].Loss, 5); GlobalLoss = [math]::Round($global[$k].Loss, 5)
                ExactMatch = $score ? [math]::Round($score.ExactMatch, 4) : ''; ChrF = $score ? [math]::Round($score.ChrF, 4) : ''
            }
        }
        $samples | Export-Csv (Join-Path $dir 'samples.csv') -NoTypeInformation
        $rows | Export-Csv $finalPath -NoTypeInformation
        $rows
    }
    finally { $server.Dispose() }
}

function New-Run([string] $Method, [string] $Setting, $Strategy, [double] $LearningRate, [int] $Seed, [int] $Rounds = $MaxRounds) {
    $key = ('{0}-{1}' -f $Method, $Setting) -replace '[^\w.=+,-]', '_'
    @{ Method = $Method; Setting = $Setting; Strategy = $Strategy; LearningRate = $LearningRate; Seed = $Seed; Key = $key; MaxRounds = $Rounds; From = $null; MBBefore = 0; Stage = 'final' }
}

function New-TuningRun { $run = New-Run @args; $run.Stage = 'tune'; $run.MaxRounds = $TuneMaxRounds; $run }

function Format-Rate([double] $Rate) { 'lr={0}' -f $Rate.ToString([Globalization.CultureInfo]::InvariantCulture) }

# The candidate runs of each method, and the one the tuning phase selects (lowest best-round mean validation loss).
function Select-Best($Runs) {
    $Runs | ForEach-Object { [pscustomobject]@{ Run = $_; Summary = (Invoke-Run $_) } } | Sort-Object { $_.Summary.ValidationLoss } | Select-Object -First 1
}

$selectedPath = Join-Path $Out 'selected.json'
if ($Selection -and $Phase -eq 'Final' -and -not (Test-Path $selectedPath)) { Copy-Item -LiteralPath $Selection $selectedPath }
if ($Phase -in 'All', 'Tune' -or -not (Test-Path $selectedPath)) {
    Write-Host "Tuning on validation data, seed $TuneSeed"
    if ($TuneChain -in 'Both', 'Shared') {
        $fedIt = Select-Best ($FedItLearningRates | ForEach-Object { New-TuningRun FedIT (Format-Rate $_) 'FedIT' $_ $TuneSeed })
        $fedItRate = $fedIt.Run.LearningRate
        $ditto = Select-Best ($DittoLambdas | ForEach-Object { New-TuningRun Ditto ('λ={0},{1}' -f $_, (Format-Rate $fedItRate)) (New-FedStrategy Ditto -Lambda $_ -PersonalSteps $LocalSteps) $fedItRate $TuneSeed })
    }
    if ($TuneChain -in 'Both', 'Personal') {
        $localOnly = Select-Best ($LocalLearningRates | ForEach-Object { New-TuningRun LocalOnly (Format-Rate $_) 'LocalOnly' $_ $TuneSeed })
        $localRate = $localOnly.Run.LearningRate
        $mira = Select-Best ($MiraLambdas | ForEach-Object { New-TuningRun Mira ('λ={0},{1}' -f $_, (Format-Rate $localRate)) (New-FedStrategy Mira -Lambda $_) $localRate $TuneSeed })
    }
    if ($TuneChain -ne 'Both') {
        "Tuning chain $TuneChain done: $([math]::Round($clock.Elapsed.TotalMinutes, 1)) min"
        return
    }
    $selected = [ordered]@{
        FedIT = @{ LearningRate = $fedItRate }
        LocalOnly = @{ LearningRate = $localRate }
        Mira = @{ LearningRate = $localRate; Lambda = [double]$mira.Run.Strategy.Options.Lambda }
        Ditto = @{ LearningRate = $fedItRate; Lambda = [double]$ditto.Run.Strategy.Options.Lambda }
        FineTune = @{ LearningRate = $localRate }
    }
    $selected | ConvertTo-Json | Set-Content $selectedPath
    # Every candidate's validation result, for the report.
    Get-ChildItem (Join-Path $Out 'runs/tune') -Recurse -Filter summary.json | ForEach-Object { Get-Content $_ | ConvertFrom-Json } |
        Where-Object Seed -eq $TuneSeed | Export-Csv (Join-Path $Out 'tuning.csv') -NoTypeInformation
}
$selected = Get-Content $selectedPath | ConvertFrom-Json

if ($Phase -in 'All', 'Final') {
    $finals = [Collections.Generic.List[object]]::new()
    foreach ($seed in $Seeds) {
        Write-Host "Final runs, seed $seed"
        $fedItRun = New-Run FedIT (Format-Rate $selected.FedIT.LearningRate) 'FedIT' $selected.FedIT.LearningRate $seed
        $runs = @(
            $fedItRun
            New-Run LocalOnly (Format-Rate $selected.LocalOnly.LearningRate) 'LocalOnly' $selected.LocalOnly.LearningRate $seed
            New-Run Mira ('λ={0},{1}' -f $selected.Mira.Lambda, (Format-Rate $selected.Mira.LearningRate)) (New-FedStrategy Mira -Lambda $selected.Mira.Lambda) $selected.Mira.LearningRate $seed
            New-Run Ditto ('λ={0},{1}' -f $selected.Ditto.Lambda, (Format-Rate $selected.Ditto.LearningRate)) (New-FedStrategy Ditto -Lambda $selected.Ditto.Lambda -PersonalSteps $LocalSteps) $selected.Ditto.LearningRate $seed
        )
        foreach ($run in $runs) { Measure-Run $run | ForEach-Object { $finals.Add($_) } }

        # FedIT + FT: FedIT's best adapter merged into the base, then local-only fine-tuning with fresh adapters.
        $fedItSummary = Invoke-Run $fedItRun
        $merged = Join-Path (Get-RunFolder $fedItRun) 'merged'
        $fineTune = New-Run 'FedIT+FT' ('{0},ft {1}' -f $fedItRun.Setting, (Format-Rate $selected.FineTune.LearningRate)) 'LocalOnly' $selected.FineTune.LearningRate $seed $FineTuneRounds
        $fineTune.From = $merged; $fineTune.MBBefore = $fedItSummary.MBToBest
        # A finished fine-tuning run (say, restored from the committed results without checkpoints) needs no merge.
        $fineTuneDone = Test-Path (Join-Path (Get-RunFolder $fineTune) 'final.csv')
        if (-not $fineTuneDone -and -not (Test-Path (Join-Path $merged 'model.safetensors'))) {
            $server = New-Server $fedItRun
            try {
                $null = Restore-FedCheckpoint $server (Join-Path (Get-RunFolder $fedItRun) 'best.safetensors')
                Save-FedModel -Server $server -Path $merged -Confirm:$false | Out-Null
            }
            finally { $server.Dispose() }
        }
        Measure-Run $fineTune | ForEach-Object { $finals.Add($_) }
    }
    # final.csv holds every seed run so far: seeds run by separate invocations (one per core) add up instead of
    # overwriting each other.
    $finalPath = Join-Path $Out 'final.csv'
    $earlier = if (Test-Path $finalPath) { @(Import-Csv $finalPath | Where-Object { [int]$_.Seed -notin $Seeds }) } else { @() }
    @($earlier) + @($finals) | Sort-Object { [int]$_.Seed } -Stable | Export-Csv $finalPath -NoTypeInformation
}
"Total: $([math]::Round($clock.Elapsed.TotalMinutes, 1)) min"
