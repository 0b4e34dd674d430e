#Requires -Version 7.4
<#
.SYNOPSIS
    Measures FedPS's framework overhead and the quickstart's wall time; prints ratios, asserts nothing.

.DESCRIPTION
    1. bench/FedPS.Bench overhead: one client, the same MLP, the same batches and steps — a FedPS round against a
       hand-written TorchSharp loop in the same process (median of 5, interleaved). Target ratio <= 1.05.
    2. The wall time of examples/quickstart.ps1 (FedAvg, MLP, MNIST, 10 clients, 20 rounds) in a fresh pwsh.
    Needs the module built and MNIST installed: dotnet pwsh ./build.ps1 -Task Setup
#>
[CmdletBinding()]
param(
    [int] $Steps = 1875,
    [switch] $SkipQuickstart
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
dotnet run --project (Join-Path $root 'bench/FedPS.Bench') -c Release -- overhead mnist $Steps
if ($LASTEXITCODE -ne 0) { throw "the overhead bench failed (exit code $LASTEXITCODE)" }

if (-not $SkipQuickstart) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$root/out/FedPS/FedPS.psd1'; & '$root/examples/quickstart.ps1'" | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0) { throw "the quickstart failed (exit code $LASTEXITCODE)" }
    '{0,-32}{1,8:F1} s' -f 'quickstart wall time (fresh pwsh)', $clock.Elapsed.TotalSeconds
}
