#Requires -Version 7.4
<#
.SYNOPSIS
    Fans the runs of a sweep out over runspaces (ForEach-Object -Parallel) or machines (Invoke-Command over SSH),
    all writing into one results store. No cluster protocol of our own: PowerShell distributes, SQLite serialises.

.DESCRIPTION
    Each worker runs one run of the plan (Invoke-FedExperiment -Name), which is the same run (same name, swept
    values and key) as in the whole sweep, so -Resume, Get-FedRun and Export-FedPlot treat the results exactly
    as if one Invoke-FedExperiment had produced them.

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
    # Remoting sessions opened by the caller (e.g. with -Port, -UserName, -KeyFilePath); used instead of -HostName.
    [System.Management.Automation.Runspaces.PSSession[]] $Session,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module FedPS)) { Import-Module $ModulePath }
$Database = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Database)
# Each worker gets the config's text and the name of one run, and runs just that run of the plan: names, swept
# values and keys are exactly those of the whole sweep.
$configText = Get-Content -Raw $Config
$names = (Get-FedExperimentPlan $Config).Name

$worker = {
    param($ConfigText, [string[]] $RunNames, $Database, $ModulePath)
    Import-Module $ModulePath
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    $file = Join-Path ([IO.Path]::GetTempPath()) "fedps-sweep-$([guid]::NewGuid()).yaml"
    Set-Content $file $ConfigText
    try {
        Invoke-FedExperiment $file -Name ($RunNames | ForEach-Object { [WildcardPattern]::Escape($_) }) -Database $Database -Resume |
            Select-Object Name, Status, TestAccuracy
    }
    finally {
        Remove-Item $file
    }
}

if ($HostName -or $Session) {
    $sessions = if ($Session) { $Session } else { New-PSSession -HostName $HostName }
    try {
        # Deal the runs round-robin over the sessions; a session runs one command at a time, so each gets one job
        # that runs its share.
        $jobs = for ($i = 0; $i -lt $sessions.Count; $i++) {
            $share = @(for ($j = $i; $j -lt $names.Count; $j += $sessions.Count) { $names[$j] })
            if ($share.Count -gt 0) {
                Invoke-Command -Session $sessions[$i] -ScriptBlock $worker -ArgumentList $configText, $share, $Database, $ModulePath -AsJob
            }
        }
        $jobs | Receive-Job -Wait -AutoRemoveJob
    }
    finally {
        if (-not $Session) { $sessions | Remove-PSSession }
    }
}
else {
    # A script block cannot cross into -Parallel runspaces; its text can.
    $workerText = $worker.ToString()
    $module = (Resolve-Path $ModulePath).Path
    $names | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
        & ([scriptblock]::Create($using:workerText)) $using:configText $_ $using:Database $using:module
    }
}
