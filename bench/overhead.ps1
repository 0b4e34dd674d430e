#Requires -Version 7.4
<#
.SYNOPSIS
    Measures FedPS's framework overhead on equal work, quiet and beside a busy process, and the quickstart's wall
    time. Prints tables and ratios; asserts nothing.

.DESCRIPTION
    1. FedPS.Bench overhead: one client holding all of MNIST, the MLP, SGD(0.05, momentum 0.9), -Steps steps of
       batch 32 — round 1 of a fresh FedPS server against a hand-written TorchSharp loop from the same weights, on
       the same batches, on the same thread with FedPS's default threading (median of -Repeat, interleaved). Both
       must end with the same parameters: the bench prints the largest difference (0 = the same work, bit for bit).
       Run once on the machine as it is ("quiet") and once beside a competing busy process (a shell busy loop).
    2. The wall time of examples/quickstart.ps1 (FedAvg, MLP, MNIST, 10 clients, 20 rounds) in a fresh pwsh.
    Needs the module built and MNIST installed: dotnet pwsh ./build.ps1 -Task Setup
    Run it under the shared lock: flock /tmp/fedps-heavy.lock dotnet pwsh bench/overhead.ps1
#>
[CmdletBinding()]
param(
    [int] $Steps = 1875,
    [int] $Repeat = 5,
    [switch] $QuietOnly,
    [switch] $SkipQuickstart
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
. (Join-Path $PSScriptRoot 'BenchTools.ps1')
$bench = Get-FedBench

foreach ($load in @('quiet') + @(if (-not $QuietOnly) { 'busy' })) {
    $busy = if ($load -eq 'busy') { Start-BusyProcess }
    try {
        "### $load$(if ($busy) { ' (beside one busy process)' })"
        dotnet $bench overhead mnist $Steps default $Repeat
        if ($LASTEXITCODE -ne 0) { throw "the overhead bench failed (exit code $LASTEXITCODE)" }
        ''
    }
    finally {
        if ($busy) { Stop-Process -Id $busy.Id }
    }
}

if (-not $SkipQuickstart) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$root/out/FedPS/FedPS.psd1'; & '$root/examples/quickstart.ps1'" 6>&1 | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0) { throw "the quickstart failed (exit code $LASTEXITCODE)" }
    'quickstart wall time (fresh pwsh, import to last line): {0:F1} s; load average {1}' -f $clock.Elapsed.TotalSeconds,
        (Get-LoadAverage)
}
