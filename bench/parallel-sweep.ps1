#Requires -Version 7.4
<#
.SYNOPSIS
    Measures how to spend 2 cores on a sweep: Invoke-FedExperiment's defaults, one run at a time with 2 torch
    threads, or 2 runs at once (-ThrottleLimit 2) with 1 torch thread each. Prints a markdown table of wall times.

.DESCRIPTION
    The sweep is 4 runs (2 learning rates x 2 seeds) of FedAvg on digits, MLP 64, 8 clients, 10 rounds; each
    configuration runs -Repeat times, alternating, into a fresh store. Invoke-FedExperiment divides the session's
    torch threads by -ThrottleLimit, so "2 threads, throttle 2" gives each worker 1 thread.
#>
param([int] $Repeat = 3, [int] $Rounds = 10, [string] $Architecture = 'Mlp')

$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchTools.ps1')
Import-Module (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')
$folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-bench-$([guid]::NewGuid())")).FullName
$config = [ordered]@{
    name = 'bench'; dataset = 'digits'; clients = 8; rounds = $Rounds
    partition = @{ kind = 'Dirichlet'; alpha = 0.5 }
    model = @{ architecture = $Architecture; hiddenSizes = @(64) }; training = @{ batchSize = 16 }
    optimizer = [ordered]@{ name = 'Sgd'; learningRate = 0.05; momentum = 0.9 }
    sweep = @{ 'optimizer.learningRate' = @(0.02, 0.05) }
    seeds = @(1, 2)
}
$setups = @(
    @{ Label = "defaults: -ThrottleLimit $([Environment]::ProcessorCount) (one per core), 1 thread each"; Threads = 1; Throttle = $null }
    @{ Label = '1 worker x 2 torch threads'; Threads = 2; Throttle = 1 }
    @{ Label = '2 workers x 1 torch thread'; Threads = 2; Throttle = 2 }
    @{ Label = '1 worker x 1 torch thread'; Threads = 1; Throttle = 1 }
)
Invoke-FedExperiment $config -Database (Join-Path $folder 'warmup.sqlite') | Out-Null  # load data, JIT
"(load average at start: $(Get-LoadAverage))"
$times = @{}
for ($i = 0; $i -lt $Repeat; $i++) {
    foreach ($setup in $setups) {
        Set-FedDevice -Name cpu -Threads $setup.Threads | Out-Null
        $db = Join-Path $folder "$i-$($setups.IndexOf($setup)).sqlite"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $throttle = if ($setup.Throttle) { @{ ThrottleLimit = $setup.Throttle } } else { @{} }
        Invoke-FedExperiment $config -Database $db @throttle | Out-Null
        $times[$setup.Label] += @($clock.Elapsed.TotalSeconds)
    }
}
function Get-Median([double[]] $Values) { $sorted = $Values | Sort-Object; $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }
$base = Get-Median $times[$setups[1].Label]
"| setup ($Architecture, 4 runs x $Rounds rounds) | median wall time (s) | best (s) | all $Repeat repeats (s) | speed-up of the median vs 1 worker x 2 threads |"
'|---|---|---|---|---|'
foreach ($setup in $setups) {
    $t = $times[$setup.Label]
    $median = Get-Median $t
    '| {0} | {1:N2} | {2:N2} | {3} | {4:N2}x |' -f $setup.Label, $median, ($t | Measure-Object -Minimum).Minimum,
        (($t | ForEach-Object { $_.ToString('N2') }) -join ', '), ($base / $median)
}
"(load average at the end: $(Get-LoadAverage))"

Remove-Item $folder -Recurse -Force
