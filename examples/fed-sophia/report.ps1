#Requires -Version 7.4
<#
.SYNOPSIS
    Turns the CSV files of Invoke-FedSophiaComparison.ps1 into docs/results/fed-sophia.md, its figures and a per-run
    summary CSV.
.DESCRIPTION
    Every number comes from the per-round rows in -Data. A run's "last-5" is its mean test accuracy over the last
    five rounds; "rounds to X %" is the first evaluated round at or above X, averaged over the seeds that reach it
    ("n/N" says how many did), and "MB to X %" the megabytes (10^6 bytes, up and down, all clients) sent by then.
    Uncertainty is the 95 % confidence interval of the mean over seeds (Student's t); a paired difference takes
    Fed-Sophia minus the other method seed by seed (same partition and initial model) and reports its mean with a
    95 % CI: "win" when the interval is above 0, "loss" when below, "tie" when it contains 0. preamble.md and
    discussion.md (hand-written) are included verbatim.
#>
[CmdletBinding()]
param(
    [string] $Data = (Join-Path $PSScriptRoot '../../docs/results/fed-sophia/data'),
    [string] $Output = (Join-Path $PSScriptRoot '../../docs/results'),
    [string] $Preamble = (Join-Path $PSScriptRoot 'preamble.md'),
    [string] $Discussion = (Join-Path $PSScriptRoot 'discussion.md')
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1') }
Import-Module (Join-Path $PSScriptRoot 'FedSophiaComparison.psm1') -Force
$figures = Join-Path $Output 'fed-sophia'
New-Item -ItemType Directory -Force -Path $figures | Out-Null
Get-ChildItem $figures -Filter *.png | Remove-Item # every figure is drawn afresh; none is left from an older layout
$inv = [cultureinfo]::InvariantCulture
$targets = @{ 'mnist' = @(0.95, 0.97); 'fashion-mnist' = @(0.80, 0.85) }
$methodOrder = @('FedSophia', 'FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'DONE')
$stats = [FedPS.Core.Experiments.SampleStatistics]
$md = [System.Text.StringBuilder]::new()
function Add([string] $Line = '') { $null = $md.AppendLine($Line) }

function Read-Rows([string[]] $Paths) {
    foreach ($path in $Paths) {
        if (-not (Test-Path $path)) { continue }
        Import-Csv $path | ForEach-Object {
            foreach ($p in 'EvalAccuracy', 'MB', 'Seconds') { $_.$p = if ($_.$p -eq '') { [double]::NaN } else { [double]::Parse($_.$p, $inv) } }
            foreach ($p in 'Round', 'Seed', 'Dropped', 'Stopped') { $_.$p = [int]$_.$p }
            $_
        }
    }
}

function Read-Table([string] $Name) { $path = Join-Path $Data $Name; if (Test-Path $path) { @(Import-Csv $path) } else { @() } }

function Get-Targets([string] $Dataset) { if ($targets.ContainsKey($Dataset)) { $targets[$Dataset] } else { @(0.5, 0.8) } }

function Format-Ci([double[]] $Values, [string] $Format = 'F2', [double] $Scale = 100) {
    # "mean ± half-width" of the values (scaled), or the mean alone for one value.
    if ($Values.Count -eq 0) { return '—' }
    $s = $stats::Summarize([double[]]@($Values | ForEach-Object { $_ * $Scale }))
    if ($Values.Count -eq 1) { return $s.Item1.ToString($Format, $inv) }
    '{0} ± {1}' -f $s.Item1.ToString($Format, $inv), $s.Item3.ToString($Format, $inv)
}

function Get-Summary([object[]] $Rows) {
    # One summary per run; identical columns for every dataset.
    foreach ($run in ($Rows | Group-Object Dataset, Architecture, Split, Method, Setting, Seed)) {
        $r = @($run.Group | Sort-Object Round)
        $first = $r[0]
        $rounds = [int]($r | Where-Object Stopped -EQ 0 | Measure-Object Round -Maximum).Maximum
        $planned = [int]$first.PlannedRounds
        $t = Get-Targets $first.Dataset
        $out = [ordered]@{
            Dataset = $first.Dataset; Architecture = $first.Architecture; Split = $first.Split; Method = $first.Method; Setting = $first.Setting
            Seed = $first.Seed; Rounds = $rounds; Stopped = ($r | Measure-Object Stopped -Maximum).Maximum
            Last5 = [math]::Round((Get-RunScore -Rows $r -Rounds $planned), 5)
            Final = if ($rounds -eq $planned) { ($r | Where-Object Round -EQ $planned | Select-Object -First 1).EvalAccuracy } else { 0.0 }
            Best = ($r | Where-Object { -not [double]::IsNaN($_.EvalAccuracy) } | Measure-Object EvalAccuracy -Maximum).Maximum
            TotalMB = ($r | Measure-Object MB -Maximum).Maximum
            DroppedUpdates = ($r | Measure-Object Dropped -Sum).Sum
            SecondsPerRound = [math]::Round(($r | Measure-Object Seconds -Maximum).Maximum / [math]::Max(1, $rounds), 3)
            WinRate = ($r | Where-Object { $_.WinRate -ne '' } | ForEach-Object { [double]::Parse($_.WinRate, $inv) } | Measure-Object -Average).Average
            ClipRate = ($r | Where-Object { $_.ClipRate -ne '' } | ForEach-Object { [double]::Parse($_.ClipRate, $inv) } | Measure-Object -Average).Average
            Target1 = $t[0]; RoundsToTarget1 = $null; MBToTarget1 = $null; Target2 = $t[1]; RoundsToTarget2 = $null; MBToTarget2 = $null
        }
        foreach ($i in 1, 2) {
            $hit = $r | Where-Object { $_.EvalAccuracy -ge $t[$i - 1] } | Select-Object -First 1
            if ($hit) { $out["RoundsToTarget$i"] = $hit.Round; $out["MBToTarget$i"] = $hit.MB }
        }
        [pscustomobject]$out
    }
}

# The evaluated rows of the finals, with the number of rounds each phase planned.
$final = @(Read-Rows @(Get-ChildItem $Data -Filter 'final-*.csv' | ForEach-Object FullName)) | ForEach-Object { $_ | Add-Member PlannedRounds 0 -PassThru }
$cnn = @(Read-Rows (Join-Path $Data 'cnn.csv')) | ForEach-Object { $_ | Add-Member PlannedRounds 0 -PassThru }
# Planned rounds: the largest round any run of the phase reached (a run that stopped early falls short of it).
$finalRounds = ($final | Measure-Object Round -Maximum).Maximum
$cnnRounds = ($cnn | Measure-Object Round -Maximum).Maximum
foreach ($row in $final) { $row.PlannedRounds = $finalRounds }
foreach ($row in $cnn) { $row.PlannedRounds = $cnnRounds }
$summary = @(Get-Summary @($final)) + @(Get-Summary @($cnn))
$summary | Export-Csv (Join-Path $figures 'runs-summary.csv') -NoTypeInformation -UseQuotes AsNeeded
$winners = Read-Table 'winners.csv'
$cnnWinners = Read-Table 'cnn-winners.csv'
$tuning = Read-Table 'tuning.csv'
$phases = Read-Table 'phases.csv'

Add '# Fed-Sophia vs first- and second-order baselines on MNIST and Fashion-MNIST'
Add
Add ('Generated by `examples/fed-sophia/report.ps1` from the per-round CSV files in [fed-sophia/data](fed-sophia/data) ' +
    'written by `examples/fed-sophia/Invoke-FedSophiaComparison.ps1`; every number is measured on this machine (2 shared CPU cores, ' +
    'one torch thread per run). Hyperparameters were chosen on a validation split carved from the training data; ' +
    'the results are on the full 10,000-image test sets.')
Add
Add '## Reproducing it'
Add
Add 'One command runs whatever is missing and regenerates every table and figure (with `-Resume` it keeps the runs already in the CSV files; without it everything is recomputed):'
Add
Add '```powershell'
Add 'dotnet pwsh -NoProfile -File build.ps1 -Task Build'
Add 'dotnet pwsh -NoProfile -File examples/fed-sophia/Invoke-FedSophiaComparison.ps1 -Phase All -Resume'
Add '```'
Add
if ($phases.Count -gt 0) {
    Add 'Wall time of each phase on this machine (one process, one torch thread, `nice -n 10`, the two cores shared with other work; summed over the invocations that ran it):'
    Add
    Add '| phase | runs | wall time |'
    Add '|---|---|---|'
    $total = 0.0
    foreach ($p in ($phases | Group-Object Phase)) {
        $seconds = ($p.Group | ForEach-Object { [double]$_.Seconds } | Measure-Object -Sum).Sum
        $total += $seconds
        Add ('| {0} | {1} | {2:N1} h ({3:N0} s) |' -f $p.Name, ($p.Group | ForEach-Object { [int]$_.Runs } | Measure-Object -Sum).Sum, ($seconds / 3600), $seconds)
    }
    Add ('| all | | **{0:N1} h** |' -f ($total / 3600))
    Add
}
if (Test-Path $Preamble) { Add (Get-Content $Preamble -Raw).TrimEnd(); Add }

# The protocol, from the method definitions themselves (so the grids written here are the grids that ran).
Add '## Tuning grids (validation split; seeds 101 and 102, DONE seed 101)'
Add
Add 'Each method is tuned separately for every dataset and split. Stages run in order; each tries one knob with the others at the best values found so far; "from X" takes the value of method X''s winner in the same cell. An edge winner of a grid marked "extends" adds the next value in the same ratio (at most twice).'
Add
Add '| method | stages (knob: values) |'
Add '|---|---|'
$methods = Get-ComparisonMethod
foreach ($m in $methodOrder) {
    $stages = foreach ($stage in $methods[$m].Stages) {
        if ($stage.Contains('From')) { "$($stage.Knob) from $($stage.From)" }
        else { '{0}: {1}{2}' -f $stage.Knob, ($stage.Values -join ', '), $(if ($stage.Contains('Extend')) { ' (extends)' } else { '' }) }
    }
    Add "| $m | $($stages -join '; then ') |"
}
Add

function Get-Cell([object[]] $Summary, [string] $Ds, [string] $Arch, [string] $Sp, [string] $M) {
    @($Summary | Where-Object { $_.Dataset -eq $Ds -and $_.Architecture -eq $Arch -and $_.Split -eq $Sp -and $_.Method -eq $M } | Sort-Object Seed)
}

function Get-Paired([object[]] $A, [object[]] $B, [string] $Property = 'Last5') {
    # Fed-Sophia minus the other method on the seeds both ran: "+1.23 [0.50, 1.96]" and the verdict.
    $bySeed = @{}; foreach ($b in $B) { $bySeed[$b.Seed] = $b.$Property }
    $d = @(foreach ($a in $A) { if ($bySeed.ContainsKey($a.Seed)) { 100 * ($a.$Property - $bySeed[$a.Seed]) } })
    if ($d.Count -lt 2) { return [pscustomobject]@{ Text = '—'; Verdict = 'n/a' } }
    $s = $stats::Summarize([double[]]$d)
    $lo = $s.Item1 - $s.Item3; $hi = $s.Item1 + $s.Item3
    $verdict = if ($lo -gt 0) { 'win' } elseif ($hi -lt 0) { 'loss' } else { 'tie' }
    [pscustomobject]@{ Text = '{0:+0.00;-0.00} [{1:+0.00;-0.00}, {2:+0.00;-0.00}] **{3}**' -f $s.Item1, $lo, $hi, $verdict; Verdict = $verdict }
}

$cells = @(
    foreach ($ds in 'mnist', 'fashion-mnist', 'digits') { foreach ($sp in Get-ComparisonSplit) { if (Get-Cell $summary $ds 'Mlp' $sp 'FedSophia') { , @($ds, 'Mlp', $sp) } } }
    foreach ($ds in 'mnist', 'fashion-mnist', 'digits') { if (Get-Cell $summary $ds 'Cnn' 'dirichlet0.3' 'FedSophia') { , @($ds, 'Cnn', 'dirichlet0.3') } }
)

Add '## Where Fed-Sophia wins, ties and loses'
Add
Add 'Paired difference in test accuracy (percentage points, mean of the last five rounds), Fed-Sophia minus each method at its own validated setting, with the 95 % CI over seeds; **win** / **loss** when the interval excludes 0, **tie** when it contains it.'
Add
Add "| model | dataset | split | Fed-Sophia last-5 (%) | $(($methodOrder | Select-Object -Skip 1 | ForEach-Object { "vs $_" }) -join ' | ') |"
Add ('|---|---|---|---|' + ('---|' * ($methodOrder.Count - 1)))
$verdicts = [System.Collections.Generic.List[object]]::new()
foreach ($c in $cells) {
    $ds, $arch, $sp = $c
    $sophia = Get-Cell $summary $ds $arch $sp 'FedSophia'
    $cols = foreach ($m in ($methodOrder | Select-Object -Skip 1)) {
        $p = Get-Paired $sophia (Get-Cell $summary $ds $arch $sp $m)
        $verdicts.Add([pscustomobject]@{ Model = $arch; Dataset = $ds; Split = $sp; Method = $m; Verdict = $p.Verdict })
        $p.Text
    }
    Add "| $($arch.ToUpperInvariant()) | $ds | $sp | $(Format-Ci @($sophia.Last5)) (n = $($sophia.Count)) | $($cols -join ' | ') |"
}
Add
$count = $verdicts | Where-Object Verdict -NE 'n/a' | Group-Object Verdict -AsHashTable -AsString
if ($count) {
    Add ('Tally over {0} comparisons: {1} wins, {2} ties, {3} losses.' -f ($verdicts | Where-Object Verdict -NE 'n/a').Count,
        @($count['win']).Where({ $_ }).Count, @($count['tie']).Where({ $_ }).Count, @($count['loss']).Where({ $_ }).Count)
    Add
}

function Add-ResultTable([string] $Arch, [string] $Ds, [object[]] $Rows, [string] $Title) {
    $t = Get-Targets $Ds
    $t1 = '{0:0}' -f (100 * $t[0]); $t2 = '{0:0}' -f (100 * $t[1])
    Add "### $Title"
    Add
    Add "| split | method | setting | last-5 accuracy (%) | final accuracy (%) | rounds to $t1 % | MB to $t1 % | rounds to $t2 % | MB to $t2 % | MB per round | dropped updates |"
    Add '|---|---|---|---|---|---|---|---|---|---|---|'
    foreach ($sp in Get-ComparisonSplit) {
        $bestMean = ($methodOrder | ForEach-Object { $x = Get-Cell $Rows $Ds $Arch $sp $_; if ($x) { ($x | Measure-Object Last5 -Average).Average } } | Measure-Object -Maximum).Maximum
        foreach ($m in $methodOrder) {
            $x = Get-Cell $Rows $Ds $Arch $sp $m
            if ($x.Count -eq 0) { continue }
            $last5 = Format-Ci @($x.Last5)
            if (($x | Measure-Object Last5 -Average).Average -eq $bestMean) { $last5 = "**$last5**" }
            $to = foreach ($i in 1, 2) {
                $hits = @($x | Where-Object { $null -ne $_."RoundsToTarget$i" -and $_."RoundsToTarget$i" -ne '' })
                (Format-Ci @($hits | ForEach-Object { [double]$_."RoundsToTarget$i" }) 'F1' 1) + " ($($hits.Count)/$($x.Count))"
                Format-Ci @($hits | ForEach-Object { [double]$_."MBToTarget$i" }) 'F0' 1
            }
            $perRound = ($x | ForEach-Object { $_.TotalMB / [math]::Max(1, $_.Rounds) } | Measure-Object -Average).Average
            Add ("| $sp | $m | ``$($x[0].Setting)`` | $last5 | $(Format-Ci @($x.Final)) | $($to -join ' | ') | {0:N1} | {1} |" -f $perRound, ($x | Measure-Object DroppedUpdates -Sum).Sum)
        }
    }
    Add
}

function Save-Figures([object[]] $Rows, [string] $Ds, [string] $Arch, [string] $Sp, [int] $Seeds) {
    # Accuracy against rounds and against megabytes: mean over seeds with its 95 % CI.
    $stem = "$Ds-$($Arch.ToLowerInvariant())-$Sp"
    $byRound = foreach ($m in $methodOrder) {
        $runs = @($Rows | Where-Object { $_.Dataset -eq $Ds -and $_.Architecture -eq $Arch -and $_.Split -eq $Sp -and $_.Method -eq $m -and $_.Stopped -eq 0 } | Group-Object Seed)
        if ($runs.Count -eq 0) { continue }
        # x for the megabyte plot: the mean over seeds of the megabytes sent by that round (seeds differ only by dropped updates).
        $mb = @{}; foreach ($g in ($runs.Group | Group-Object Round)) { $mb[[int]$g.Name] = ($g.Group | Measure-Object MB -Average).Average }
        $rounds = [System.Collections.Generic.List[System.Collections.Generic.IReadOnlyList[System.ValueTuple[double, double]]]]::new()
        $bytes = [System.Collections.Generic.List[System.Collections.Generic.IReadOnlyList[System.ValueTuple[double, double]]]]::new()
        foreach ($run in $runs) {
            $a = [System.Collections.Generic.List[System.ValueTuple[double, double]]]::new()
            $b = [System.Collections.Generic.List[System.ValueTuple[double, double]]]::new()
            foreach ($p in ($run.Group | Sort-Object Round)) {
                $a.Add([System.ValueTuple[double, double]]::new($p.Round, 100 * $p.EvalAccuracy))
                $b.Add([System.ValueTuple[double, double]]::new($mb[$p.Round], 100 * $p.EvalAccuracy))
            }
            $rounds.Add($a); $bytes.Add($b)
        }
        [pscustomobject]@{ Round = [FedPS.Core.Experiments.CurveSeries]::new($m, $rounds); MB = [FedPS.Core.Experiments.CurveSeries]::new($m, $bytes) }
    }
    $title = "${Ds}, $($Arch.ToUpperInvariant()), ${Sp}: test accuracy (%)"
    $band = [FedPS.Core.Experiments.CurveBand]::ConfidenceInterval95
    $percent = [System.ValueTuple[double, double]]::new(0, 100) # the band stops at 0 and 100 %
    [FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $figures "$stem-rounds.png"), [FedPS.Core.Experiments.CurveSeries[]]@($byRound.Round),
        [FedPS.Core.Experiments.PlotLabels]::new("$title per round", 'round', 'test accuracy (%)'), 960, 600, $band, $percent)
    [FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $figures "$stem-mb.png"), [FedPS.Core.Experiments.CurveSeries[]]@($byRound.MB),
        [FedPS.Core.Experiments.PlotLabels]::new("$title against data sent", 'megabytes sent, up + down, all clients (10^6 bytes)', 'test accuracy (%)'), 960, 600, $band, $percent)
    "![$title per round](fed-sophia/$stem-rounds.png)"
    "![$title against megabytes sent](fed-sophia/$stem-mb.png)"
}

foreach ($arch in 'Mlp', 'Cnn') {
    $archRows = @($summary | Where-Object Architecture -EQ $arch)
    if ($archRows.Count -eq 0) { continue }
    $rowsOfArch = if ($arch -eq 'Mlp') { $final } else { $cnn }
    $seeds = ($archRows | Group-Object Dataset, Split, Method | ForEach-Object Count | Measure-Object -Maximum).Maximum
    Add "## Results: $($arch.ToUpperInvariant()) ($seeds seeds, full test set)"
    Add
    foreach ($ds in 'mnist', 'fashion-mnist', 'digits') {
        if (-not ($archRows | Where-Object Dataset -EQ $ds)) { continue }
        Add-ResultTable $arch $ds $archRows $ds
        foreach ($sp in Get-ComparisonSplit) {
            if (-not (Get-Cell $archRows $ds $arch $sp 'FedSophia')) { continue }
            foreach ($image in (Save-Figures $rowsOfArch $ds $arch $sp $seeds)) { Add $image; Add }
        }
    }
}

Add '## Tuning results (validation accuracy, mean of the last five of the tuning rounds over the tuning seeds)'
Add
if ($winners.Count -gt 0 -or $cnnWinners.Count -gt 0) {
    Add '| model | dataset | split | method | winning setting | validation accuracy (%) |'
    Add '|---|---|---|---|---|---|'
    foreach ($w in (@($winners) + @($cnnWinners) | Sort-Object { $_.Architecture -eq 'Cnn' }, Dataset, { [array]::IndexOf(@(Get-ComparisonSplit), $_.Split) }, { [array]::IndexOf($methodOrder, $_.Method) })) {
        Add ('| {0} | {1} | {2} | {3} | `{4}` | {5:N2} |' -f $w.Architecture.ToUpperInvariant(), $w.Dataset, $w.Split, $w.Method, $w.Setting, (100 * [double]::Parse($w.Score, $inv)))
    }
    Add
}
if ($tuning.Count -gt 0) {
    Add '### Every grid (MLP): value → validation accuracy (%), the chosen value in bold'
    Add
    Add 'The Fed-Sophia rows are its ablation: learning rate per split, then ρ, then k, then optimizer state carried vs reset each round, then gradient clipping (global norm 1, as in the reference training script; 0 = none), each at the best of the earlier stages.'
    Add
    Add '| dataset | split | method | knob | tried |'
    Add '|---|---|---|---|---|'
    foreach ($g in ($tuning | Group-Object Dataset, Split, Method, Knob | Sort-Object { $_.Group[0].Dataset }, { [array]::IndexOf(@(Get-ComparisonSplit), $_.Group[0].Split) }, { [array]::IndexOf($methodOrder, $_.Group[0].Method) })) {
        $first = $g.Group[0]
        $order = @($methods[$first.Method].Stages | ForEach-Object Knob)
        $tried = foreach ($t in ($g.Group | Sort-Object { $v = 0.0; if ([double]::TryParse($_.Value, [Globalization.NumberStyles]::Float, $inv, [ref]$v)) { $v } else { $_.Value } })) {
            $text = '{0} → {1:N2}' -f $t.Value, (100 * [double]::Parse($t.Score, $inv))
            if ($t.Chosen -eq '1') { "**$text**" } else { $text }
        }
        Add "| $($first.Dataset) | $($first.Split) | $($first.Method) | $($first.Knob) (stage $([array]::IndexOf($order, $first.Knob) + 1)) | $($tried -join ', ') |"
    }
    Add
}

$sophiaRuns = @($summary | Where-Object { $_.Method -eq 'FedSophia' -and $null -ne $_.WinRate })
if ($sophiaRuns.Count -gt 0) {
    Add '## Sophia''s diagnostics in the final runs'
    Add
    Add 'Win rate: the fraction of coordinates whose Sophia update is not clipped (sampled on every k-th step; the reference tunes ρ to keep it in 0.1–0.5). Clip rate: the fraction of local steps whose gradient norm was above the clipping limit (runs with clipping only).'
    Add
    Add '| model | dataset | split | setting | win rate | gradient clip rate |'
    Add '|---|---|---|---|---|---|'
    foreach ($g in ($sophiaRuns | Group-Object Architecture, Dataset, Split)) {
        $x = $g.Group
        $clip = @($x | Where-Object { $null -ne $_.ClipRate })
        Add ('| {0} | {1} | {2} | `{3}` | {4:N2} | {5} |' -f $x[0].Architecture.ToUpperInvariant(), $x[0].Dataset, $x[0].Split, $x[0].Setting,
            ($x | Measure-Object WinRate -Average).Average, $(if ($clip.Count -gt 0) { '{0:N2}' -f ($clip | Measure-Object ClipRate -Average).Average } else { '—' }))
    }
    Add
}

# Fed-Sophia's CNN tuning runs (CnnTune's learning rates and CnnRho's ρ), each scored as CnnTune scores.
$cnnSophiaTuning = @(Read-Rows (Join-Path $Data 'cnn-tune.csv') | Where-Object Method -EQ 'FedSophia')
if ($cnnSophiaTuning.Count -gt 0) {
    $tuneRounds = ($cnnSophiaTuning | Measure-Object Round -Maximum).Maximum
    Add '## Fed-Sophia''s learning rate and ρ on the CNN (validation)'
    Add
    Add ("Every CNN tuning run of Fed-Sophia (Dirichlet(0.3), seed $($cnnSophiaTuning[0].Seed), $tuneRounds rounds): the CnnTune learning rates and, at the winning one, each ρ of the MLP grid (`-Phase CnnRho`, an ablation: the finals keep the CnnTune winner). Validation accuracy is the mean of rounds $($tuneRounds - 2)–$tuneRounds; the win rate is the mean over the run.")
    Add
    Add '| dataset | setting | validation accuracy (%) | win rate |'
    Add '|---|---|---|---|'
    foreach ($g in ($cnnSophiaTuning | Group-Object Dataset, Setting | Sort-Object { $_.Group[0].Dataset }, { $_.Group[0].Setting })) {
        $x = $g.Group
        $win = @($x | Where-Object { $_.WinRate -ne '' } | ForEach-Object { [double]::Parse($_.WinRate, $inv) })
        Add ('| {0} | `{1}` | {2:N2} | {3} |' -f $x[0].Dataset, $x[0].Setting, (100 * (Get-RunScore -Rows $x -Rounds $tuneRounds -Last 3)),
            $(if ($win.Count -gt 0) { '{0:N2}' -f ($win | Measure-Object -Average).Average } else { '—' }))
    }
    Add
}

if (Test-Path $Discussion) { Add (Get-Content $Discussion -Raw).TrimEnd(); Add }
Add 'Per-run numbers: [fed-sophia/runs-summary.csv](fed-sophia/runs-summary.csv) (one row per run, the same columns for every dataset). Per-round rows: [fed-sophia/data](fed-sophia/data).'
Set-Content -Path (Join-Path $Output 'fed-sophia.md') -Value $md.ToString() -NoNewline
Write-Host "wrote $(Join-Path $Output 'fed-sophia.md') and $(@(Get-ChildItem $figures -Filter *.png).Count) figures"
