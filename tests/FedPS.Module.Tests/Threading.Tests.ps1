#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# OpenMP reads its environment once, when libtorch loads, so each case needs a fresh pwsh. OMP_DISPLAY_ENV makes
# libgomp print the values it actually read: the proof that FedPS's setting reached the native environment in time.
BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    $pwsh = [Environment]::ProcessPath
    $pwshPrefix = if ((Split-Path $pwsh -LeafBase) -eq 'dotnet') { @("$PSHOME/pwsh.dll") } else { @() }

    function Invoke-FreshPwsh([hashtable] $Environment) {
        $start = [Diagnostics.ProcessStartInfo]::new($pwsh)
        @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$modulePath'; Get-FedDevice | ConvertTo-Json -Compress") | ForEach-Object { $start.ArgumentList.Add($_) }
        foreach ($name in 'OMP_WAIT_POLICY', 'OMP_NUM_THREADS', 'GOMP_SPINCOUNT') { $start.Environment.Remove($name) | Out-Null }
        $start.Environment['OMP_DISPLAY_ENV'] = 'TRUE'
        foreach ($entry in $Environment.GetEnumerator()) { $start.Environment[$entry.Key] = $entry.Value }
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        [pscustomobject]@{ Device = ($stdout | ConvertFrom-Json); OpenMP = $stderr.Result }
    }
}

Describe 'The threading libtorch starts with' -Skip:(-not $IsLinux) {
    It 'is FedPS''s default, set in the native environment before libtorch loaded' {
        $run = Invoke-FreshPwsh @{}
        $run.OpenMP | Should -Match "OMP_WAIT_POLICY = 'PASSIVE'"
        $run.OpenMP | Should -Match "OMP_NUM_THREADS = '1'"
        $run.Device.Threads | Should -Be 1
        $run.Device.WaitPolicy | Should -Be 'PASSIVE'
        $run.Device.ThreadingReason | Should -Match "FedPS's default"
    }

    It 'leaves what the user set alone, and says so' {
        $run = Invoke-FreshPwsh @{ OMP_WAIT_POLICY = 'ACTIVE'; OMP_NUM_THREADS = '2' }
        $run.OpenMP | Should -Match "OMP_WAIT_POLICY = 'ACTIVE'"
        $run.Device.Threads | Should -Be 2
        $run.Device.WaitPolicy | Should -Be 'ACTIVE'
        $run.Device.ThreadingReason | Should -Match 'from OMP_NUM_THREADS in your environment'
        $run.Device.ThreadingReason | Should -Match 'ACTIVE, from your environment'
    }
}
