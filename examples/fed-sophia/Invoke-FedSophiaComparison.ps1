#Requires -Version 7.4
<#
.SYNOPSIS
    The Fed-Sophia comparison (issue 4): Fed-Sophia vs FedAvg(SGD), FedAvg(Adam), FedProx, FedAdam and DONE on
    MNIST and Fashion-MNIST, sized to about an hour of one CPU thread.

.DESCRIPTION
    Every method gets the same budget per round: 10 clients (all sampled), 20 local steps of batch 32 (DONE: 20
    Richardson iterations, each a Hessian-vector product on one batch, after a gradient over 20 batches).
    Tune      for each dataset, each method's learning-rate grid (see FedSophiaComparison.psm1) on the MLP,
              Dirichlet(0.3) split, seed 0, 30 rounds; the winner has the best mean test accuracy over rounds 26-30.
    Compare   the winners on the MLP for IID, Dirichlet(0.3) and 2-shard splits × seeds 1-3, 50 rounds.
    CnnTune   for the CNN (about 20× the MLP's cost per step): each method's MLP winner and its two neighbours in
              the grid, Dirichlet(0.3), seed 0, 10 rounds with 3 of the 10 clients sampled per round; the winner has
              the best mean test accuracy over rounds 8-10.
    Cnn       the CNN winners, Dirichlet(0.3), seed 1, 10 rounds, 3 of 10 clients per round.
    Accuracy is measured after every round on a fixed subset of the test set (the first 2,000 images; 1,000 for
    the CNN). Rows go to CSV files under -Output; report.ps1 turns them into docs/results/fed-sophia.md.
.EXAMPLE
    dotnet pwsh -NoProfile -File examples/fed-sophia/Invoke-FedSophiaComparison.ps1 -Phase All
#>
[CmdletBinding()]
param(
    [ValidateSet('Tune', 'Compare', 'CnnTune', 'Cnn', 'All')]
    [string] $Phase = 'All',
    [string] $Output = (Join-Path $PSScriptRoot '../../runs/fed-sophia'),
    [string[]] $Dataset = @('mnist', 'fashion-mnist'),
    [int] $TuneRounds = 30,
    [int] $MlpRounds = 50,
    [int] $CnnRounds = 10,
    [int[]] $Seeds = @(1, 2, 3),
    # Start tuning from scratch instead of reusing the grid runs already in grid.csv.
    [switch] $Fresh,
    # Compare/Cnn: keep the runs already in the output file and run only the missing ones.
    [switch] $Resume
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1') }
Import-Module (Join-Path $PSScriptRoot 'FedSophiaComparison.psm1') -Force
Set-FedDevice -Name cpu -Threads 1 | Out-Null
New-Item -ItemType Directory -Force -Path $Output | Out-Null
$gridFile = Join-Path $Output 'grid.csv'
$winnersFile = Join-Path $Output 'winners.csv'
$runsFile = Join-Path $Output 'runs.csv'
$cnnGridFile = Join-Path $Output 'cnn-grid.csv'
$cnnWinnersFile = Join-Path $Output 'cnn-winners.csv'
$cnnCell = @{ Architecture = 'Cnn'; Split = 'dirichlet0.3'; Rounds = $CnnRounds; TestSize = 1000; SampleFraction = 0.3 }

function Write-Rows([object[]] $Rows, [string] $Path) {
    $Rows | Export-Csv -Path $Path -Append -NoTypeInformation -UseQuotes AsNeeded
}

if ($Phase -in 'Tune', 'All') {
    if ($Fresh) { Remove-Item $gridFile -ErrorAction SilentlyContinue }
    Remove-Item $winnersFile -ErrorAction SilentlyContinue
    $done = if (Test-Path $gridFile) { Import-Csv $gridFile | Group-Object Dataset, Method, Lr -AsHashTable -AsString } else { @{} }
    foreach ($ds in $Dataset) {
        $base = 0.1
        foreach ($entry in (Get-ComparisonMethod).GetEnumerator()) {
            $scores = foreach ($lr in $entry.Value.Grid) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $key = '{0}, {1}, {2}' -f $ds, $entry.Key, $lr
                $rows = if ($done.ContainsKey($key) -and $done[$key].Count -eq $TuneRounds) {
                    $done[$key] | ForEach-Object { $_.TestAccuracy = [double]$_.TestAccuracy; $_ }
                }
                else {
                    $newRows = @(Invoke-ComparisonRun -Dataset $ds -Architecture Mlp -Split dirichlet0.3 -Method $entry.Key -Lr $lr -Base $base -Seed 0 -Rounds $TuneRounds)
                    Write-Rows $newRows $gridFile
                    $newRows
                }
                $tail = $rows | Select-Object -Last 5
                $score = ($tail | Measure-Object TestAccuracy -Average).Average
                Write-Host ('{0} {1} lr={2}: last-5 accuracy {3:P2} ({4:N0} s)' -f $ds, $entry.Key, $lr, $score, $clock.Elapsed.TotalSeconds)
                [pscustomobject]@{ Lr = $lr; Score = if ([double]::IsNaN($score)) { -1 } else { $score } }
            }
            $best = $scores | Sort-Object Score -Descending | Select-Object -First 1
            if ($entry.Key -eq 'FedAvg-SGD') { $base = $best.Lr }
            Write-Rows @([pscustomobject]@{ Dataset = $ds; Method = $entry.Key; Lr = $best.Lr; Base = $base; Score = $best.Score }) $winnersFile
        }
    }
}

function Invoke-Plan([object[]] $Plan, [string] $Path, [string] $WinnersPath = $winnersFile) {
    $existing = @{}
    if ($Resume -and (Test-Path $Path)) {
        Import-Csv $Path | ForEach-Object { $existing['{0}/{1}/{2}/{3}/{4}' -f $_.Dataset, $_.Architecture, $_.Split, $_.Seed, $_.Method] = $true }
    }
    else {
        Remove-Item $Path -ErrorAction SilentlyContinue
    }

    $winners = Import-Csv $WinnersPath
    foreach ($cell in $Plan) {
        foreach ($w in ($winners | Where-Object Dataset -EQ $cell.Dataset)) {
            if ($existing.ContainsKey(('{0}/{1}/{2}/{3}/{4}' -f $cell.Dataset, $cell.Architecture, $cell.Split, $cell.Seed, $w.Method))) { continue }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $rows = @(Invoke-ComparisonRun @cell -Method $w.Method -Lr ([double]$w.Lr) -Base ([double]$w.Base))
            Write-Rows $rows $Path
            Write-Host ('{0} {1} {2} seed {3} {4}: final accuracy {5:P2} ({6:N0} s)' -f $cell.Dataset, $cell.Architecture, $cell.Split,
                $cell.Seed, $w.Method, $rows[-1].TestAccuracy, $clock.Elapsed.TotalSeconds)
        }
    }
}

if ($Phase -in 'Compare', 'All') {
    $plan = foreach ($ds in $Dataset) {
        foreach ($split in 'iid', 'dirichlet0.3', 'shards2') {
            foreach ($seed in $Seeds) { @{ Dataset = $ds; Architecture = 'Mlp'; Split = $split; Seed = $seed; Rounds = $MlpRounds; TestSize = 2000 } }
        }
    }
    Invoke-Plan $plan $runsFile
}

if ($Phase -in 'CnnTune', 'All') {
    Remove-Item $cnnGridFile, $cnnWinnersFile -ErrorAction SilentlyContinue
    $methods = Get-ComparisonMethod
    foreach ($w in (Import-Csv $winnersFile | Where-Object Dataset -In $Dataset)) {
        $grid = @($methods[$w.Method].Grid)
        $at = [array]::IndexOf($grid, [double]$w.Lr)
        $candidates = $grid[([math]::Max(0, $at - 1))..([math]::Min($grid.Count - 1, $at + 1))]
        $scores = foreach ($lr in $candidates) {
            $rows = @(Invoke-ComparisonRun @cnnCell -Dataset $w.Dataset -Method $w.Method -Lr $lr -Base ([double]$w.Base) -Seed 0)
            Write-Rows $rows $cnnGridFile
            $score = ($rows | Select-Object -Last 3 | Measure-Object TestAccuracy -Average).Average
            Write-Host ('{0} Cnn {1} lr={2}: last-3 accuracy {3:P2}' -f $w.Dataset, $w.Method, $lr, $score)
            [pscustomobject]@{ Lr = $lr; Score = if ([double]::IsNaN($score)) { -1 } else { $score } }
        }
        $best = $scores | Sort-Object Score -Descending | Select-Object -First 1
        Write-Rows @([pscustomobject]@{ Dataset = $w.Dataset; Method = $w.Method; Lr = $best.Lr; Base = $w.Base; Score = $best.Score }) $cnnWinnersFile
    }
}

if ($Phase -in 'Cnn', 'All') {
    $plan = foreach ($ds in $Dataset) { $cnnCell + @{ Dataset = $ds; Seed = $Seeds[0] } }
    Invoke-Plan $plan (Join-Path $Output 'cnn-runs.csv') $(if (Test-Path $cnnWinnersFile) { $cnnWinnersFile } else { $winnersFile })
}
