#Requires -Version 7.4
<#
.SYNOPSIS
    Fans the runs of a sweep out over runspaces (ForEach-Object -Parallel) or machines (Invoke-Command over SSH),
    all writing into one results store. No cluster protocol of our own: PowerShell distributes, SQLite serialises.

.DESCRIPTION
    Each worker runs one point of the plan as a single-run config (the point's resolved settings with its seed),
    which is the same run (same key) as in the whole sweep, so -Resume, Get-FedRun and Export-FedPlot treat the
    results exactly as if one Invoke-FedExperiment had produced them.

    -HostName runs the workers through PowerShell remoting over SSH (each host needs pwsh with FedPS at
    -ModulePath and an sshd 'Subsystem powershell' entry). All hosts must reach -Database on a local disk of one
    machine: SQLite's locking is not reliable on network file systems, so for many machines give each host its own
    store (e.g. "runs/$env:HOSTNAME.sqlite") and merge them afterwards with Get-FedRun | Export-FedResult.

.EXAMPLE
    ./examples/distribute-sweep.ps1 -Config examples/digits-sweep.yaml -Database runs/digits.sqlite -ThrottleLimit 2

.EXAMPLE
    ./examples/distribute-sweep.ps1 -Config examples/digits-sweep.yaml -Database /data/digits.sqlite -HostName localhost
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Config,
    [Parameter(Mandatory)] [string] $Database,
    [int] $ThrottleLimit = 2,
    [string[]] $HostName,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module $ModulePath }
$Database = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Database)
# One resolved single-run config per point: the plan's canonical JSON, which binds back to the same run.
$points = Get-FedExperimentPlan $Config | ForEach-Object { $_.ConfigJson | ConvertFrom-Json -AsHashtable }

$worker = {
    param($Point, $Database, $ModulePath)
    Import-Module $ModulePath
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    Invoke-FedExperiment $Point -Database $Database -Resume | Select-Object Name, Status, TestAccuracy
}

if ($HostName) {
    $sessions = New-PSSession -HostName $HostName
    try {
        # Round-robin the points over the hosts; each host runs its share one after another.
        $jobs = for ($i = 0; $i -lt $points.Count; $i++) {
            Invoke-Command -Session $sessions[$i % $sessions.Count] -ScriptBlock $worker -ArgumentList $points[$i], $Database, $ModulePath -AsJob
        }
        $jobs | Receive-Job -Wait -AutoRemoveJob
    }
    finally {
        $sessions | Remove-PSSession
    }
}
else {
    $module = (Resolve-Path $ModulePath).Path
    $points | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
        & $using:worker $_ $using:Database $using:module
    }
}
