# Helpers the Pester files share; dot-source it in BeforeAll: . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

# Runs a script in a new pwsh (as the terminal would: its own process, stdout and stderr apart) and returns what it
# wrote and its exit code. -Environment sets variables of the child (a $null value removes one).
function Invoke-Pwsh {
    param([string] $Script, [hashtable] $Environment = @{}, [string] $WorkingDirectory)

    $pwsh = [Environment]::ProcessPath
    $start = [Diagnostics.ProcessStartInfo]::new($pwsh)
    if ((Split-Path $pwsh -LeafBase) -eq 'dotnet') { $start.ArgumentList.Add("$PSHOME/pwsh.dll") }   # pwsh as a .NET tool
    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', $Script) { $start.ArgumentList.Add($argument) }
    foreach ($entry in $Environment.GetEnumerator()) {
        if ($null -eq $entry.Value) { $start.Environment.Remove($entry.Key) | Out-Null } else { $start.Environment[$entry.Key] = $entry.Value }
    }
    if ($WorkingDirectory) { $start.WorkingDirectory = $WorkingDirectory }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $stdout = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    [pscustomobject]@{ Out = $stdout; Err = $stderr.Result; ExitCode = $process.ExitCode }
}

# The error a command reports, terminating (a whole-command failure) or not (one item's), as a script with
# -ErrorAction Stop sees it; $null when there is none.
function Get-ErrorRecord([scriptblock] $Script) {
    $ErrorActionPreference = 'Stop'
    try { & $Script | Out-Null; $null } catch { $_ }
}
