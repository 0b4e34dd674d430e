#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Crash safety and distribution: a sweep killed with SIGKILL resumes to bit-identical results, and several
# threads and processes write into one store without losing a row.
BeforeAll {
    $modulePath = (Resolve-Path ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1'))).Path
    Import-Module $modulePath -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-resume-$([guid]::NewGuid())")).FullName
    # This pwsh, whether it runs as its own executable or as a .NET tool (dotnet pwsh.dll).
    $pwsh = [Environment]::ProcessPath
    $pwshPrefix = if ((Split-Path $pwsh -LeafBase) -eq 'dotnet') { @("$PSHOME/pwsh.dll") } else { @() }

    # Two seeds, 40 rounds each (about a second of compute per 10 rounds), so the kill lands mid-run.
    $config = Join-Path $folder 'kill.yaml'
    Set-Content $config @'
name: kill
dataset: digits
clients: 6
rounds: 40
partition: { kind: Dirichlet, alpha: 1.0 }
model: { hiddenSizes: [32] }
training: { batchSize: 16, epochs: 2 }
optimizer: { name: Sgd, learningRate: 0.05, momentum: 0.9 }
seeds: [1, 2]
'@

    function Start-Pwsh([string] $Script, [switch] $CaptureErrors) {
        $start = [Diagnostics.ProcessStartInfo]::new($pwsh)
        @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-Command', $Script) | ForEach-Object { $start.ArgumentList.Add($_) }
        $start.UseShellExecute = $false
        $start.RedirectStandardError = [bool] $CaptureErrors
        [Diagnostics.Process]::Start($start)
    }

    # Waits until the store shows a running run with at least $Rounds rounds (or the process ended).
    function Wait-Running([string] $Database, [Diagnostics.Process] $Process, [int] $Rounds) {
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        do {
            Start-Sleep -Milliseconds 200
            # The store may exist before its tables do (the sweep is creating it): then nothing has run yet.
            $progress = try { (Get-FedRun $Database -ErrorAction Stop | Where-Object Status -EQ 'running').RoundsCompleted } catch { 0 }
        } until (($progress | Measure-Object -Maximum).Maximum -ge $Rounds -or $Process.HasExited -or [DateTime]::UtcNow -gt $deadline)
    }

    function Start-Sweep([string] $Database, [string] $Config = $config) {
        Start-Pwsh ("Import-Module '$modulePath'; Set-FedDevice -Name cpu -Threads 1 | Out-Null; " +
            "Invoke-FedExperiment '$Config' -Database '$Database' -ThrottleLimit 2 -Resume | Out-Null")
    }

    # The same sweep ten times as long: a signal test must never find it already finished, however loaded the machine.
    $longConfig = Join-Path $folder 'long.yaml'
    (Get-Content $config -Raw) -replace 'rounds: 40', 'rounds: 400' | Set-Content $longConfig
}
AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

Describe 'A sweep killed with kill -9' {
    It 'resumes to final parameters and metrics bit-identical to an uninterrupted run, with no duplicate or partial rows' {
        $killedDb = Join-Path $folder 'killed.sqlite'
        $process = Start-Sweep $killedDb
        Wait-Running $killedDb $process -Rounds 5
        $process.HasExited | Should -BeFalse -Because 'the sweep must still be running when it is killed'
        & kill -9 $process.Id
        $process.WaitForExit()

        $interrupted = Get-FedRun $killedDb
        $interrupted | Where-Object Status -NE 'complete' | Should -Not -BeNullOrEmpty
        $output = Invoke-FedExperiment $config -Database $killedDb -ThrottleLimit 2 -Resume -Verbose 4>&1
        $resumed = $output | Where-Object { $_ -is [FedPS.Core.Experiments.FedRun] }
        $output | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match 'resuming after round [1-9]' } |
            Should -Not -BeNullOrEmpty -Because 'the killed run continues from its checkpoint, not from round 0'

        $reference = Invoke-FedExperiment $config -Database (Join-Path $folder 'straight.sqlite') -ThrottleLimit 2
        $final = Get-FedRun $killedDb | Sort-Object Seed
        $final.Status | Should -Be @('complete', 'complete')
        foreach ($i in 0, 1) {
            $final[$i].Rounds.Round | Should -Be (1..40) -Because 'each round is stored exactly once'
            $final[$i].ParametersSha256 | Should -Be ($reference | Sort-Object Seed)[$i].ParametersSha256
            $final[$i].Rounds.TestLoss | Should -Be ($reference | Sort-Object Seed)[$i].Rounds.TestLoss
            $final[$i].Rounds.TrainLoss | Should -Be ($reference | Sort-Object Seed)[$i].Rounds.TrainLoss
            ($final[$i].Rounds.ClientResults | Measure-Object).Count | Should -Be (40 * 6)
        }
        $resumed | Should -HaveCount 2
    }
}

Describe 'Several writers into one store' {
    It 'fans sweep points out with ForEach-Object -Parallel (examples/distribute-sweep.ps1) and loses no row' {
        $db = Join-Path $folder 'parallel.sqlite'
        $yaml = Join-Path $folder 'fan.yaml'
        Set-Content $yaml "name: fan`ndataset: digits`nclients: 3`nrounds: 2`nmodel: { hiddenSizes: [16] }`nstrategy: { name: FedAvg }`nsweep: { optimizer.learningRate: [0.05, 0.1] }`nseeds: [1, 2]`n"

        $out = & (Join-Path $PSScriptRoot '../../examples/distribute-sweep.ps1') -Config $yaml -Database $db -ThrottleLimit 4 -ModulePath $modulePath

        $out | Should -HaveCount 4
        $runs = Get-FedRun $db
        $runs | Should -HaveCount 4
        ($runs.Rounds | Measure-Object).Count | Should -Be 8
        ($runs.Name | Sort-Object) | Should -Be ((Get-FedExperimentPlan $yaml).Name | Sort-Object) -Because 'each worker ran one run of the sweep'
        ($runs.Key | Sort-Object) | Should -Be ((Get-FedExperimentPlan $yaml).Key | Sort-Object)
        (TabExpansion2 "Invoke-FedExperiment '$yaml' -Name fan/learningRate=0.1").CompletionMatches.ListItemText |
            Should -Be @('fan/learningRate=0.1/seed=1', 'fan/learningRate=0.1/seed=2')
    }

    It 'takes rows from two processes at once' {
        $db = Join-Path $folder 'processes.sqlite'
        $processes = 1, 2 | ForEach-Object {
            $script = "Import-Module '$modulePath'; Set-FedDevice -Name cpu -Threads 1 | Out-Null; " +
                "Invoke-FedExperiment @{ name = 'proc'; dataset = 'digits'; clients = 3; rounds = 4; model = @{ hiddenSizes = @(16) }; seeds = @($($_ * 10 + 1), $($_ * 10 + 2)) } -Database '$db' | Out-Null"
            Start-Pwsh $script
        }
        $processes | ForEach-Object { $_.WaitForExit() }
        $processes.ExitCode | Should -Be @(0, 0)
        $runs = Get-FedRun $db
        $runs | Should -HaveCount 4
        ($runs.Rounds | Measure-Object).Count | Should -Be 16
    }
}

Describe 'A sweep whose process is told to end' {
    It 'marks its running runs interrupted on SIG<_>, never leaving them running' -ForEach 'TERM', 'HUP' {
        # A signal ignored by this process (nohup ignores SIGHUP) stays ignored in every child, which then never sees it.
        $ignored = [Convert]::ToUInt64(((Get-Content /proc/self/status | Select-String '^SigIgn:') -split '\s+')[1], 16)
        if ($_ -eq 'HUP' -and ($ignored -band 1)) { Set-ItResult -Skipped -Because 'SIGHUP is ignored here (started under nohup?), so the sweep would never receive it'; return }
        $db = Join-Path $folder "signal-$_.sqlite"
        $process = Start-Sweep $db $longConfig
        Wait-Running $db $process -Rounds 2
        $process.HasExited | Should -BeFalse -Because 'the sweep must still be running when the signal arrives'

        & kill "-$_" $process.Id
        $process.WaitForExit()

        $runs = Get-FedRun $db
        $runs.Status | Should -Not -Contain 'running'
        $interrupted = $runs | Where-Object Status -EQ 'interrupted'
        $interrupted | Should -Not -BeNullOrEmpty
        $interrupted[0].Error | Should -Match 'process exited'
    }
}

Describe 'Two processes running the same sweep into one store' {
    BeforeAll {
        $shared = Join-Path $folder 'shared.yaml'
        Set-Content $shared "name: shared`ndataset: digits`nclients: 3`nrounds: 6`nmodel: { hiddenSizes: [16] }`nseeds: [1, 2, 3, 4]`n"
        function Start-Shared([string] $Database, [string] $Extra) {
            Start-Pwsh -CaptureErrors ("Import-Module '$modulePath'; Set-FedDevice -Name cpu -Threads 1 | Out-Null; " +
                "Invoke-FedExperiment '$shared' -Database '$Database' $Extra | Out-Null")
        }
    }

    It 'without -Resume: one runs the sweep, the other is refused cleanly, and no row is lost or doubled' {
        $db = Join-Path $folder 'same.sqlite'
        $processes = 1, 2 | ForEach-Object { Start-Shared $db '' }
        $errors = $processes | ForEach-Object { $_.StandardError.ReadToEnd() }
        $processes | ForEach-Object { $_.WaitForExit() }

        ($processes.ExitCode | Sort-Object) | Should -Be @(0, 1)
        ($errors -join "`n") | Should -Match 'already holds'
        ($errors -join "`n") | Should -Not -Match 'UNIQUE|SqliteException'
        $runs = Get-FedRun $db
        $runs.Status | Should -Be @('complete', 'complete', 'complete', 'complete')
        ($runs.Rounds | Measure-Object).Count | Should -Be 24
    }

    It 'with -Resume: both share the work, each run computed once' {
        $db = Join-Path $folder 'shared.sqlite'
        $processes = 1, 2 | ForEach-Object { Start-Shared $db '-Resume' }
        $errors = $processes | ForEach-Object { $_.StandardError.ReadToEnd() }
        $processes | ForEach-Object { $_.WaitForExit() }

        $processes.ExitCode | Should -Be @(0, 0) -Because ($errors -join "`n")
        $runs = Get-FedRun $db
        $runs.Status | Should -Be @('complete', 'complete', 'complete', 'complete')
        foreach ($run in $runs) { $run.Rounds.Round | Should -Be (1..6) }
    }
}

Describe 'A store deleted in the same session' {
    It 'is created afresh on the next run, with or without -Resume, and receives the results' -ForEach $false, $true {
        $db = Join-Path $folder "deleted-$_.sqlite"
        $sweep = @{ name = 'deleted'; dataset = 'digits'; clients = 2; rounds = 2; model = @{ hiddenSizes = @(8) } }
        Invoke-FedExperiment $sweep -Database $db | Out-Null
        Remove-Item "$db*"

        $again = Invoke-FedExperiment $sweep -Database $db -Resume:$_

        $again.Status | Should -Be 'complete'
        Test-Path $db | Should -BeTrue
        (Get-FedRun $db).Rounds.Round | Should -Be @(1, 2)
    }
}
