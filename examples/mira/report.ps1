#Requires -Version 7.4
<#
.SYNOPSIS
    Turns run.ps1's CSVs into the tables and PNG curves of docs/results/mira.md.
#>
param(
    # One or more run.ps1 output folders; their rows are reported together.
    [string[]] $Out = @(Join-Path $PSScriptRoot '../../runs/mira'),
    [string] $Results = (Join-Path $PSScriptRoot '../../docs/results')
)
$ErrorActionPreference = 'Stop'
$curves = $Out | ForEach-Object { Import-Csv (Join-Path $_ 'curves.csv') }
$finals = $Out | ForEach-Object { Import-Csv (Join-Path $_ 'final.csv') }
$methods = $finals.Method | Select-Object -Unique
$tasks = $finals | Sort-Object { [int]$_.Client } | Select-Object -ExpandProperty Task -Unique
function Stat($values) {
    $v = @($values | ForEach-Object { [double]$_ })
    $mean = ($v | Measure-Object -Average).Average
    $sd = if ($v.Count -gt 1) { [math]::Sqrt(($v | ForEach-Object { ($_ - $mean) * ($_ - $mean) } | Measure-Object -Sum).Sum / ($v.Count - 1)) } else { 0 }
    '{0:N3} ± {1:N3}' -f $mean, $sd
}

$md = [Text.StringBuilder]::new()
[void]$md.AppendLine("### Local test loss per client after the last round (mean ± sd over seeds; lower is better)`n")
[void]$md.AppendLine('| client (task) | base (round 0) | ' + ($methods -join ' | ') + ' |')
[void]$md.AppendLine('|---|---:|' + (($methods | ForEach-Object { '---:' }) -join '|') + '|')
$start = $curves | Where-Object { [int]$_.Round -eq 0 -and $_.Method -eq $methods[0] }
foreach ($task in $tasks) {
    $cells = foreach ($m in $methods) { Stat ($finals | Where-Object { $_.Method -eq $m -and $_.Task -eq $task }).LocalLoss }
    $base = Stat ($start | Where-Object Task -eq $task).Loss
    [void]$md.AppendLine("| $task | $base | " + ($cells -join ' | ') + ' |')
}
$meanCells = foreach ($m in $methods) {
    Stat ($finals | Where-Object Method -eq $m | Group-Object Seed | ForEach-Object { ($_.Group | Measure-Object { [double]$_.LocalLoss } -Average).Average })
}
$baseMean = Stat ($start | Group-Object Seed | ForEach-Object { ($_.Group | Measure-Object { [double]$_.Loss } -Average).Average })
[void]$md.AppendLine("| **mean over clients** | $baseMean | " + ($meanCells -join ' | ') + ' |')
[void]$md.AppendLine("`n### Global loss: each client's model on the union of all tasks' test splits, averaged over clients`n")
[void]$md.AppendLine('| method | global loss | global perplexity | local loss | MB communicated (up + down, all rounds) |')
[void]$md.AppendLine('|---|---:|---:|---:|---:|')
foreach ($m in $methods) {
    $rows = $finals | Where-Object Method -eq $m
    $perSeed = $rows | Group-Object Seed
    $g = $perSeed | ForEach-Object { ($_.Group | Measure-Object { [double]$_.GlobalLoss } -Average).Average }
    $l = $perSeed | ForEach-Object { ($_.Group | Measure-Object { [double]$_.LocalLoss } -Average).Average }
    $ppl = [math]::Exp(($g | Measure-Object -Average).Average)
    [void]$md.AppendLine("| $m | $(Stat $g) | $('{0:N2}' -f $ppl) | $(Stat $l) | $('{0:N2}' -f [double]$rows[0].MBCommunicated) |")
}
[void]$md.AppendLine("`n### Clients where a Mira setting beats FedIT (mean local loss over seeds)`n")
foreach ($m in $methods | Where-Object { $_ -like 'Mira*' }) {
    $wins = foreach ($task in $tasks) {
        $mira = ($finals | Where-Object { $_.Method -eq $m -and $_.Task -eq $task } | Measure-Object { [double]$_.LocalLoss } -Average).Average
        $fedit = ($finals | Where-Object { $_.Method -eq 'FedIT' -and $_.Task -eq $task } | Measure-Object { [double]$_.LocalLoss } -Average).Average
        if ($mira -lt $fedit) { $task }
    }
    [void]$md.AppendLine("- $m`: $(@($wins).Count) of $($tasks.Count) clients ($(@($wins) -join ', '))")
}
Set-Content (Join-Path $Results 'mira-tables.md') $md.ToString()

function Series($label, $rows) {
    $runs = [Collections.Generic.List[Collections.Generic.IReadOnlyList[ValueTuple[double, double]]]]::new()
    foreach ($seedGroup in $rows | Group-Object Seed) {
        $points = [Collections.Generic.List[ValueTuple[double, double]]]::new()
        foreach ($r in $seedGroup.Group | Group-Object { [int]$_.Round } | Sort-Object { [int]$_.Name }) {
            $points.Add([ValueTuple[double, double]]::new([double]$r.Name, ($r.Group | Measure-Object { [double]$_.Loss } -Average).Average))
        }
        $runs.Add($points)
    }
    [FedPS.Core.Experiments.CurveSeries]::new($label, $runs)
}
$all = [Collections.Generic.List[FedPS.Core.Experiments.CurveSeries]]::new()
foreach ($m in $methods) { $all.Add((Series $m ($curves | Where-Object Method -eq $m))) }
[FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $Results 'mira-local-loss.png'), $all,
    [FedPS.Core.Experiments.PlotLabels]::new('Mean local test loss over the 8 clients (±1 sd over seeds)', 'round', 'local test loss (nats/token)'), 960, 600)
foreach ($kind in @{ Name = 'translation'; Match = 'translate-*' }, @{ Name = 'continuation'; Match = 'continue-*' }) {
    $series = [Collections.Generic.List[FedPS.Core.Experiments.CurveSeries]]::new()
    foreach ($m in $methods) { $series.Add((Series $m ($curves | Where-Object { $_.Method -eq $m -and $_.Task -like $kind.Match }))) }
    [FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $Results "mira-$($kind.Name).png"), $series,
        [FedPS.Core.Experiments.PlotLabels]::new("Local test loss, $($kind.Name) clients", 'round', 'local test loss (nats/token)'), 960, 600)
}
Get-Content (Join-Path $Results 'mira-tables.md')
