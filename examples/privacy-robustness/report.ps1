#Requires -Version 7.4
<#
.SYNOPSIS
    Turns the stores of run.ps1 into docs/results/privacy-robustness.md's tables and PNGs.
.DESCRIPTION
    Reads runs/privacy-robustness/<config>.sqlite with Get-FedRun. Accuracy is the test accuracy of the last round
    (the tuning stores: the mean validation accuracy of the last three evaluated rounds). Every "±" is the half-width
    of a 95 % confidence interval over seeds, mean ± t(0.975, n − 1)·s/√n. The tables are printed (with -Tune only the
    tuning tables, whose winners the final configs use) and written to <RunsFolder>/tables.md; the PNGs go to
    <Output>/privacy-robustness/.
.EXAMPLE
    dotnet pwsh -NoProfile -File examples/privacy-robustness/report.ps1 -Tune
#>
[CmdletBinding()]
param(
    [string] $RunsFolder = (Join-Path $PSScriptRoot '../../runs/privacy-robustness'),
    [string] $Output = (Join-Path $PSScriptRoot '../../docs/results'),
    [switch] $Tune
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1') }
$inv = [cultureinfo]::InvariantCulture
$figures = Join-Path $Output 'privacy-robustness'
New-Item -ItemType Directory -Force -Path $figures | Out-Null

function Get-Runs([string] $Name) {
    $path = Join-Path $RunsFolder "$Name.sqlite"
    if (-not (Test-Path $path)) { Write-Warning "No store ${path}: run run.ps1 first."; return @() }
    @(Get-FedRun $path | Where-Object Status -eq 'complete')
}

# Mean and 95 % CI half-width over seeds (Student's t).
function Get-Interval([double[]] $Values) {
    $t = @{ 2 = 12.706; 3 = 4.303; 4 = 3.182; 5 = 2.776; 6 = 2.571; 8 = 2.365; 10 = 2.262 }
    $n = $Values.Count
    $mean = ($Values | Measure-Object -Average).Average
    if ($n -lt 2) { return [pscustomobject]@{ Mean = $mean; Half = [double]::NaN; N = $n } }
    $sd = [math]::Sqrt(($Values | ForEach-Object { ($_ - $mean) * ($_ - $mean) } | Measure-Object -Sum).Sum / ($n - 1))
    [pscustomobject]@{ Mean = $mean; Half = $t[$n] * $sd / [math]::Sqrt($n); N = $n }
}

function Format-Percent($Interval) {
    if ([double]::IsNaN($Interval.Half)) { return [string]::Format($inv, '{0:0.0} %', 100 * $Interval.Mean) }
    [string]::Format($inv, '{0:0.0} ± {1:0.0} %', 100 * $Interval.Mean, 100 * $Interval.Half)
}

function Get-Evaluated($Run) { @($Run.Rounds | Where-Object { [double]::IsFinite($_.TestAccuracy) }) }

# A tuning run's score: the mean validation accuracy of its last three evaluated rounds.
function Get-ValidationScore($Run) { (Get-Evaluated $Run | Select-Object -Last 3).TestAccuracy | Measure-Object -Average | ForEach-Object Average }

# A DP run's setting as a key: noise multiplier, learning rate and clipping norm.
function Get-DpSetting($Run) {
    [string]::Format($inv, 'z={0} lr={1} S={2}', [double] $Run.ConfigValue('privacy.noiseMultiplier'), [double] $Run.ConfigValue('optimizer.learningRate'),
        [double] $Run.ConfigValue('privacy.clipNorm'))
}

# The setting the validation split chose for each noise multiplier: tune-dp's best at z = 1, tune-dp-z's at the others.
function Get-ValidatedDpSettings {
    foreach ($name in 'tune-dp', 'tune-dp-z') {
        Get-Runs $name | Group-Object { $_.ConfigValue('privacy.noiseMultiplier') } |
            ForEach-Object { Get-DpSetting ($_.Group | Sort-Object { Get-ValidationScore $_ } -Descending | Select-Object -First 1) }
    }
}

# One curve per group, one run per seed; X from the round result.
function Save-Curves([string] $File, [object[]] $Groups, [scriptblock] $X, [string] $Title, [string] $XLabel) {
    $series = [System.Collections.Generic.List[FedPS.Core.Experiments.CurveSeries]]::new()
    foreach ($group in $Groups) {
        $runs = [System.Collections.Generic.List[System.Collections.Generic.IReadOnlyList[System.ValueTuple[double, double]]]]::new()
        foreach ($run in $group.Runs) {
            $cumulative = 0.0
            $points = foreach ($round in $run.Rounds) {
                $at = & $X $round ([ref] $cumulative)
                if ([double]::IsFinite($round.TestAccuracy) -and [double]::IsFinite($at)) { [System.ValueTuple[double, double]]::new($at, 100 * $round.TestAccuracy) }
            }
            $runs.Add([System.ValueTuple[double, double][]] @($points))
        }
        $series.Add([FedPS.Core.Experiments.CurveSeries]::new($group.Label, $runs))
    }
    [FedPS.Core.Experiments.CurvePlot]::SavePng((Join-Path $figures $File), $series, [FedPS.Core.Experiments.PlotLabels]::new($Title, $XLabel, 'test accuracy (%)'))
}

function Write-TuningTable([string] $Name, [string[]] $Keys, [string] $Per) {
    # -Per: the best run is chosen within each value of that key (e.g. one clipping norm per noise multiplier).
    $runs = Get-Runs $Name
    if ($runs.Count -eq 0) { return }
    "#### $Name (validation accuracy, mean of the last three evaluated rounds; seed 0$(if ($Per) { "; the best run chosen per $($Per.Split('.')[-1])" }))"
    ''
    '| ' + ($Keys -join ' | ') + ' | validation accuracy |'
    '|' + ('---|' * ($Keys.Count + 1))
    $scored = foreach ($run in $runs) { [pscustomobject]@{ Run = $run; Score = (Get-ValidationScore $run) } }
    $best = @($scored | Group-Object { if ($Per) { $_.Run.ConfigValue($Per) } } | ForEach-Object { ($_.Group | Sort-Object Score -Descending | Select-Object -First 1).Run.Key })
    $ordered = $scored | Sort-Object -Property @($Keys | ForEach-Object { $key = $_; { [double] $_.Run.ConfigValue($key) }.GetNewClosure() })
    foreach ($row in $ordered) {
        $values = $Keys | ForEach-Object { $row.Run.ConfigValue($_) }
        $mark = if ($row.Run.Key -in $best) { ' **(chosen)**' } else { '' }
        '| ' + ($values -join ' | ') + ' | ' + [string]::Format($inv, '{0:0.00} %', 100 * $row.Score) + $mark + ' |'
    }
    ''
}

$text = [System.Collections.Generic.List[string]]::new()
$text.Add('### Tuning (validation split)')
$text.Add('')
$text.AddRange([string[]] @(Write-TuningTable 'tune-dp' 'optimizer.learningRate', 'privacy.clipNorm'))
$text.AddRange([string[]] @(Write-TuningTable 'tune-dp-z' 'privacy.noiseMultiplier', 'optimizer.learningRate', 'privacy.clipNorm' -Per 'privacy.noiseMultiplier'))
$text.AddRange([string[]] @(Write-TuningTable 'tune-nonprivate' @('optimizer.learningRate')))
$text.AddRange([string[]] @(Write-TuningTable 'tune-federation' @('optimizer.learningRate')))
$text.AddRange([string[]] @(Write-TuningTable 'tune-availability' @('optimizer.learningRate')))
if ($Tune) { $text; return }

# --- DP-FedAvg ---------------------------------------------------------------------------------------------------
$dp = @(Get-Runs 'dp') + @(Get-Runs 'dp-z') + @(Get-Runs 'dp-nonprivate')
if ($dp.Count -gt 0) {
    $validated = @(Get-ValidatedDpSettings)
    $groups = $dp | Group-Object {
        $z = $_.ConfigValue('privacy.noiseMultiplier')
        $lr = $_.ConfigValue('optimizer.learningRate')
        if ($null -eq $z) { 'non-private' }
        elseif ($_.ConfigValue('privacy.adaptiveClip') -eq 'true') { "z = $z, adaptive S, lr = $lr" }
        else { "z = $z, S = $($_.ConfigValue('privacy.clipNorm')), lr = $lr$(if ((Get-DpSetting $_) -in $validated) { ' (validated)' })" }
    } | Sort-Object { $_.Name -ne 'non-private' }, { [double] $_.Group[0].ConfigValue('privacy.noiseMultiplier') }, { $_.Name -match 'adaptive' },
        { [double] $_.Group[0].ConfigValue('privacy.clipNorm') }, { [double] $_.Group[0].ConfigValue('optimizer.learningRate') }
    $text.Add('### DP-FedAvg: accuracy against ε')
    $text.Add('')
    $text.Add('| run | ε after 25 rounds | ε after 50 | ε after 100 | test accuracy after 25 | after 50 | after 100 | final clip norm S |')
    $text.Add('|---|---|---|---|---|---|---|---|')
    foreach ($group in $groups) {
        $at = { param($r) $group.Group | ForEach-Object { ($_.Rounds | Where-Object Round -eq $r).TestAccuracy } }
        $eps = { param($r) $e = ($group.Group[0].Rounds | Where-Object Round -eq $r).Epsilon; if ([double]::IsNaN($e)) { '∞' } else { [string]::Format($inv, '{0:0.00}', $e) } }
        $clip = ($group.Group | ForEach-Object { $_.Rounds[-1].Metrics['clipNorm'] } | Measure-Object -Average).Average
        $text.Add("| $($group.Name) | $(& $eps 25) | $(& $eps 50) | $(& $eps 100) | $(Format-Percent (Get-Interval (& $at 25))) | $(Format-Percent (Get-Interval (& $at 50))) | $(Format-Percent (Get-Interval (& $at 100))) | $(if ($clip) { [string]::Format($inv, '{0:0.###}', $clip) } else { '-' }) |")
    }
    $text.Add('')
    # The figures show each z at its validated setting (and the adaptive run); the table has every setting run.
    $private = @($groups | Where-Object Name -match 'validated|adaptive' | ForEach-Object { @{ Label = $_.Name; Runs = $_.Group } })
    Save-Curves 'dp-accuracy-epsilon.png' $private { param($r, $c) $r.Epsilon } 'DP-FedAvg on MNIST: test accuracy against ε (δ = 1e-5)' 'ε'
    Save-Curves 'dp-accuracy-rounds.png' @($groups | Where-Object Name -match 'validated|adaptive|non-private' | ForEach-Object { @{ Label = $_.Name; Runs = $_.Group } }) { param($r, $c) $r.Round } 'DP-FedAvg on MNIST: test accuracy against rounds' 'round'
}

# --- Robustness --------------------------------------------------------------------------------------------------
$robust = Get-Runs 'robustness'
if ($robust.Count -gt 0) {
    $fractions = $robust | ForEach-Object { [double] $_.ConfigValue('attack.fraction') } | Sort-Object -Unique
    $text.Add('### Robust aggregation against sign-flipping clients: final test accuracy')
    $text.Add('')
    $text.Add('| aggregator | ' + (($fractions | ForEach-Object { [string]::Format($inv, '{0:0} % attackers', 100 * $_) }) -join ' | ') + ' |')
    $text.Add('|---|' + ('---|' * $fractions.Count))
    foreach ($group in $robust | Group-Object { $_.Strategy }) {
        $cells = foreach ($f in $fractions) {
            Format-Percent (Get-Interval @($group.Group | Where-Object { [double] $_.ConfigValue('attack.fraction') -eq $f } | ForEach-Object TestAccuracy))
        }
        $knob = switch ($group.Name) {
            'FedTrimmedAvg' { ' (β = ' + $group.Group[0].ConfigValue('strategy.options.beta') + ')' }
            'Krum' { ' (f = ' + $group.Group[0].ConfigValue('strategy.options.byzantineClients') + ')' }
            default { '' }
        }
        $text.Add("| $($group.Name)$knob | $($cells -join ' | ') |")
    }
    $text.Add('')
    $worst = $fractions[-1]
    Save-Curves 'robustness-rounds.png' @($robust | Where-Object { [double] $_.ConfigValue('attack.fraction') -eq $worst } | Group-Object Strategy | ForEach-Object { @{ Label = $_.Name; Runs = $_.Group } }) { param($r, $c) $r.Round } ([string]::Format($inv, 'MNIST with {0:0} % sign-flipping clients: test accuracy against rounds', 100 * $worst)) 'round'
}

# --- Compression ---------------------------------------------------------------------------------------------------
$compressed = Get-Runs 'compression'
if ($compressed.Count -gt 0) {
    $label = {
        param($run)
        $method = $run.ConfigValue('compression.method')
        $ef = if ($run.ConfigValue('compression.errorFeedback') -eq 'true') { ' + EF' } else { '' }
        switch ($method) {
            $null { 'none (float32)' }
            'TopK' { [string]::Format($inv, 'top-k {0:0.#} %{1}', 100 * [double] $run.ConfigValue('compression.ratio'), $ef) }
            'Qsgd' { "QSGD s = $($run.ConfigValue('compression.levels'))$ef" }
            'EightBit' { "8-bit$ef" }
            'Sign' { "1-bit sign$ef" }
        }
    }
    $groups = $compressed | Group-Object { & $label $_ }
    $text.Add('### Update compression: accuracy against megabytes sent')
    $text.Add('')
    $text.Add('| method | uplink MB per client-round | uplink MB, whole run | downlink MB, whole run | final test accuracy |')
    $text.Add('|---|---|---|---|---|')
    foreach ($group in $groups | Sort-Object { -($_.Group[0].Rounds.BytesUp | Measure-Object -Sum).Sum }) {
        $run = $group.Group[0]
        $up = ($run.Rounds.BytesUp | Measure-Object -Sum).Sum
        $down = ($run.Rounds.BytesDown | Measure-Object -Sum).Sum
        $perClient = ($run.Rounds | ForEach-Object { $_.BytesUp / [math]::Max(1, $_.ClientResults.Count) } | Measure-Object -Average).Average
        $text.Add([string]::Format($inv, '| {0} | {1:0.0000} | {2:0.00} | {3:0.00} | {4} |', $group.Name, $perClient / 1e6, $up / 1e6, $down / 1e6, (Format-Percent (Get-Interval ($group.Group.TestAccuracy)))))
    }
    $text.Add('')
    Save-Curves 'compression-accuracy-megabytes.png' @($groups | ForEach-Object { @{ Label = $_.Name; Runs = $_.Group } }) { param($r, $c) $c.Value += $r.BytesUp / 1e6; [math]::Log10($c.Value) } 'MNIST: test accuracy against uplink megabytes sent (log scale)' 'log10(cumulative uplink MB)'
}

# --- Availability ---------------------------------------------------------------------------------------------------
$available = Get-Runs 'availability'
if ($available.Count -gt 0) {
    $label = {
        param($run)
        $p = $run.ConfigValue('availability.dropoutProbability'); $d = $run.ConfigValue('availability.deadline')
        if ($null -eq $p) { 'every client available' } elseif ($d -and $d -ne 'null') { "deadline $d s" } else { [string]::Format($inv, 'dropout {0:0} %', 100 * [double] $p) }
    }
    $groups = $available | Group-Object { & $label $_ }
    $text.Add('### Client availability: accuracy against rounds')
    $text.Add('')
    $text.Add('| setting | sampled per round | unavailable per round | late per round | simulated s per round | test accuracy after 20 rounds | after 60 |')
    $text.Add('|---|---|---|---|---|---|---|')
    foreach ($group in $groups | Sort-Object Name) {
        $rounds = $group.Group.Rounds
        $metric = { param($key) $values = @($rounds | ForEach-Object { $_.Metrics[$key] }); if ($null -eq $values[0]) { '-' } else { [string]::Format($inv, '{0:0.0}', ($values | Measure-Object -Average).Average) } }
        $at = { param($r) $group.Group | ForEach-Object { ($_.Rounds | Where-Object Round -eq $r).TestAccuracy } }
        $text.Add([string]::Format($inv, '| {0} | 20 | {1} | {2} | {3} | {4} | {5} |', $group.Name, (& $metric 'unavailableClients'), (& $metric 'lateClients'),
                (& $metric 'roundSeconds'), (Format-Percent (Get-Interval (& $at 20))), (Format-Percent (Get-Interval (& $at 60)))))
    }
    $text.Add('')
    Save-Curves 'availability-rounds.png' @($groups | ForEach-Object { @{ Label = $_.Name; Runs = $_.Group } }) { param($r, $c) $r.Round } 'MNIST, Dirichlet(0.3): test accuracy against rounds' 'round'
}

$text
Set-Content (Join-Path $RunsFolder 'tables.md') $text
