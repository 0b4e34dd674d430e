#Requires -Version 7.4
<#
.SYNOPSIS
    Turns run.ps1's results into the committed CSVs, the tables (mira-tables.md) and the figures of docs/results/mira.md.
.DESCRIPTION
    Every number is a mean over seeds with its 95 % confidence interval (Student's t, n = number of seeds), and every
    comparison with FedIT is paired by seed: the mean of the per-seed differences with its 95 % CI. A client's "local"
    number is its own model on its own task's test split; a method's number is the mean over its clients. The CSVs
    written next to the tables are exactly what the tables and figures are computed from.
#>
param(
    [string] $Out = (Join-Path $PSScriptRoot '../../runs/mira2'),
    [string] $Results = (Join-Path $PSScriptRoot '../../docs/results/mira'),
    # Seeds grouped by the base model they fine-tuned (e.g. @{ A = 1, 2; B = 3, 4, 5 } when a base had to be pretrained
    # again on another machine): the Mira comparisons are then also given within each group.
    [hashtable] $BaseGroups
)
$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Force $Results | Out-Null
$finals = @(Import-Csv (Join-Path $Out 'final.csv'))
# Seeds measured by an earlier machine whose run folders are gone live on in the committed CSVs: their rows are kept
# when the method ran at the same setting and the seed is not in this run folder.
$settingOf = @{}; $finals | ForEach-Object { $settingOf[$_.Method] = $_.Setting }
$here = @{}; $finals | ForEach-Object { $here["$($_.Method)|$($_.Seed)"] = $true }
function Get-EarlierRows([string] $Name) {
    $path = Join-Path $Results $Name
    if (-not (Test-Path $path)) { return }
    Import-Csv $path | Where-Object { -not $here["$($_.Method)|$($_.Seed)"] -and $settingOf[$_.Method] -eq $_.Setting }
}
$earlierFinals = @(Get-EarlierRows 'final.csv')
$earlierRounds = @(Get-EarlierRows 'rounds.csv')
$finals = @($finals) + $earlierFinals
$selected = Get-Content (Join-Path $Out 'selected.json') | ConvertFrom-Json
$order = 'FedIT', 'FedIT+FT', 'Ditto', 'LocalOnly', 'Mira'
$methods = @($order | Where-Object { $_ -in $finals.Method })
$seeds = @($finals.Seed | Sort-Object { [int]$_ } -Unique)
$tasks = @($finals | Sort-Object { [int]$_.Client } | Select-Object -ExpandProperty Task -Unique)
$kindOf = @{}; $finals | ForEach-Object { $kindOf[$_.Task] = $_.Kind }

# The per-round validation curves of the final runs (one row per run, round and client), and the tuning results.
$rounds = foreach ($m in $methods) {
    $key = ('{0}-{1}' -f $m, $settingOf[$m]) -replace '[^\w.=+,-]', '_' # as run.ps1 names a run's folder
    foreach ($seed in $seeds) {
        $path = Join-Path $Out "runs/final/$key/seed$seed/rounds.csv"
        if (Test-Path $path) { Import-Csv $path | Select-Object Method, Setting, Seed, Round, Client, Task, ValidationLoss, MB }
    }
}
$rounds = @($rounds) + $earlierRounds
$finals | Export-Csv (Join-Path $Results 'final.csv') -NoTypeInformation
$rounds | Export-Csv (Join-Path $Results 'rounds.csv') -NoTypeInformation
Copy-Item (Join-Path $Out 'selected.json') (Join-Path $Results 'selected.json')
if (Test-Path (Join-Path $Out 'tuning.csv')) { Copy-Item (Join-Path $Out 'tuning.csv') (Join-Path $Results 'tuning.csv') }
if (Test-Path (Join-Path $Out 'pretrain/pretrain.json')) { Copy-Item (Join-Path $Out 'pretrain/pretrain.json') (Join-Path $Results 'pretrain.json') }

# "mean ± half-width of the 95 % CI" over the finite values (just the mean for one value, a dash for none).
function CI($values, [int] $Digits = 3) {
    $v = [double[]] @($values | ForEach-Object { [double]$_ } | Where-Object { [double]::IsFinite($_) })
    if ($v.Count -eq 0) { return '—' }
    $s = [FedPS.Core.Experiments.SampleStatistics]::Summarize($v)
    $f = "F$Digits"; $c = [Globalization.CultureInfo]::InvariantCulture
    if ([double]::IsNaN($s.Item3)) { $s.Item1.ToString($f, $c) } else { '{0} ± {1}' -f $s.Item1.ToString($f, $c), $s.Item3.ToString($f, $c) }
}
function Average($rows, [string] $Column) {
    $v = @($rows | Where-Object { "$($_.$Column)" -ne '' } | ForEach-Object { [double]$_.$Column })
    if ($v.Count -eq 0) { [double]::NaN } else { ($v | Measure-Object -Average).Average }
}
# One number per seed: the mean of a column over the method's clients (optionally of some task kinds only).
function PerSeed([string] $Method, [string] $Column, [string[]] $Kinds, [string[]] $Of = $seeds) {
    foreach ($seed in $Of) {
        $rows = $finals | Where-Object { $_.Method -eq $Method -and $_.Seed -eq $seed -and (-not $Kinds -or $_.Kind -in $Kinds) }
        if ($rows) { Average $rows $Column } else { [double]::NaN }
    }
}
function Paired([string] $Method, [string] $Column, [string[]] $Kinds, [string] $Baseline = 'FedIT', [string[]] $Of = $seeds) {
    $a = @(PerSeed $Method $Column $Kinds $Of); $b = @(PerSeed $Baseline $Column $Kinds $Of)
    0..($Of.Count - 1) | ForEach-Object { $a[$_] - $b[$_] }
}

$md = [Text.StringBuilder]::new()
$n = $seeds.Count
[void]$md.AppendLine("All numbers: mean over seeds ± 95 % CI (Student's t, n = $n seeds: $($seeds -join ', ')); test numbers at each run's best validation round.`n")

[void]$md.AppendLine("### Tuning on validation data (seed $((Import-Csv (Join-Path $Out 'tuning.csv') | Select-Object -First 1).Seed))`n")
[void]$md.AppendLine('| method | setting | best round | rounds run | mean validation loss at the best round | selected |')
[void]$md.AppendLine('|---|---|---:|---:|---:|:---:|')
foreach ($t in Import-Csv (Join-Path $Out 'tuning.csv') | Sort-Object { [array]::IndexOf($order, $_.Method) }, Setting) {
    $isSelected = $t.Method -in $methods -and $settingOf[$t.Method] -eq $t.Setting
    [void]$md.AppendLine(('| {0} | {1} | {2} | {3} | {4:N4} | {5} |' -f $t.Method, $t.Setting, $t.BestRound, $t.RoundsRun, [double]$t.ValidationLoss, ($isSelected ? '✓' : '')))
}

[void]$md.AppendLine("`n### Test results per method (mean over the $($tasks.Count) clients, then over seeds)`n")
[void]$md.AppendLine('| method | setting | local test loss | global probe loss | translation exact match | translation chrF3 | classification accuracy | synonym + naming exact match | best round | MB to the best round |')
[void]$md.AppendLine('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
foreach ($m in $methods) {
    [void]$md.AppendLine(('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9} |' -f $m, $settingOf[$m],
        (CI (PerSeed $m TestLoss)), (CI (PerSeed $m GlobalLoss)), (CI (PerSeed $m ExactMatch Translation)), (CI (PerSeed $m ChrF Translation)),
        (CI (PerSeed $m ExactMatch Classification)), (CI (PerSeed $m ExactMatch Synonym, Naming)), (CI (PerSeed $m BestRound) 1), (CI (PerSeed $m MBToBest) 2)))
}

[void]$md.AppendLine("`n### Paired by seed: method − FedIT (mean of the per-seed differences ± 95 % CI; negative loss and positive metric differences favour the method)`n")
[void]$md.AppendLine('| method | local test loss | global probe loss | translation chrF3 | translation exact match | classification accuracy | synonym + naming exact match |')
[void]$md.AppendLine('|---|---:|---:|---:|---:|---:|---:|')
foreach ($m in $methods | Where-Object { $_ -ne 'FedIT' }) {
    [void]$md.AppendLine(('| {0} | {1} | {2} | {3} | {4} | {5} | {6} |' -f $m, (CI (Paired $m TestLoss)), (CI (Paired $m GlobalLoss)),
        (CI (Paired $m ChrF Translation)), (CI (Paired $m ExactMatch Translation)), (CI (Paired $m ExactMatch Classification)), (CI (Paired $m ExactMatch Synonym, Naming))))
}
if ('Mira' -in $methods) {
    [void]$md.AppendLine("`n### Paired by seed: Mira − each other method (local test loss; negative favours Mira)`n")
    [void]$md.AppendLine('| baseline | Mira − baseline | seeds in which Mira is lower |')
    [void]$md.AppendLine('|---|---:|---:|')
    foreach ($b in $methods | Where-Object { $_ -ne 'Mira' }) {
        $d = @(Paired Mira TestLoss -Baseline $b)
        [void]$md.AppendLine(('| {0} | {1} | {2}/{3} |' -f $b, (CI $d), @($d | Where-Object { $_ -lt 0 }).Count, $d.Count))
    }
    if ($BaseGroups) {
        $groupSeeds = @{}; foreach ($g in $BaseGroups.Keys) { $groupSeeds[$g] = [string[]]@($BaseGroups[$g] | Where-Object { "$_" -in $seeds }) }
        # A group none of whose seeds has run yet has no column (Paired over no seeds would print a difference of 0).
        $groups = @($BaseGroups.Keys | Where-Object { $groupSeeds[$_].Count -gt 0 } | Sort-Object)
        [void]$md.AppendLine("`n### The same within each base model (seeds that fine-tuned one base; local test loss, and global probe loss against FedIT)`n")
        [void]$md.AppendLine('| comparison | ' + (($groups | ForEach-Object { "base $_ (seeds $($groupSeeds[$_] -join ', '))" }) -join ' | ') + ' |')
        [void]$md.AppendLine('|---|' + (($groups | ForEach-Object { '---:' }) -join '|') + '|')
        foreach ($b in $methods | Where-Object { $_ -ne 'Mira' }) {
            [void]$md.AppendLine("| Mira − $b, local | " + (($groups | ForEach-Object { CI (Paired Mira TestLoss -Baseline $b -Of $groupSeeds[$_]) }) -join ' | ') + ' |')
        }
        [void]$md.AppendLine('| Mira − FedIT, global | ' + (($groups | ForEach-Object { CI (Paired Mira GlobalLoss -Of $groupSeeds[$_]) }) -join ' | ') + ' |')
        foreach ($m in $methods) {
            [void]$md.AppendLine("| $m, local test loss | " + (($groups | ForEach-Object { CI (PerSeed $m TestLoss -Of $groupSeeds[$_]) }) -join ' | ') + ' |')
        }
    }
}

[void]$md.AppendLine("`n### Local test loss per client (mean ± 95 % CI over seeds; in brackets: seeds in which the method beats FedIT on that client)`n")
[void]$md.AppendLine('| client (task) | kind | ' + ($methods -join ' | ') + ' |')
[void]$md.AppendLine('|---|---|' + (($methods | ForEach-Object { '---:' }) -join '|') + '|')
foreach ($task in $tasks) {
    $fedIt = @(foreach ($seed in $seeds) { ($finals | Where-Object { $_.Method -eq 'FedIT' -and $_.Seed -eq $seed -and $_.Task -eq $task }).TestLoss })
    $cells = foreach ($m in $methods) {
        $v = @(foreach ($seed in $seeds) { ($finals | Where-Object { $_.Method -eq $m -and $_.Seed -eq $seed -and $_.Task -eq $task }).TestLoss })
        $wins = @(0..($v.Count - 1) | Where-Object { [double]$v[$_] -lt [double]$fedIt[$_] }).Count
        ($m -eq 'FedIT') ? (CI $v) : ('{0} ({1}/{2})' -f (CI $v), $wins, $v.Count)
    }
    [void]$md.AppendLine("| $task | $($kindOf[$task]) | " + ($cells -join ' | ') + ' |')
}

[void]$md.AppendLine("`n### Task metrics per client (mean over seeds; exact match, and chrF3 for translation)`n")
[void]$md.AppendLine('| client (task) | ' + ($methods -join ' | ') + ' |')
[void]$md.AppendLine('|---|' + (($methods | ForEach-Object { '---:' }) -join '|') + '|')
foreach ($task in $tasks | Where-Object { $kindOf[$_] -in 'Translation', 'Classification', 'Synonym', 'Naming' }) {
    $cells = foreach ($m in $methods) {
        $rows = $finals | Where-Object { $_.Method -eq $m -and $_.Task -eq $task }
        $em = '{0:P0}' -f (Average $rows ExactMatch)
        if ($kindOf[$task] -eq 'Translation') { '{0} / {1:N3}' -f $em, (Average $rows ChrF) } else { $em }
    }
    [void]$md.AppendLine("| $task | " + ($cells -join ' | ') + ' |')
}
Set-Content (Join-Path $Results 'mira-tables.md') $md.ToString()

# Figures: mean over clients of the validation loss per round, mean ± 95 % CI over seeds; and against megabytes sent.
# FedIT + FT is left out: its rounds are local fine-tuning rounds that start at FedIT's best round, which differs by seed.
function Series([string] $Label, $Rows, [string] $X) {
    $runs = [Collections.Generic.List[Collections.Generic.IReadOnlyList[ValueTuple[double, double]]]]::new()
    foreach ($seedGroup in $Rows | Group-Object Seed) {
        $points = [Collections.Generic.List[ValueTuple[double, double]]]::new()
        foreach ($r in $seedGroup.Group | Group-Object { [int]$_.Round } | Sort-Object { [int]$_.Name }) {
            $points.Add([ValueTuple[double, double]]::new([double]$r.Group[0].$X, ($r.Group | Measure-Object { [double]$_.ValidationLoss } -Average).Average))
        }
        $runs.Add($points)
    }
    [FedPS.Core.Experiments.CurveSeries]::new($Label, $runs)
}
$ci = [FedPS.Core.Experiments.CurveBand]::ConfidenceInterval95
foreach ($figure in @{ File = 'mira-validation.png'; X = 'Round'; XLabel = 'round'; Methods = @($methods | Where-Object { $_ -ne 'FedIT+FT' }) },
    @{ File = 'mira-validation-mb.png'; X = 'MB'; XLabel = 'MB communicated (up + down, cumulative)'; Methods = @($methods | Where-Object { $_ -notin 'LocalOnly', 'FedIT+FT' }) }) {
    $series = [Collections.Generic.List[FedPS.Core.Experiments.CurveSeries]]::new()
    foreach ($m in $figure.Methods) { $series.Add((Series "$m ($($settingOf[$m]))" ($rounds | Where-Object Method -eq $m) $figure.X)) }
    [FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $Results $figure.File), $series,
        [FedPS.Core.Experiments.PlotLabels]::new("Mean validation loss over the $($tasks.Count) clients (each its own model on its own task)", $figure.XLabel, 'validation loss (nats/byte)'),
        960, 600, $ci)
}
Get-Content (Join-Path $Results 'mira-tables.md')
