#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null

    function Get-ErrorRecord([scriptblock] $Script) {
        # Per-item failures are non-terminating: Stop makes the first one catchable, as a script would.
        $ErrorActionPreference = 'Stop'
        try { & $Script; throw 'no error was raised' } catch { $_ }
    }

    function New-Folder {
        (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-exp-$([guid]::NewGuid())")).FullName
    }

    # A few seconds of compute: 4 IID clients, a 32-unit MLP, 3 rounds per run.
    function New-SmallConfig([string] $Name = 'small', [int[]] $Seeds = @(1, 2)) {
        [ordered]@{
            name = $Name; dataset = 'digits'; clients = 4; rounds = 3
            model = @{ hiddenSizes = @(32) }; training = @{ batchSize = 16 }
            optimizer = [ordered]@{ name = 'Sgd'; learningRate = 0.1; momentum = 0.5 }
            seeds = $Seeds
        }
    }
}

Describe 'Invoke-FedExperiment' {
    BeforeAll {
        $folder = New-Folder
        $db = Join-Path $folder 'r.sqlite'
        $runs = Invoke-FedExperiment (New-SmallConfig) -Database $db -LogDir (Join-Path $folder 'tb')
    }
    AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

    It 'runs every point of a hashtable config and returns run objects' {
        $runs | Should -HaveCount 2
        $runs[0] | Should -BeOfType ([FedPS.Core.Experiments.FedRun])
        $runs.Status | Should -Be @('complete', 'complete')
        $runs.Seed | Sort-Object | Should -Be @(1, 2)
        $runs | ForEach-Object { $_.Rounds.Round | Should -Be @(1, 2, 3) }
    }

    It 'keeps runs, rounds and per-client rows in the store' {
        $stored = Get-FedRun $db
        $stored | Should -HaveCount 2
        $stored[0].Rounds[0].ClientResults | Should -HaveCount 4
        ($stored[0].Config | ConvertFrom-Json).optimizer.learningRate | Should -Be 0.1
    }

    It 'filters runs by config path and swept values' {
        (Get-FedRun $db -Filter @{ seed = 2 }).Seed | Should -Be 2
        Get-FedRun $db -Filter @{ 'optimizer.learningRate' = 0.2 } | Should -BeNullOrEmpty
        Get-FedRun $db -Name 'small/seed=1' | Should -HaveCount 1
    }

    It 'refuses to run the same sweep into the same store again without -Resume, leaving it unchanged' {
        $before = (Get-FedRun $db).Rounds.Count
        $err = Get-ErrorRecord { Invoke-FedExperiment (New-SmallConfig) -Database $db }
        $err.Exception.Message | Should -Match 'Pass -Resume'
        (Get-FedRun $db).Rounds.Count | Should -Be $before
    }

    It '-Resume skips complete runs' {
        $again = Invoke-FedExperiment (New-SmallConfig) -Database $db -Resume
        # Runs are written as they finish, so with several at once the first sweep's order is the finishing order.
        ($again.Id | Sort-Object) | Should -Be ($runs.Id | Sort-Object)
        (Get-FedRun $db).Rounds.Count | Should -Be 6
    }

    It 'writes TensorBoard event files that parse as TFRecords with the metrics, and an HParams record per run' {
        $all = Get-ChildItem (Join-Path $folder 'tb') -Recurse -Filter 'events.out.tfevents.*'
        $files = @($all | Where-Object Name -NotLike '*fedps-hparams')
        $hparams = @($all | Where-Object Name -Like '*fedps-hparams')
        $files | Should -HaveCount 2
        $hparams | Should -HaveCount 2 -Because 'each run is a session of the HParams dashboard'
        [Text.Encoding]::UTF8.GetString([IO.File]::ReadAllBytes($hparams[0].FullName)) | Should -Match '_hparams_/session_end_info'
        $bytes = [IO.File]::ReadAllBytes($files[0].FullName)
        $offset = 0; $records = 0
        while ($offset -lt $bytes.Length) {
            $length = [BitConverter]::ToUInt64($bytes, $offset)
            $offset += 8 + 4 + $length + 4  # length, its CRC, the Event, its CRC
            $records++
        }
        $offset | Should -Be $bytes.Length
        $records | Should -BeGreaterThan 6
        [Text.Encoding]::ASCII.GetString($bytes) | Should -Match 'test/accuracy'
    }

    It 'exports CSV with one row per run and round, and JSON with the rounds nested' {
        $csv = Export-FedResult -Database $db -Path (Join-Path $folder 'r.csv') | Import-Csv
        $csv | Should -HaveCount 6
        [double]$csv[0].TestAccuracy | Should -BeGreaterThan 0
        $json = Get-FedRun $db | Export-FedResult -Path (Join-Path $folder 'r.json') | Get-Content -Raw | ConvertFrom-Json
        $json[0].Rounds | Should -HaveCount 3
        $json[0].Config.clients | Should -Be 4
    }

    It 'gives sensible Export-Csv and ConvertTo-Json output for run and round objects' {
        $rows = Get-FedRun $db | ConvertTo-Csv | ConvertFrom-Csv
        $rows[0].Status | Should -Be 'complete'
        [double]$rows[0].TestAccuracy | Should -BeGreaterThan 0
        $round = (Get-FedRun $db)[0].Rounds[0] | ConvertTo-Json -Depth 4 | ConvertFrom-Json
        $round.Round | Should -Be 1
        $round.ClientResults | Should -HaveCount 4
    }

    It 'plots runs from the store grouped by strategy' {
        $png = Export-FedPlot -Database $db -Path (Join-Path $folder 'acc.png') -Metric TestAccuracy -GroupBy Strategy
        $png.Length | Should -BeGreaterThan 10000
        [IO.File]::ReadAllBytes($png.FullName)[1..3] | Should -Be ([byte[]][char[]]'PNG')
    }

    It 'plots round results from the pipeline' {
        $png = (Get-FedRun $db).Rounds | Export-FedPlot -Path (Join-Path $folder 'loss.png') -Metric TrainLoss
        Test-Path $png.FullName | Should -BeTrue
    }

    It '-WhatIf runs nothing and creates no store' {
        $other = Join-Path $folder 'whatif.sqlite'
        Invoke-FedExperiment (New-SmallConfig) -Database $other -WhatIf
        Test-Path $other | Should -BeFalse
    }

    It 'completes metric names and run statuses' {
        (TabExpansion2 'Export-FedPlot -Metric TestA').CompletionMatches.CompletionText | Should -Be @('TestAccuracy')
        (TabExpansion2 'Get-FedRun x -Status comp').CompletionMatches.CompletionText | Should -Be @('complete')
    }
}

Describe 'Get-FedExperimentPlan' {
    It 'expands the example sweep to 12 runs without running anything' {
        $plan = Get-FedExperimentPlan (Join-Path $PSScriptRoot '../../examples/digits-sweep.yaml')
        $plan | Should -HaveCount 12
        ($plan.Name | Select-Object -Unique) | Should -HaveCount 12
        $plan[0].Point | Should -Be 'optimizer=Sgd, learningRate=0.01'
    }

    It 'plans every committed example config: <Name>' -ForEach @(
        Get-ChildItem (Join-Path $PSScriptRoot '../../examples') -Recurse -Filter *.yaml | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
    ) {
        $plan = @(Get-FedExperimentPlan $Path -Force)
        $plan.Count | Should -BeGreaterThan 0
        ($plan.Name | Select-Object -Unique).Count | Should -Be $plan.Count
    }
}

Describe 'Experiment bad input gets a clear error record' {
    BeforeAll {
        $folder = New-Folder
        function Write-Config([string] $Text) {
            $path = Join-Path $folder "$([guid]::NewGuid()).yaml"
            Set-Content $path $Text
            $path
        }
    }
    AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

    It 'malformed YAML names the file and line' {
        $path = Write-Config "name: x`nrounds: [1`n"
        $err = Get-ErrorRecord { Get-FedExperimentPlan $path }
        $err.FullyQualifiedErrorId | Should -Match '^InvalidExperimentConfig'
        $err.Exception.Message | Should -Match ([regex]::Escape($path) + ':\d+:\d+: This is not valid YAML')
    }

    It 'an unknown key names line, column and the valid keys' {
        $path = Write-Config "rounds: 3`noptimizer:`n  learningRat: 0.1`n"
        $err = Get-ErrorRecord { Invoke-FedExperiment $path -Database (Join-Path $folder 'x.sqlite') }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match ':3:3: optimizer.learningRat: Unknown key .*Valid keys: .*learningRate'
        Test-Path (Join-Path $folder 'x.sqlite') | Should -BeFalse
    }

    It 'a wrong type names the expected type' {
        $err = Get-ErrorRecord { Get-FedExperimentPlan @{ rounds = 'many' } }
        $err.Exception.Message | Should -Match "<hashtable>: rounds: 'many' is not an integer"
    }

    It 'negative rounds are out of range' {
        $err = Get-ErrorRecord { Get-FedExperimentPlan (Write-Config "rounds: -3`n") }
        $err.Exception.Message | Should -Match ':1:9: rounds: Rounds must be at least 1 \(got -3\)'
    }

    It 'an empty sweep list is refused' {
        $err = Get-ErrorRecord { Get-FedExperimentPlan (Write-Config "sweep:`n  optimizer.learningRate: []`n") }
        $err.Exception.Message | Should -Match ':2:27: optimizer.learningRate: The sweep list is empty'
    }

    It 'a plan streams: its first runs arrive before the rest are made' {
        # The third run is invalid. Select-Object -First 2 stops the pipeline before it is made; a plan made whole
        # first (a million-run sweep grew to 3 GB before printing) would fail before printing anything.
        $first = Get-FedExperimentPlan @{ dataset = 'digits'; sweep = @{ clients = @(2, 3, 5000) } } -ErrorVariable problems |
            Select-Object -First 2
        $first.Clients | Should -Be @(2, 3)
        $problems | Should -BeNullOrEmpty
    }

    It 'a sweep beyond the limit needs -Force' {
        $config = @{ seeds = 1..300 }
        $err = Get-ErrorRecord { Get-FedExperimentPlan $config }
        $err.Exception.Message | Should -Match '300 runs, more than the limit of 256.*-Force'
        Get-FedExperimentPlan $config -Force | Should -HaveCount 300
    }

    It 'a store in a missing folder is refused' {
        $err = Get-ErrorRecord { Invoke-FedExperiment (New-SmallConfig) -Database (Join-Path $folder 'missing/r.sqlite') }
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Match 'does not exist'
    }

    It 'a read-only store is refused and left unchanged' {
        $db = Join-Path $folder 'ro.sqlite'
        Invoke-FedExperiment (New-SmallConfig -Seeds 1) -Database $db | Out-Null
        $hash = (Get-FileHash $db).Hash
        [IO.File]::SetUnixFileMode($db, [IO.UnixFileMode]'UserRead, GroupRead')
        $err = Get-ErrorRecord { Invoke-FedExperiment (New-SmallConfig -Seeds 2) -Database $db }
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match 'read-only'
        (Get-FileHash $db).Hash | Should -Be $hash
    }

    It 'resuming with a changed config names the setting that differs, and leaves the store unchanged' {
        $db = Join-Path $folder 'changed.sqlite'
        $config = New-SmallConfig -Name 'changed' -Seeds 1
        Invoke-FedExperiment $config -Database $db | Out-Null
        # Mark the run unfinished, as a crash would have left it.
        $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$db;Pooling=False")
        $connection.Open()
        $command = $connection.CreateCommand(); $command.CommandText = "UPDATE runs SET status = 'interrupted'"
        $command.ExecuteNonQuery() | Should -Be 1
        $connection.Dispose()
        $config.optimizer.learningRate = 0.2
        $err = Get-ErrorRecord { Invoke-FedExperiment $config -Database $db -Resume }
        $err.Exception.Message | Should -Match 'different config \(optimizer.learningRate was 0.1, is now 0.2\)'
        (Get-FedRun $db).Status | Should -Be 'interrupted'
    }

    It 'a corrupt checkpoint is reported by its checksum' {
        $train = Import-FedDataset digits
        $model = $train | New-FedModel -Architecture Mlp -Hidden 16 -Seed 1
        $server = $train | Split-FedDataset -Clients 2 -Iid | New-FedClient -LocalSteps 2 | New-FedServer -Model $model -Seed 1
        $server | Invoke-FedRound | Out-Null
        $path = Join-Path $folder 'c.safetensors'
        $info = Save-FedCheckpoint $server $path
        $info.Round | Should -Be 1
        $bytes = [IO.File]::ReadAllBytes($path); $bytes[-3] = $bytes[-3] -bxor 0xFF; [IO.File]::WriteAllBytes($path, $bytes)

        $err = Get-ErrorRecord { Restore-FedCheckpoint $server $path }

        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match 'SHA-256 checksum does not match'
    }
}

Describe 'Save-FedCheckpoint and Restore-FedCheckpoint' {
    It 'a restored server continues exactly like the original' {
        $folder = New-Folder
        $train = Import-FedDataset digits
        function New-Server {
            $model = $train | New-FedModel -Architecture Mlp -Hidden 16 -Seed 4
            $train | Split-FedDataset -Clients 3 -Dirichlet 1 -Seed 4 | New-FedClient -LocalSteps 3 -LearningRate 0.1 |
                New-FedServer -Model $model -Seed 4 -SampleFraction 0.7
        }
        $a = New-Server; $b = New-Server
        $a | Invoke-FedRound -Count 2 | Out-Null
        Save-FedCheckpoint $a (Join-Path $folder 'a.safetensors') | Out-Null
        Save-FedCheckpoint $a (Join-Path $folder 'a.safetensors') -WhatIf
        $restored = Restore-FedCheckpoint $b (Join-Path $folder 'a.safetensors')
        $restored.Round | Should -Be 2

        ($a | Invoke-FedRound -Count 2).TrainLoss | Should -Be ($b | Invoke-FedRound -Count 2).TrainLoss
        Remove-Item $folder -Recurse -Force
    }
}
