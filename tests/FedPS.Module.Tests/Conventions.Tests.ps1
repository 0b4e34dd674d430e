#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The conventions a PowerShell user expects of a module, one Describe each: per-item errors that honour
# -ErrorAction, -Verbose that says what each cmdlet did, readable Export-Csv / ConvertTo-Json / Format-List of every
# output type, views that show what tells results apart, completion that explains itself, writers that respect
# -NoClobber and -Force. Everything runs on the digits data with tiny models.

BeforeDiscovery {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $outputTypes = @(Get-Command -Module FedPS -CommandType Cmdlet | ForEach-Object OutputType | ForEach-Object Type |
            Where-Object { $_.Namespace -like 'FedPS.*' } | Sort-Object FullName -Unique | ForEach-Object { @{ Type = $_ } })
    $completed = foreach ($command in Get-Command -Module FedPS -CommandType Cmdlet) {
        foreach ($parameter in $command.Parameters.Values) {
            # Enum and ValidateSet parameters complete with their values (PowerShell's own completion, which wins
            # over a completer); completers that read a file another parameter names are checked below, with that file.
            $completer = $parameter.Attributes | Where-Object { $_ -is [ArgumentCompleter] }
            $fromFile = $completer.Type.Name -in 'StoredRunNameCompleter', 'StoredExperimentCompleter', 'PlannedRunNameCompleter'
            if ($completer -and -not $fromFile) {
                @{ Command = $command.Name; Parameter = $parameter.Name }
            }
        }
    }
}

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $folder = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-conventions-$([guid]::NewGuid().ToString('N'))")
    $train = Import-FedDataset digits
    $test = Import-FedDataset digits -Split test

    function New-SmallServer([string] $Name, $Strategy = 'FedAvg') {
        $train | Split-FedDataset -Clients 3 -Seed 1 | New-FedClient -LocalSteps 2 |
            New-FedServer -Strategy $Strategy -Model ($train | New-FedModel Mlp -Hidden 8 -Seed 1) -TestData $test -Name $Name -Seed 1
    }

    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')   # Get-ErrorRecord

    # The verbose stream of a command, as text.
    function Get-VerboseText([scriptblock] $Script) {
        $VerbosePreference = 'Continue'
        (& $Script 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
    }

    # A small sweep (two learning rates, one round each), run once.
    $config = [ordered]@{ name = 'conventions'; rounds = 1; clients = 2; model = @{ hiddenSizes = @(8) }; seeds = @(1)
        sweep = [ordered]@{ 'optimizer.learningRate' = 0.05, 0.1; 'optimizer.momentum' = 0, 0.9 } }
    $db = Join-Path $folder 'runs.sqlite'
    # Run in reverse plan order: the store still gives them back in plan order, with the plan's index.
    Get-FedExperimentPlan $config | Sort-Object Index -Descending | Invoke-FedExperiment -Database $db | Out-Null
    $runs = Get-FedRun $db

    $server = New-SmallServer 'small'
    $rounds = $server | Invoke-FedRound -Count 2
    $checkpoint = Join-Path $folder 'small.safetensors'
    $server | Save-FedCheckpoint $checkpoint | Out-Null

    # One object of each type a FedPS cmdlet writes, made cheaply.
    $assignments = New-SmallServer 'stages' | Start-FedRound
    $samples = @{
        'FedPS.Core.Runtime.FedDevice'                         = { Get-FedDevice }
        'FedPS.Core.Data.DatasetInstallation'                  = { Install-FedDataset digits }
        'FedPS.Core.Data.FedDataset'                           = { $train }
        'FedPS.Core.Data.FedClientData'                        = { $train | Split-FedDataset -Clients 2 | Select-Object -First 1 }
        'FedPS.Core.Models.FedModel'                           = { $train | New-FedModel Cnn -Seed 1 }
        'FedPS.Core.Optim.OptimizerSpec'                       = { New-FedOptimizer Sophia }
        'FedPS.Core.Federation.FedClient'                      = { $train | Split-FedDataset -Clients 2 | New-FedClient | Select-Object -First 1 }
        'FedPS.Core.Federation.Strategies.StrategySpec'        = { New-FedStrategy FedTrimmedAvg -Beta 0.2 }
        'FedPS.Core.Federation.Strategies.StrategyDefinition'  = { Get-FedStrategy Krum }
        'FedPS.Core.Simulation.FedServer'                      = { $server }
        'FedPS.Core.Simulation.RoundResult'                    = { $rounds[-1] }
        'FedPS.Core.Federation.ClientAssignment'               = { $assignments[0] }
        'FedPS.Core.Federation.ClientUpdate'                   = { New-FedUpdate @{ w = 1, 2 } -ClientId 3 }
        'FedPS.Core.Models.ParameterSet'                       = { New-FedUpdate @{ w = 1, 2 } | Merge-FedUpdate }
        'FedPS.Core.Simulation.LossMeasurement'                = { Measure-FedLoss $server }
        'FedPS.Core.Experiments.FedRun'                        = { $runs[0] }
        'FedPS.Core.Experiments.PlannedRun'                    = { Get-FedExperimentPlan $config | Select-Object -First 1 }
        'FedPS.Core.Simulation.CheckpointInfo'                 = { $server | Save-FedCheckpoint (Join-Path $folder 'sample.safetensors') }
        'FedPS.Core.Models.GeneratedText'                      = { Invoke-FedGenerate -Model (New-FedModel Gpt -Layers 1 -Heads 2 -Embedding 8 -ContextLength 8) 'ab' -MaxTokens 2 }
        'FedPS.Core.Federation.Stages.PrivacyOptions'          = { New-FedPrivacy -ClipNorm 0.5 }
        'FedPS.Core.Federation.Stages.PrivacyBudget'           = { Measure-FedPrivacy -SampleRate 0.1 -NoiseMultiplier 1.0 -Rounds 10 -Delta 1e-5 }
        'FedPS.Core.Federation.Stages.CompressionOptions'      = { New-FedCompression Qsgd -Levels 4 }
        'FedPS.Core.Federation.Stages.AttackOptions'           = { New-FedAttack SignFlip -Scale 4 }
        'FedPS.Core.Federation.Stages.AvailabilityOptions'     = { New-FedAvailability -DropoutProbability 0.3 }
        'FedPS.Core.Data.Text.FedTextTask'                     = $null   # needs the text packages; its views are checked in Mira.Tests
        'FedPS.Core.Models.TextTaskScore'                      = $null   # needs a text task, so the text packages too
    }
}

AfterAll {
    Remove-Item $folder -Recurse -Force -ErrorAction Ignore
}

Describe 'A failed pipeline item is a non-terminating error that honours -ErrorAction' {
    It 'one server that cannot run does not stop the others, whatever failed' {
        $a = New-SmallServer 'a'; $broken = New-SmallServer 'broken'; $c = New-SmallServer 'c'
        $broken.Dispose()   # its tensors are gone: not a FedPSException, any failure inside the round

        $results = $a, $broken, $c | Invoke-FedRound -ErrorAction SilentlyContinue -ErrorVariable problems

        $results.Server | Should -Be @('a', 'c')
        $problems | Should -HaveCount 1
        $problems[0].Exception.Message | Should -Not -Match 'frame #|Exception raised from'
    }

    It '-ErrorAction Stop stops at the failed server' {
        $a = New-SmallServer 'a'; $broken = New-SmallServer 'broken'; $c = New-SmallServer 'c'
        $broken.Dispose()
        $seen = [Collections.Generic.List[object]]::new()

        { $a, $broken, $c | Invoke-FedRound -ErrorAction Stop | ForEach-Object { $seen.Add($_) } } | Should -Throw
        $seen.Server | Should -Be @('a')
    }

    It 'a bad name among strategies fails alone' {
        $specs = 'FedAvg', 'FedAverage', 'FedProx' | New-FedStrategy -ErrorAction SilentlyContinue -ErrorVariable problems
        $specs.Name | Should -Be @('FedAvg', 'FedProx')
        $problems | Should -HaveCount 1
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $problems[0].TargetObject | Should -Be 'FedAverage'
    }

    It 'an update that cannot be clipped fails alone, with what happened instead of libtorch''s words' {
        $round = New-SmallServer 'clip' | Start-FedRound | Invoke-FedLocalTraining
        $done = $round | Complete-FedRound
        $fresh = New-FedUpdate @{ w = 3, 4 } -ClientId 7

        $clipped = $round[0], $fresh | Limit-FedUpdate -MaxNorm 0 -ErrorAction SilentlyContinue -ErrorVariable problems

        $done | Should -Not -BeNullOrEmpty
        $clipped.ClientId | Should -Be @(7)
        $problems | Should -HaveCount 1
        $problems[0].Exception.Message | Should -Match 'has ended|released'
        $problems[0].Exception.Message | Should -Not -Match 'empty handle'
    }
}

Describe '-Verbose says what each cmdlet did' {
    It '<Command>' -ForEach @(
        @{ Command = 'Import-FedDataset'; Script = { Import-FedDataset digits }; Pattern = 'Read digits \(train\) from .*digits: 1,438 samples of 1×8×8, 10 classes' }
        @{ Command = 'Install-FedDataset'; Script = { Install-FedDataset digits }; Pattern = 'digits is installed in .*nothing to do' }
        @{ Command = 'Split-FedDataset'; Script = { $train | Split-FedDataset -Clients 3 -Dirichlet 0.5 -Seed 1 }; Pattern = 'Split digits .* into 3 clients \(Dirichlet.*seed 1\): \d+ to \d+ samples per client' }
        @{ Command = 'New-FedModel'; Script = { $train | New-FedModel Mlp -Hidden 8 }; Pattern = 'Mlp 1×8×8 → 10 classes, hidden 8: 610 parameters' }
        @{ Command = 'New-FedOptimizer'; Script = { New-FedOptimizer Adam -LearningRate 0.01 }; Pattern = 'Local optimizer Adam' }
        @{ Command = 'New-FedClient'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -BatchSize 16 }; Pattern = 'New client 0 \(\d+ samples.*batch 16' }
        @{ Command = 'New-FedStrategy'; Script = { New-FedStrategy FedProx -Mu 0.1 }; Pattern = 'FedProx: mu=0.1' }
        @{ Command = 'New-FedServer'; Script = { New-SmallServer 'v' }; Pattern = 'v: FedAvg over 3 clients' }
        @{ Command = 'Set-FedDevice'; Script = { Set-FedDevice cpu }; Pattern = 'New datasets and models go to cpu' }
        @{ Command = 'Invoke-FedRound'; Script = { New-SmallServer 'v' | Invoke-FedRound }; Pattern = 'v round 1 \(FedAvg\): 3 of 3 sampled clients aggregated' }
        @{ Command = 'Start-FedRound'; Script = { New-SmallServer 'v' | Start-FedRound }; Pattern = 'v round 1: sampled clients 0, 1, 2' }
        @{ Command = 'Measure-FedLoss'; Script = { Measure-FedLoss $server }; Pattern = 'Measured small''s global model after round 2 on digits' }
        @{ Command = 'Save-FedCheckpoint'; Script = { $server | Save-FedCheckpoint (Join-Path $folder 'v.safetensors') }; Pattern = 'Saved round 2 of small to .*v.safetensors: [\d,]+ bytes, SHA-256' }
        @{ Command = 'Restore-FedCheckpoint'; Script = { New-SmallServer 'small' | Restore-FedCheckpoint $checkpoint }; Pattern = 'Restored small to round 2 from' }
        @{ Command = 'Save-FedModel'; Script = { Save-FedModel -Model ($train | New-FedModel Mlp -Hidden 8) -Path (Join-Path $folder 'v-model') }; Pattern = 'Wrote the Mlp model .* to .*v-model' }
        @{ Command = 'Import-FedModel'; Script = { Save-FedModel -Model ($train | New-FedModel Mlp -Hidden 8) -Path (Join-Path $folder 'v-import') | Out-Null; Import-FedModel (Join-Path $folder 'v-import') }; Pattern = 'Read Mlp 1×8×8 → 10 classes, hidden 8 from' }
        @{ Command = 'Export-FedResult'; Script = { $runs | Export-FedResult (Join-Path $folder 'v.csv') }; Pattern = 'Wrote 4 run\(s\) \(4 rounds\) as Csv to' }
        @{ Command = 'Export-FedPlot'; Script = { Export-FedPlot -Database $db -Path (Join-Path $folder 'v.png') -GroupBy learningRate }; Pattern = 'Plotted TestAccuracy by learningRate to .*: 0.05 \(2 run\(s\)\), 0.1 \(2 run\(s\)\)' }
        @{ Command = 'Get-FedRun'; Script = { Get-FedRun $db -Filter @{ learningRate = 0.1 } }; Pattern = '2 of the 4 runs in .* match' }
        @{ Command = 'Get-FedExperimentPlan'; Script = { Get-FedExperimentPlan $config }; Pattern = '4 run\(s\) \(2 learningRate × 2 momentum × 1 seed\)' }
        @{ Command = 'Invoke-FedGenerate'; Script = { Invoke-FedGenerate -Model (New-FedModel Gpt -Layers 1 -Heads 2 -Embedding 8 -ContextLength 8) 'ab' -MaxTokens 2 }; Pattern = 'Generated 2 token\(s\)' }
    ) {
        Get-VerboseText $Script | Should -Match $Pattern
    }

    It 'Invoke-FedExperiment reports each run as it starts and ends' {
        $text = Get-VerboseText { Invoke-FedExperiment @{ name = 'verbose'; rounds = 1; clients = 2; model = @{ hiddenSizes = @(8) } } -Database (Join-Path $folder 'verbose.sqlite') }
        $text | Should -Match 'verbose/seed=1: started, 1 rounds of FedAvg on digits with 2 clients, seed 1'
        $text | Should -Match 'verbose/seed=1: complete after 1 rounds, test accuracy'
    }

    It 'Invoke-FedExperiment -Resume reports complete runs as skipped and never announces them as running' {
        $text = Get-VerboseText { Invoke-FedExperiment $config -Database $db -Resume }
        $text | Should -Match 'learningRate=0.05,momentum=0/seed=1: already complete in .*; skipped'
        $text | Should -Not -Match 'Performing the operation|started'
    }
}

Describe 'Export-Csv and ConvertTo-Json of <Type>' -ForEach $outputTypes {
    BeforeAll {
        $make = $samples[$Type.FullName]
        $object = if ($make) { & $make | Select-Object -First 1 }
    }

    It 'is adapted by FedPS (types.ps1xml), so PowerShell lists its data' {
        (Get-TypeData $Type.FullName).TypeAdapter.FullName | Should -Be 'FedPS.Cmdlets.Formatting.FedObjectAdapter'
    }

    It 'writes CSV without .NET type names' {
        if (-not $make) { Set-ItResult -Skipped -Because ($samples.Contains($Type.FullName) ? 'it needs the text packages' : 'no sample is made for it'); return }
        $object | Should -BeOfType $Type
        $csv = ($object | ConvertTo-Csv) -join "`n"
        $csv | Should -Not -Match '(System|FedPS|TorchSharp)\.[\w.]+[`\[]|System\.\w+\.\w+|<>z__|FedPS\.Core\.'
        ($csv | ConvertFrom-Csv) | Should -HaveCount 1
    }

    It 'writes JSON without tensor handles, small enough to read' {
        if (-not $make) { Set-ItResult -Skipped -Because ($samples.Contains($Type.FullName) ? 'it needs the text packages' : 'no sample is made for it'); return }
        $json = $object | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue
        $json | Should -Not -Match '"handle"|"IsInvalid"'
        $json.Length | Should -BeLessThan 20000
        { $json | ConvertFrom-Json } | Should -Not -Throw
    }
}

Describe 'What the adapter leaves out of listings is still there by name' {
    It 'a dataset''s tensors, a model''s network' {
        $train.Features | Should -Not -BeNullOrEmpty
        ($train | New-FedModel Mlp -Hidden 8).Module | Should -Not -BeNullOrEmpty
        ($train | Get-Member -MemberType Property).Name | Should -Not -Contain 'Features'
    }

    It 'a collection is the engine''s own value for a script' {
        $rounds[0].SampledClients -is [int[]] | Should -BeTrue
        $rounds[0].SampledClients | Should -Be @(0, 1, 2)
        ($rounds[0].SampledClients -join 'x') | Should -Be '0x1x2'
    }
}

Describe 'Views' {
    It 'Get-FedRun gives the runs in plan order with the plan''s Index, and a column per swept setting' {
        $runs.Index | Should -Be @(1, 2, 3, 4)
        $runs.Name | Should -Be @((Get-FedExperimentPlan $config).Name)
        $table = $runs | Format-Table | Out-String -Width 200
        $table | Should -Match '(?m)^Index\s+learningRate\s+momentum\s+Seed\s+Status'
        $table | Should -Not -Match 'conventions/'
    }

    It 'swept values are properties: sort, filter, group and export by them' {
        ($runs | Sort-Object learningRate, momentum -Descending)[0].Index | Should -Be 4
        ($runs | Where-Object momentum -EQ 0.9).Index | Should -Be @(2, 4)
        ($runs | ConvertTo-Csv | ConvertFrom-Csv)[1].momentum | Should -Be '0.9'
    }

    It 'Get-FedExperimentPlan shows the swept values as columns' {
        $table = Get-FedExperimentPlan $config | Format-Table | Out-String -Width 200
        $table | Should -Match '(?m)^Index\s+learningRate\s+momentum\s+Seed'
    }

    It 'round results of several servers are told apart' {
        $text = (New-SmallServer 'alpha'), (New-SmallServer 'beta') | Invoke-FedRound | Out-String -Width 200
        $text | Should -Match 'Server: alpha'
        $text | Should -Match 'Server: beta'
    }

    It 'Format-List of a model, a server, a round and a run prints values, not type names' {
        foreach ($object in ($train | New-FedModel Mlp -Hidden 8), $server, $rounds[0], $runs[0]) {
            $text = $object | Format-List | Out-String -Width 200
            $text | Should -Not -Match 'System\.Int32\[\]|FedPS\.Core\.|System\.Collections'
        }
        $server | Format-List | Out-String | Should -Match 'Clients\s+: 3 clients'
    }

    It 'perplexity is shown for language models only' {
        Measure-FedLoss $server | Out-String | Should -Not -Match 'Perplexity'
        [double]::IsNaN((Measure-FedLoss $server).Perplexity) | Should -BeTrue
        [double]::IsNaN($rounds[0].TestPerplexity) | Should -BeTrue
    }
}

Describe 'Errors the old surface hid' {
    It 'Get-FedRun -Status takes the run states, and refuses anything else' {
        (Get-FedRun $db -Status Complete) | Should -HaveCount 4
        { Get-FedRun $db -Status bogus } | Should -Throw -ExceptionType ([Management.Automation.ParameterBindingException])
    }

    It 'Get-FedRun -Filter with a setting no run has is an error naming it' {
        $err = $null
        Get-FedRun $db -Filter @{ bogus = 1 } -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match "no run .* has a swept parameter or setting 'bogus'.*Swept: learningRate, momentum"
    }
}

Describe 'Completion explains every entry' {
    It '<Command> -<Parameter>' -ForEach $completed {
        $line = "$Command -$Parameter "
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $found | Should -Not -BeNullOrEmpty -Because "$line offers values"
        foreach ($match in $found) {
            $match.ToolTip | Should -Not -Be $match.ListItemText -Because "'$($match.ListItemText)' needs a description"
        }
    }

    It 'Get-FedRun -Name and -Experiment complete from the store' {
        $line = "Get-FedRun '$db' -Name "
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $names.ListItemText | Should -Be $runs.Name
        $names[0].ToolTip | Should -Match 'Run 1 of conventions: complete'
        $line = "Get-FedRun '$db' -Experiment "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('conventions')
    }
}

Describe 'Writers keep a file with -NoClobber, and replace a read-only one only with -Force' {
    It '<Writer>' -ForEach @(
        @{ Writer = 'Export-FedResult'; File = 'runs.csv'; Write = { param($Path, $Switches) $runs | Export-FedResult -Path $Path @Switches } }
        @{ Writer = 'Export-FedPlot'; File = 'runs.png'; Write = { param($Path, $Switches) $runs | Export-FedPlot -Path $Path @Switches } }
        @{ Writer = 'Save-FedCheckpoint'; File = 'server.safetensors'; Write = { param($Path, $Switches) $server | Save-FedCheckpoint $Path @Switches } }
        @{ Writer = 'Save-FedModel'; File = 'model.safetensors'; Write = { param($Path, $Switches) Save-FedModel -Model ($train | New-FedModel Mlp -Hidden 8) -Path (Split-Path $Path) @Switches } }
    ) {
        $path = Join-Path (New-Item -ItemType Directory (Join-Path $folder "writer-$Writer")) $File
        & $Write $path @{} | Out-Null
        Test-Path $path | Should -BeTrue

        $refused = Get-ErrorRecord { & $Write $path @{ NoClobber = $true } }
        $refused.CategoryInfo.Category | Should -Be 'ResourceExists'
        $refused.TargetObject | Should -Be $path

        [IO.File]::SetUnixFileMode($path, 'UserRead')
        $refused = Get-ErrorRecord { & $Write $path @{} }
        $refused.CategoryInfo.Category | Should -Be 'PermissionDenied'
        [IO.File]::GetUnixFileMode($path) | Should -Be 'UserRead' -Because 'the read-only file is kept'

        & $Write $path @{ Force = $true } | Out-Null
        [IO.File]::GetUnixFileMode($path).HasFlag([IO.UnixFileMode]::UserWrite) | Should -BeTrue -Because '-Force replaced it with a new file'
    }
}

Describe 'Checkpoints and models' {
    It 'a checkpoint is saved and restored with the server piped in, or with both by position' {
        $path = Join-Path $folder 'piped.safetensors'
        ($server | Save-FedCheckpoint $path).Round | Should -Be 2
        (New-SmallServer 'small' | Restore-FedCheckpoint $path).Round | Should -Be 2
        (Save-FedCheckpoint $server $path).Round | Should -Be 2
        (Restore-FedCheckpoint (New-SmallServer 'small') $path).Round | Should -Be 2
    }

    It 'an <Architecture> saved by Save-FedModel loads back with the same weights' -ForEach @(@{ Architecture = 'Mlp' }, @{ Architecture = 'Cnn' }) {
        $model = $train | New-FedModel $Architecture -Seed 3
        $path = Join-Path $folder "model-$Architecture"
        Save-FedModel -Model $model -Path $path | Out-Null
        $loaded = Import-FedModel $path -Seed 99

        $loaded.Spec.ToString() | Should -Be $model.Spec.ToString()
        $a = $model.Weights; $b = $loaded.Weights
        foreach ($name in $a.Keys) { $a[$name].equal($b[$name]) | Should -BeTrue -Because $name }
    }
}

Describe 'Exports take round results and any metric' {
    It '$server.History | Export-FedResult writes the rounds with their server' {
        $rows = $server.History | Export-FedResult (Join-Path $folder 'history.csv') | Import-Csv
        $rows | Should -HaveCount 2
        $rows.Server | Should -Be @('small', 'small')
        $rows[1].Round | Should -Be '2'
        $json = $server.History | Export-FedResult (Join-Path $folder 'history.json') | Get-Content -Raw | ConvertFrom-Json
        $json[0].Clients | Should -HaveCount 3
    }

    It 'Export-FedPlot plots <Metric>' -ForEach @(@{ Metric = 'Bytes' }, @{ Metric = 'BytesUp' }, @{ Metric = 'Seconds' }, @{ Metric = 'AggregatedClients' }) {
        $png = $rounds | Export-FedPlot (Join-Path $folder "$Metric.png") -Metric $Metric
        $png.Length | Should -BeGreaterThan 0
    }

    It 'a metric the rounds do not report is an error that lists those they do' {
        $err = Get-ErrorRecord { $rounds | Export-FedPlot (Join-Path $folder 'nope.png') -Metric Happiness }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match "Unknown metric 'Happiness'. These rounds report: TestAccuracy, TestLoss, TestPerplexity"
    }

    It 'runs picked from a plan run under their plan names and indexes' {
        $store = Join-Path $folder 'picked.sqlite'
        Get-FedExperimentPlan $config | Where-Object Index -In 2, 3 | Invoke-FedExperiment -Database $store | Out-Null
        (Get-FedRun $store).Index | Should -Be @(2, 3)
    }
}

Describe 'TensorBoard' {
    It '-LogClients gives each client a run of its own beside the run''s HParams record' {
        $logs = Join-Path $folder 'tb'
        Invoke-FedExperiment @{ name = 'tb'; rounds = 1; clients = 2; model = @{ hiddenSizes = @(8) } } -Database (Join-Path $folder 'tb.sqlite') -LogDir $logs -LogClients | Out-Null
        $run = Join-Path $logs 'tb_seed=1'
        (Get-ChildItem $run -Directory).Name | Should -Be @('client-0', 'client-1')
        Get-ChildItem $run -Filter '*fedps-hparams' | Should -HaveCount 1
    }
}
