#Requires -Version 7.4
<#
.SYNOPSIS
    The Fed-Sophia reproduction (issue 13): Fed-Sophia vs FedAvg(SGD), FedAvg(Adam), FedProx, FedAdam and DONE on
    MNIST and Fashion-MNIST, every method tuned on a validation split carved from the training data and reported on
    the full test set.

.DESCRIPTION
    Every run: 10 clients, 20 local steps of batch 32 per sampled client per round (DONE: a gradient over the
    client's whole shard, then R Richardson iterations on one fixed Hessian minibatch). The validation split is a
    seeded, class-stratified 10 % of the training split (seed 0); the clients train on the other 90 % in every phase.
    Tune     MLP, each of IID / Dirichlet(0.3) / 2-shard x MNIST / Fashion-MNIST: each method's staged grid (see
             FedSophiaComparison.psm1) with seeds 101 and 102 (DONE: 101), 30 rounds, scored on the validation split
             (mean accuracy of rounds 26-30, averaged over the seeds). Writes tune-<dataset>.csv, tuning.csv and
             winners.csv.
    Final    MLP, every cell: each method at its winning setting, seeds 1-5, 50 rounds, on the full test set.
    CnnTune  CNN, Dirichlet(0.3), 3 of 10 clients per round: each method's main knob at its MLP Dirichlet(0.3) winner
             and the next lower grid value, seed 101, 15 rounds, scored on validation (rounds 13-15).
    Cnn      CNN, the CnnTune winners, seeds 1-3, 50 rounds, evaluated on the full test set every 10 rounds and in
             each of the last 5 (an evaluation of the CNN on 10,000 images costs about as much as three rounds here).
    CnnRho   An ablation beside the comparison (the finals keep the CnnTune winners): Fed-Sophia on the CNN at its
             CnnTune learning rate with each ρ of its MLP grid, seed 101, 15 rounds, scored on validation, into
             cnn-tune.csv (the CNN tuning varies only each method's main knob).
    With -Resume every phase keeps the runs already in its CSV files and runs only the missing ones (tuning
    decisions are recomputed from the stored rows, so they come out the same); without it the phase starts afresh.
    report.ps1 turns the CSV files into docs/results/fed-sophia.md and its figures. -Smoke runs every phase on the
    small digits data with tiny grids, a few rounds and one seed (the test suite's check that the pipeline works).
.EXAMPLE
    dotnet pwsh -NoProfile -File examples/fed-sophia/Invoke-FedSophiaComparison.ps1 -Phase All -Resume
#>
[CmdletBinding()]
param(
    [ValidateSet('Tune', 'Final', 'CnnTune', 'Cnn', 'CnnRho', 'Report', 'All')]
    [string[]] $Phase = 'All',
    # Where the per-round CSV files go (committed: the tables and figures are made from them).
    [string] $Output = (Join-Path $PSScriptRoot '../../docs/results/fed-sophia/data'),
    # Where report.ps1 writes fed-sophia.md and the figures.
    [string] $ReportOutput = (Join-Path $PSScriptRoot '../../docs/results'),
    [string[]] $Dataset = @('mnist', 'fashion-mnist'),
    [string[]] $Split = @('iid', 'dirichlet0.3', 'shards2'),
    [string[]] $Method = @('FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'FedSophia', 'DONE'),
    [int[]] $TuneSeeds = @(101, 102),
    # DONE's tuning runs cost about ten FedAvg runs each (a full-shard gradient every round), so it tunes on one seed.
    [int[]] $DoneTuneSeeds = @(101),
    [int[]] $Seeds = @(1, 2, 3, 4, 5),
    [int[]] $CnnSeeds = @(1, 2, 3),
    [int] $TuneRounds = 30,
    [int] $Rounds = 50,
    [int] $CnnTuneRounds = 15,
    [int] $CnnRounds = 50,
    [switch] $Resume,
    [switch] $Smoke
)

$ErrorActionPreference = 'Stop'
# "a,b" from pwsh -File arrives as one string.
$Dataset = $Dataset -split ','; $Split = $Split -split ','; $Method = $Method -split ','
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1') }
Import-Module (Join-Path $PSScriptRoot 'FedSophiaComparison.psm1') -Force
Set-FedDevice -Name cpu -Threads 1 | Out-Null
$phases = if ($Phase -contains 'All') { @('Tune', 'Final', 'CnnTune', 'Cnn', 'CnnRho', 'Report') } else { $Phase }

# The run settings shared by every run of a phase; -Smoke shrinks them to seconds on the digits data.
$common = @{ Clients = 10; LocalSteps = 20; BatchSize = 32; ValidationFraction = 0.1; ValidationSeed = 0 }
$cnnCommon = $common + @{ Architecture = 'Cnn'; SampleFraction = 0.3; DoneOptions = @{ GradientSamples = 1280; HessianSamples = 128 } }
$mlpDone = @{ HessianSamples = 128 } # full-shard gradients (GradientSamples defaults to the whole shard)
$maxValues = [int]::MaxValue
if ($Smoke) {
    $Dataset = @('digits'); $TuneSeeds = @(101); $DoneTuneSeeds = @(101); $Seeds = @(1); $CnnSeeds = @(1)
    $TuneRounds = 6; $Rounds = 6; $CnnTuneRounds = 3; $CnnRounds = 5
    $common = @{ Clients = 3; LocalSteps = 2; BatchSize = 16; ValidationFraction = 0.2; ValidationSeed = 0 }
    $cnnCommon = $common + @{ Architecture = 'Cnn'; SampleFraction = 0.67; DoneOptions = @{ GradientSamples = 64; HessianSamples = 16 } }
    $mlpDone = @{ HessianSamples = 16 }
    $maxValues = 2
}
New-Item -ItemType Directory -Force -Path $Output | Out-Null
# Per-round rows of the MLP phases go to one file per dataset (each stays well under a megabyte).
$files = @{
    Tuning = Join-Path $Output 'tuning.csv'; Winners = Join-Path $Output 'winners.csv'
    CnnTune = Join-Path $Output 'cnn-tune.csv'; CnnWinners = Join-Path $Output 'cnn-winners.csv'
    Cnn = Join-Path $Output 'cnn.csv'; Log = Join-Path $Output 'phases.csv'
}
function Get-RowsFile([string] $Name, [string] $Ds) { Join-Path $Output "$Name-$Ds.csv" }
$methods = Get-ComparisonMethod
$tuneOrder = @('FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'FedSophia', 'DONE') | Where-Object { $_ -in $Method }

function Write-Rows([object[]] $Rows, [string] $Path) {
    if ($Rows.Count -gt 0) { $Rows | Export-Csv -Path $Path -Append -NoTypeInformation -UseQuotes AsNeeded }
}

$script:stores = @{}
function Read-Store([string] $Path) {
    # The stored rows of a file by run (dataset|architecture|split|method|setting|seed), read once.
    if ($script:stores.ContainsKey($Path)) { return $script:stores[$Path] }
    $store = @{}
    $script:stores[$Path] = $store
    if (Test-Path $Path) {
        foreach ($row in (Import-Csv $Path)) {
            $key = '{0}|{1}|{2}|{3}|{4}|{5}' -f $row.Dataset, $row.Architecture, $row.Split, $row.Method, $row.Setting, $row.Seed
            if (-not $store.ContainsKey($key)) { $store[$key] = [System.Collections.Generic.List[object]]::new() }
            $store[$key].Add($row)
        }
    }
    $store
}

function Start-Phase([string] $Name, [string[]] $Paths) {
    if (-not $Resume -and $Paths) { Remove-Item $Paths -ErrorAction SilentlyContinue }
    Write-Host "==> $Name"
    $script:cpuAtStart = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    [Diagnostics.Stopwatch]::StartNew()
}

function Stop-Phase([string] $Name, [Diagnostics.Stopwatch] $Clock, [int] $Ran) {
    # Wall and CPU time of every invocation of a phase (a resumed phase adds a row), for the report.
    $cpu = ([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $script:cpuAtStart).TotalSeconds
    Write-Rows @([pscustomobject]@{ Phase = $Name; Runs = $Ran; Seconds = [math]::Round($Clock.Elapsed.TotalSeconds); CpuSeconds = [math]::Round($cpu); FinishedUtc = [datetime]::UtcNow.ToString('o') }) $files.Log
    Write-Host ('{0}: {1} runs in {2:N0} s ({3:N0} s of CPU)' -f $Name, $Ran, $Clock.Elapsed.TotalSeconds, $cpu)
}

$script:ran = 0
function Get-Run {
    <# The rows of one run: from its file, or run now and appended to it. #>
    param([string] $Path, [hashtable] $Run)
    $Store = Read-Store $Path
    $settingText = ConvertTo-SettingText $Run.Method $Run.Setting
    $key = '{0}|{1}|{2}|{3}|{4}|{5}' -f $Run.Dataset, ($Run.Architecture ?? 'Mlp'), $Run.Split, $Run.Method, $settingText, $Run.Seed
    if (-not $Store.ContainsKey($key)) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $rows = @(Invoke-ComparisonRun @Run)
        Write-Rows $rows $Path
        $Store[$key] = [System.Collections.Generic.List[object]]::new([object[]]$rows)
        $script:ran++
        Write-Host ('  {0} {1} {2} {3} [{4}] seed {5}: {6} {7:P2} ({8:N0} s)' -f $Run.Dataset, $Run.Architecture, $Run.Split, $Run.Method, $settingText,
            $Run.Seed, $Run.Evaluate, [double]$rows[-1].EvalAccuracy, $clock.Elapsed.TotalSeconds)
    }
    $Store[$key]
}

function Get-Setting([string] $Path, [string] $Ds, [string] $Arch, [string] $Sp, [string] $M) {
    $row = Import-Csv $Path | Where-Object { $_.Dataset -eq $Ds -and $_.Architecture -eq $Arch -and $_.Split -eq $Sp -and $_.Method -eq $M } | Select-Object -First 1
    if (-not $row) { throw "No winning setting for $M on $Ds $Arch $Sp in $Path; run the tuning phase first." }
    ConvertFrom-SettingText $M $row.Setting
}

function Merge-Csv([object[]] $Rows, [string] $Path, [string[]] $Key) {
    # Replaces the rows of $Path that share a key with one of $Rows (winners of a re-run tuning).
    $keyOf = { param($r) ($Key | ForEach-Object { $r.$_ }) -join '|' }
    $new = @{}; foreach ($r in $Rows) { $new[(& $keyOf $r)] = $true }
    $kept = if (Test-Path $Path) { @(Import-Csv $Path | Where-Object { -not $new.ContainsKey((& $keyOf $_)) }) } else { @() }
    @($kept) + @($Rows) | Export-Csv -Path $Path -NoTypeInformation -UseQuotes AsNeeded
}

if ('Tune' -in $phases) {
    $clock = Start-Phase 'Tune' (@($files.Tuning, $files.Winners) + @($Dataset | ForEach-Object { Get-RowsFile 'tune' $_ }))
    $script:ran = 0
    $winners = @{}
    $trace = [System.Collections.Generic.List[object]]::new()
    foreach ($m in $tuneOrder) {
        foreach ($ds in $Dataset) {
            foreach ($sp in $Split) {
                $cell = "$ds|Mlp|$sp"
                $best = [ordered]@{} + $methods[$m].Defaults
                $score = $null
                foreach ($stage in $methods[$m].Stages) {
                    if ($stage.Contains('From')) {
                        $from = if ($winners.ContainsKey("$cell|$($stage.From)")) { $winners["$cell|$($stage.From)"].Setting } else { Get-Setting $files.Winners $ds 'Mlp' $sp $stage.From }
                        $best[$stage.Knob] = $from[$stage.Knob]
                        continue
                    }
                    $values = [System.Collections.Generic.List[object]]::new([object[]]@($stage.Values | Select-Object -First $maxValues))
                    $scores = [ordered]@{}
                    for ($extended = 0; ; $extended++) {
                        foreach ($value in $values) {
                            if ($scores.Contains("$value")) { continue }
                            $setting = [ordered]@{} + $best
                            $setting[$stage.Knob] = $value
                            $perSeed = foreach ($seed in $(if ($m -eq 'DONE') { $DoneTuneSeeds } else { $TuneSeeds })) {
                                $run = $common + @{ Phase = 'tune'; Dataset = $ds; Split = $sp; Method = $m; Setting = $setting; Seed = $seed; Rounds = $TuneRounds; Evaluate = 'validation'; EvalEvery = 5; DoneOptions = $mlpDone }
                                Get-RunScore -Rows (Get-Run (Get-RowsFile 'tune' $ds) $run) -Rounds $TuneRounds
                            }
                            $scores["$value"] = [pscustomobject]@{ Value = $value; Score = ($perSeed | Measure-Object -Average).Average; Setting = ConvertTo-SettingText $m $setting }
                        }
                        # The best value; ties go to the one listed first.
                        $top = $scores.Values | Sort-Object { - $_.Score } -Stable | Select-Object -First 1
                        if (-not $stage.Contains('Extend') -or $Smoke -or $extended -ge 2) { break }
                        $numeric = @($values | Sort-Object { [double]$_ })
                        $at = [array]::IndexOf($numeric, $top.Value)
                        if ($at -gt 0 -and $at -lt $numeric.Count - 1) { break }
                        $next = if ($at -eq 0) { [double]$numeric[0] * [double]$numeric[0] / [double]$numeric[1] } else { [double]$numeric[-1] * [double]$numeric[-1] / [double]$numeric[-2] }
                        $values.Add([math]::Round($next, 6))
                    }
                    foreach ($s in $scores.Values) {
                        $trace.Add([pscustomobject]@{ Dataset = $ds; Architecture = 'Mlp'; Split = $sp; Method = $m; Knob = $stage.Knob; Value = $s.Value; Setting = $s.Setting; Score = [math]::Round($s.Score, 5); Chosen = [int]($s -eq $top) })
                    }
                    $best[$stage.Knob] = $top.Value
                    $score = $top.Score
                }
                if ($null -eq $score) { throw "$m has no tuned knob." }
                $winners["$cell|$m"] = @{ Setting = $best; Score = $score }
                Write-Host ('{0} {1} {2}: winner [{3}] validation {4:P2}' -f $ds, $sp, $m, (ConvertTo-SettingText $m $best), $score)
            }
        }
    }
    $winnerRows = foreach ($entry in $winners.GetEnumerator()) {
        $ds, $arch, $sp, $m = $entry.Key -split '\|'
        [pscustomobject]@{ Dataset = $ds; Architecture = $arch; Split = $sp; Method = $m; Setting = ConvertTo-SettingText $m $entry.Value.Setting; Score = [math]::Round($entry.Value.Score, 5) }
    }
    Merge-Csv @($winnerRows) $files.Winners @('Dataset', 'Architecture', 'Split', 'Method')
    Merge-Csv @($trace) $files.Tuning @('Dataset', 'Architecture', 'Split', 'Method', 'Knob', 'Value')
    Stop-Phase 'Tune' $clock $script:ran
}

if ('Final' -in $phases) {
    $clock = Start-Phase 'Final' @($Dataset | ForEach-Object { Get-RowsFile 'final' $_ })
    $script:ran = 0
    foreach ($ds in $Dataset) {
        foreach ($sp in $Split) {
            foreach ($m in $tuneOrder) {
                $setting = Get-Setting $files.Winners $ds 'Mlp' $sp $m
                foreach ($seed in $Seeds) {
                    $null = Get-Run (Get-RowsFile 'final' $ds) ($common + @{ Phase = 'final'; Dataset = $ds; Split = $sp; Method = $m; Setting = $setting; Seed = $seed; Rounds = $Rounds; Evaluate = 'test'; DoneOptions = $mlpDone })
                }
            }
        }
    }
    Stop-Phase 'Final' $clock $script:ran
}

# The knob CnnTune varies per method, and the grid its neighbours come from.
$mainKnob = @{ 'FedAvg-SGD' = 'Lr'; 'FedAvg-Adam' = 'Lr'; 'FedProx' = 'Lr'; 'FedAdam' = 'ServerLr'; 'FedSophia' = 'Lr'; 'DONE' = 'Alpha' }

if ('CnnTune' -in $phases) {
    $clock = Start-Phase 'CnnTune' @($files.CnnTune, $files.CnnWinners)
    $script:ran = 0
    $rows = foreach ($ds in $Dataset) {
        $cnnWinners = @{}
        foreach ($m in $tuneOrder) {
            $base = Get-Setting $files.Winners $ds 'Mlp' 'dirichlet0.3' $m
            if ($m -eq 'FedAdam') { $base.Lr = $cnnWinners['FedAvg-SGD'].Lr } # its clients' SGD rate follows FedAvg-SGD's
            $knob = $mainKnob[$m]
            $owner = if ($m -eq 'FedProx') { 'FedAvg-SGD' } else { $m } # FedProx's learning rates are FedAvg-SGD's grid
            $grid = @(($methods[$owner].Stages | Where-Object { $_.Knob -eq $knob -and $_.Contains('Values') }).Values | Sort-Object)
            $lower = @($grid | Where-Object { $_ -lt $base[$knob] })
            $candidates = @($base[$knob]) + @(if ($Smoke) { } elseif ($lower.Count -gt 0) { $lower[-1] } else { $base[$knob] / 3 })
            $scored = foreach ($value in $candidates) {
                $setting = [ordered]@{} + $base
                $setting[$knob] = $value
                $run = $cnnCommon + @{ Phase = 'cnn-tune'; Dataset = $ds; Split = 'dirichlet0.3'; Method = $m; Setting = $setting; Seed = $TuneSeeds[0]; Rounds = $CnnTuneRounds; Evaluate = 'validation'; EvalEvery = $CnnTuneRounds }
                [pscustomobject]@{ Setting = $setting; Score = Get-RunScore -Rows (Get-Run $files.CnnTune $run) -Rounds $CnnTuneRounds -Last 3 }
            }
            $top = $scored | Sort-Object { - $_.Score } -Stable | Select-Object -First 1
            $cnnWinners[$m] = $top.Setting
            [pscustomobject]@{ Dataset = $ds; Architecture = 'Cnn'; Split = 'dirichlet0.3'; Method = $m; Setting = ConvertTo-SettingText $m $top.Setting; Score = [math]::Round($top.Score, 5) }
        }
    }
    Merge-Csv @($rows) $files.CnnWinners @('Dataset', 'Architecture', 'Split', 'Method')
    Stop-Phase 'CnnTune' $clock $script:ran
}

if ('Cnn' -in $phases) {
    $clock = Start-Phase 'Cnn' @($files.Cnn)
    $script:ran = 0
    foreach ($seed in $CnnSeeds) {
        foreach ($ds in $Dataset) {
            foreach ($m in $tuneOrder) {
                $setting = Get-Setting $files.CnnWinners $ds 'Cnn' 'dirichlet0.3' $m
                $null = Get-Run $files.Cnn ($cnnCommon + @{ Phase = 'cnn'; Dataset = $ds; Split = 'dirichlet0.3'; Method = $m; Setting = $setting; Seed = $seed; Rounds = $CnnRounds; Evaluate = 'test'; EvalEvery = 10 })
            }
        }
    }
    Stop-Phase 'Cnn' $clock $script:ran
}

if ('CnnRho' -in $phases) {
    # The runs whose ρ is the winner's are CnnTune's own (same key, same file), so only the other ρ values run.
    $clock = Start-Phase 'CnnRho' @()
    $script:ran = 0
    foreach ($ds in $Dataset) {
        $base = Get-Setting $files.CnnWinners $ds 'Cnn' 'dirichlet0.3' 'FedSophia'
        foreach ($rho in @(($methods['FedSophia'].Stages | Where-Object { $_.Knob -eq 'Rho' }).Values | Select-Object -First $maxValues)) {
            $setting = [ordered]@{} + $base
            $setting.Rho = $rho
            $null = Get-Run $files.CnnTune ($cnnCommon + @{ Phase = 'cnn-rho'; Dataset = $ds; Split = 'dirichlet0.3'; Method = 'FedSophia'; Setting = $setting; Seed = $TuneSeeds[0]; Rounds = $CnnTuneRounds; Evaluate = 'validation'; EvalEvery = $CnnTuneRounds })
        }
    }
    Stop-Phase 'CnnRho' $clock $script:ran
}

if ('Report' -in $phases) {
    & (Join-Path $PSScriptRoot 'report.ps1') -Data $Output -Output $ReportOutput
}
