#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the privacy, robustness, compression and availability comparisons (docs/results/privacy-robustness.md).
.DESCRIPTION
    Each phase is one or more YAML sweeps in this folder, run with Invoke-FedExperiment into its own SQLite store
    under -Output, two runs at a time, one torch thread each. Phases resume: run the same command again after an
    interruption and finished runs are skipped, unfinished ones continue from their checkpoints.
      Tune          tune-dp.yaml, tune-dp-z.yaml, tune-nonprivate.yaml, tune-federation.yaml, tune-availability.yaml:
                    learning rates and the clipping norm (tune-dp-z: both again per noise multiplier), on
                    a validation split carved from the training data (report.ps1 -Tune prints the winners, which the
                    final configs below use; each grid was extended until its winner was inside it).
      Dp            dp.yaml, dp-z.yaml (z = 1.5 and 2 at their own validated setting), dp-nonprivate.yaml
      Robustness    robustness.yaml
      Compression   compression.yaml
      Availability  availability.yaml
    report.ps1 turns the stores into docs/results/privacy-robustness.md and its PNGs.
.EXAMPLE
    dotnet pwsh -NoProfile -File examples/privacy-robustness/run.ps1 -Phase Tune
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateSet('Tune', 'Dp', 'Robustness', 'Compression', 'Availability')]
    [string[]] $Phase,
    [string] $Output = (Join-Path $PSScriptRoot '../../runs/privacy-robustness'),
    [int] $ThrottleLimit = 2
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1') }
Set-FedDevice -Name cpu -Threads $ThrottleLimit | Out-Null # the runner gives each of its workers one thread
New-Item -ItemType Directory -Force -Path $Output | Out-Null
$configs = @{
    Tune = 'tune-dp', 'tune-dp-z', 'tune-nonprivate', 'tune-federation', 'tune-availability'
    Dp = 'dp', 'dp-z', 'dp-nonprivate'
    Robustness = , 'robustness'
    Compression = , 'compression'
    Availability = , 'availability'
}
foreach ($name in $Phase | ForEach-Object { $configs[$_] }) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $store = Join-Path $Output "$name.sqlite"
    $runs = Invoke-FedExperiment (Join-Path $PSScriptRoot "$name.yaml") -Database $store -ThrottleLimit $ThrottleLimit -Resume -CheckpointPath (Join-Path $Output "$name-checkpoints")
    Write-Host ('{0}: {1} runs ({2}) in {3:N0} s' -f $name, $runs.Count, (($runs.Status | Group-Object | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '), $clock.Elapsed.TotalSeconds)
}
