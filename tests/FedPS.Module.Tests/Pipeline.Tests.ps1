#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The stage options in -ForEach data are built at discovery, so the module is imported then too.
BeforeDiscovery {
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')) -Force
}

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    . (Join-Path $PSScriptRoot '../../examples/custom-strategy.ps1')

    function Get-ErrorRecord([scriptblock] $Script) {
        # A failed pipeline item is a non-terminating error: Stop makes it catchable, as a script would.
        $ErrorActionPreference = 'Stop'
        try { & $Script; throw 'no error was raised' } catch { $_ }
    }

    $train = Import-FedDataset digits
    $test = Import-FedDataset digits -Split test

    # A small federation; FedSophia's clients train with Sophia, every other strategy's with SGD.
    function New-SmallServer($Strategy, [int] $Clients = 5, [string] $Divergence = 'Stop', [double] $Fraction = 1, [hashtable] $Stages = @{}) {
        $name = if ($Strategy -is [string]) { $Strategy } else { $Strategy.Name }
        $optimizer = if ($name -eq 'FedSophia') { New-FedOptimizer Sophia -LearningRate 0.01 -HessianEvery 2 } else { New-FedOptimizer Sgd -LearningRate 0.1 }
        $train | Split-FedDataset -Clients $Clients -Dirichlet 1.0 -Seed 4 |
            New-FedClient -LocalSteps 3 -BatchSize 16 -Optimizer $optimizer |
            New-FedServer -Strategy $Strategy -Model ($train | New-FedModel Mlp -Hidden 16 -Seed 4) -TestData $test -Seed 4 -OnDivergence $Divergence -SampleFraction $Fraction @Stages
    }

    function Get-Fingerprint($Server) {
        [FedPS.Core.Simulation.Checkpoint]::Fingerprint([TorchSharp.torch+Tensor[]] @($Server.Strategy.StateTensors() | ForEach-Object Item2))
    }
}

Describe 'The round as a pipeline of stages' {
    It 'gives bit-identical results to Invoke-FedRound under <_>' -ForEach @(
        'FedAvg', 'FedProx', 'FedAdagrad', 'FedAdam', 'FedYogi', 'FedSophia', 'DONE', 'FedMedian', 'FedTrimmedAvg', 'Krum', 'MultiKrum', 'FedIT', 'Mira', 'Ditto', 'LocalOnly'
    ) {
        $oneLiner = New-SmallServer $_
        $staged = New-SmallServer $_
        $expected = $oneLiner | Invoke-FedRound -Count 2
        $actual = 1..2 | ForEach-Object { $staged | Start-FedRound | Invoke-FedLocalTraining | Complete-FedRound }

        Get-Fingerprint $staged | Should -Be (Get-Fingerprint $oneLiner)
        $actual.TrainLoss | Should -Be $expected.TrainLoss
        $actual.TestLoss | Should -Be $expected.TestLoss
        $actual.BytesUp | Should -Be $expected.BytesUp
        $actual.BytesDown | Should -Be $expected.BytesDown
        $staged.Round | Should -Be 2
    }

    It 'gives bit-identical results to Invoke-FedRound with round stages: <Name>' -ForEach @(
        @{ Name = 'central DP, adaptive'; Strategy = 'FedAdam'; Stages = @{ Privacy = (New-FedPrivacy -ClipNorm 0.5 -NoiseMultiplier 0.5 -AdaptiveClip -ClippedCountStddev 1) } }
        @{ Name = 'top-k with error feedback'; Strategy = 'FedProx'; Stages = @{ Compression = (New-FedCompression TopK -Ratio 0.1 -ErrorFeedback) } }
        @{ Name = 'QSGD'; Strategy = 'DONE'; Stages = @{ Compression = (New-FedCompression Qsgd -Levels 3) } }
        @{ Name = 'label flipping'; Strategy = 'Krum'; Stages = @{ Attack = (New-FedAttack LabelFlip -Count 2) } }
        @{ Name = 'dropout and a deadline'; Strategy = 'FedSophia'; Stages = @{ Availability = (New-FedAvailability -DropoutProbability 0.3 -Deadline 0.2 -StepTime 0.05) } }
        @{ Name = 'all four'; Strategy = 'FedAvg'; Stages = @{
                Privacy = (New-FedPrivacy -ClipNorm 1 -NoiseMultiplier 0.3); Compression = (New-FedCompression Sign -ErrorFeedback)
                Attack = (New-FedAttack GaussianNoise -Clients 1); Availability = (New-FedAvailability -DropoutProbability 0.2) } }
    ) {
        $oneLiner = New-SmallServer $Strategy -Clients 6 -Stages $Stages
        $staged = New-SmallServer $Strategy -Clients 6 -Stages $Stages
        $expected = $oneLiner | Invoke-FedRound -Count 3
        $actual = 1..3 | ForEach-Object { $staged | Start-FedRound | Invoke-FedLocalTraining | Complete-FedRound -Server $staged }

        $checkpointed = { param($s) [FedPS.Core.Simulation.Checkpoint]::Fingerprint([TorchSharp.torch+Tensor[]] @($s.StateTensors() | ForEach-Object Item2)) }
        & $checkpointed $staged | Should -Be (& $checkpointed $oneLiner)
        $actual.TestLoss | Should -Be $expected.TestLoss
        $actual.BytesUp | Should -Be $expected.BytesUp
        "$($actual.Epsilon)" | Should -Be "$($expected.Epsilon)" # NaN without DP: compared as text
    }

    It 'covers every built-in strategy' {
        $covered = 'FedAvg', 'FedProx', 'FedAdagrad', 'FedAdam', 'FedYogi', 'FedSophia', 'DONE', 'FedMedian', 'FedTrimmedAvg', 'Krum', 'MultiKrum', 'FedIT', 'Mira', 'Ditto', 'LocalOnly'
        (Get-FedStrategy | Where-Object { -not $_.ThreadAffine }).Name | Should -BeIn $covered
    }

    It 'emits one assignment per sampled client, and one update per trained client' {
        $server = New-SmallServer (New-FedStrategy FedProx -Mu 0.1) -Clients 6 -Fraction 0.5
        $assignments = @($server | Start-FedRound)
        $assignments | Should -HaveCount 3
        $assignments[0] | Should -BeOfType ([FedPS.Core.Federation.ClientAssignment])
        $assignments.Detail | Should -Be (@('proximal μ=0.1') * 3)
        $updates = @($assignments | Invoke-FedLocalTraining)
        $updates.ClientId | Should -Be $assignments.ClientId
        $updates | ForEach-Object { $_.UpdateNorm | Should -BeGreaterThan 0 }
        $updates[0].Parameters.Entries.Name | Should -Contain 'layers.fc1.weight'
        $result = $updates | Complete-FedRound
        $result.Round | Should -Be 1
        $result.Server | Should -Be $server.Name
    }

    It 'reports filtered-out clients to the strategy as excluded, and averages the rest' {
        $server = New-SmallServer FedAvg
        $result = $server | Start-FedRound | Invoke-FedLocalTraining | Where-Object ClientId -ne 2 | Complete-FedRound -WarningAction SilentlyContinue
        $result.ClientResults.ClientId | Should -Not -Contain 2
        $result.Failures.ClientId | Should -Be @(2)
        $result.Failures[0].Reason | Should -Be 'Excluded'
        $result.BytesUp | Should -Be (5 * 4 * $server.Model.ParameterCount)
    }

    It 'completes a round into which no update arrived, leaving the model unchanged, with a warning' {
        $server = New-SmallServer FedAvg
        $before = Get-Fingerprint $server
        $result = $server | Start-FedRound | Invoke-FedLocalTraining | Where-Object { $false } | Complete-FedRound -Server $server -WarningVariable warned -WarningAction SilentlyContinue
        $result.ClientResults | Should -HaveCount 0
        Get-Fingerprint $server | Should -Be $before
        $warned -join ' ' | Should -Match 'no client update was aggregated'
    }

    It 'clips updates to a norm with Limit-FedUpdate and drops outliers with Select-FedUpdate' {
        $server = New-SmallServer FedAvg
        $clipped = @($server | Start-FedRound | Invoke-FedLocalTraining | Limit-FedUpdate -MaxNorm 0.05)
        $clipped | ForEach-Object { $_.UpdateNorm | Should -BeLessOrEqual (0.05 + 1e-6) }
        $clipped | Complete-FedRound | Out-Null

        $kept = 0.9, 1.0, 1.1, 1.2, 9 | ForEach-Object { New-FedUpdate @{ w = $_ } -ClientId ([int]($_ * 10)) } | Select-FedUpdate
        $kept.ClientId | Should -Be @(9, 10, 11, 12)
    }

    It 'refuses an update of a client that was not sampled, or of another round, and aggregates the rest' {
        $server = New-SmallServer FedAvg -Clients 6 -Fraction 0.5
        $assignments = @($server | Start-FedRound)
        $stranger = 0..5 | Where-Object { $_ -notin $assignments.ClientId } | Select-Object -First 1
        $updates = @($assignments | Invoke-FedLocalTraining) + (New-FedUpdate $server.Strategy.Global.Clone() -ClientId $stranger)
        $result = $updates | Complete-FedRound -Server $server -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad | Should -HaveCount 1
        $bad[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $bad[0].Exception.Message | Should -Match "Client $stranger was not sampled"
        $result.ClientResults | Should -HaveCount 3
    }

    It 'keeps one open round per server; -Force abandons it and the server stays where it was' {
        $server = New-SmallServer FedSophia
        $server | Invoke-FedRound | Out-Null
        $before = Get-Fingerprint $server
        $server | Start-FedRound | Select-Object -First 2 | Invoke-FedLocalTraining | Out-Null
        $err = Get-ErrorRecord { $server | Start-FedRound }
        $err.Exception.Message | Should -Match 'still open'
        $server | Start-FedRound -Force | Out-Null
        $server.OpenRound.Abandon()
        Get-Fingerprint $server | Should -Be $before
        $server.Round | Should -Be 1
    }
}

Describe 'Strategies as objects' {
    It 'New-FedStrategy offers each strategy''s own knobs as parameters, validated by its options record' {
        $spec = New-FedStrategy FedTrimmedAvg -Beta 0.3
        $spec | Should -BeOfType ([FedPS.Core.Federation.Strategies.StrategySpec])
        $spec.Knobs | Should -Be 'beta=0.3'
        (Get-Command New-FedStrategy -ArgumentList Mira).Parameters.Keys | Should -Contain 'Lambda'
        (Get-Command New-FedStrategy -ArgumentList FedProx).Parameters.Keys | Should -Not -Contain 'Lambda'
    }

    It 'completes strategy names with what each does, and a strategy''s knobs' {
        $names = TabExpansion2 -inputScript 'New-FedStrategy Fed' -cursorColumn 19
        $names.CompletionMatches.CompletionText | Should -Contain 'FedTrimmedAvg'
        ($names.CompletionMatches | Where-Object CompletionText -eq 'FedProx').ToolTip | Should -Match 'proximal'
        $knobs = TabExpansion2 -inputScript 'New-FedStrategy Krum -' -cursorColumn 22
        $knobs.CompletionMatches.CompletionText | Should -Contain '-ByzantineClients'
    }

    It 'New-FedServer takes a spec, a name, or a strategy object' {
        (New-SmallServer (New-FedStrategy FedProx -Mu 0.5)).Strategy.ToString() | Should -Be 'FedProx(mu=0.5)'
        (New-SmallServer FedYogi).Strategy.Name | Should -Be 'FedYogi'
        (New-SmallServer ([ScriptMedian]::new())).Strategy.Name | Should -Be 'ScriptMedian'
    }

    It 'refuses <Case> with a clear error naming the value' -ForEach @(
        @{ Case = 'an unknown knob'; Script = { New-FedStrategy FedAvg -Speed 2 }; Pattern = 'FedAvg has no knob -Speed' }
        @{ Case = 'a knob of another strategy'; Script = { New-FedStrategy FedProx -Lambda 0.1 }; Pattern = '-Lambda is a knob of Mira' }
        @{ Case = 'beta outside [0, 0.5)'; Script = { New-FedStrategy FedTrimmedAvg -Beta 0.5 }; Pattern = 'Beta must be in \[0, 0.5\) \(got 0.5\)' }
        @{ Case = 'a negative mu'; Script = { New-FedStrategy FedProx -Mu -1 }; Pattern = 'Mu must be non-negative' }
        @{ Case = 'an unknown strategy'; Script = { New-FedStrategy FedAverage }; Pattern = "Unknown strategy 'FedAverage'" }
        @{ Case = 'a server learning rate out of float range'; Script = { New-FedStrategy FedAdam -ServerLearningRate 1e300 }; Pattern = 'ServerLearningRate' }
    ) {
        $err = Get-ErrorRecord $Script
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match $Pattern
    }

    It 'refuses Krum with f too large for the clients sampled per round' {
        $err = Get-ErrorRecord { New-SmallServer (New-FedStrategy Krum -ByzantineClients 2) -Clients 6 }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '2f \+ 3 = 7 updates per round, but 6 clients'
    }
}

Describe 'Aggregators on their own' {
    It 'FedAvg weights by sample count' {
        $a = New-FedUpdate @{ w = 0.2, 0.2 } -SampleCount 5 -ClientId 0
        $b = New-FedUpdate @{ w = 0.8, 0.4 } -SampleCount 15 -ClientId 1
        ($a, $b | Merge-FedUpdate FedAvg).ToArray('w') | Should -Be @(0.65, 0.35)
    }

    It '<Name> on hand-computed vectors' -ForEach @(
        @{ Name = 'FedMedian'; Spec = { New-FedStrategy FedMedian }; Values = @(@(1, 10), @(2, 20), @(3, -30), @(100, 40)); Expected = @(2.5, 15) }
        @{ Name = 'FedMedian (odd n)'; Spec = { New-FedStrategy FedMedian }; Values = @(@(1, 7), @(5, -2), @(3, 9)); Expected = @(3, 7) }
        @{ Name = 'FedTrimmedAvg'; Spec = { New-FedStrategy FedTrimmedAvg -Beta 0.2 }; Values = @(@(1), @(2), @(3), @(4), @(100)); Expected = @(3) }
        @{ Name = 'Krum'; Spec = { New-FedStrategy Krum -ByzantineClients 1 }; Values = @(@(0), @(1), @(2), @(10), @(-20)); Expected = @(1) }
        @{ Name = 'MultiKrum'; Spec = { New-FedStrategy MultiKrum -ByzantineClients 1 -Keep 3 }; Values = @(@(0), @(1), @(2), @(10), @(-20)); Expected = @(1) }
        @{ Name = 'MultiKrum m = n - f'; Spec = { New-FedStrategy MultiKrum -ByzantineClients 1 }; Values = @(@(0), @(1), @(2), @(10), @(-20)); Expected = @(3.25) }
    ) {
        $i = 0
        $updates = $Values | ForEach-Object { New-FedUpdate @{ w = $_ } -ClientId ($i++) }
        ($updates | Merge-FedUpdate (& $Spec)).ToArray('w') | Should -Be $Expected
    }

    It 'DONE steps the global model by eta times the mean direction' {
        $d1 = New-FedUpdate @{ w = 1, 1 } -SampleCount 1 -ClientId 0
        $d2 = New-FedUpdate @{ w = 3, -1 } -SampleCount 3 -ClientId 1
        ($d1, $d2 | Merge-FedUpdate (New-FedStrategy DONE -ServerLearningRate 0.5) -Global @{ w = 1, 2 }).ToArray('w') | Should -Be @(2.25, 1.75)
    }

    It 'a strategy object keeps its state from one merge to the next' {
        $adam = [FedPS.Core.Federation.Strategies.StrategyCatalog]::Create('FedAdam', [FedPS.Core.Federation.Strategies.FedOptOptions]@{ ServerLearningRate = 0.1; Tau = 0.01 })
        $first = (New-FedUpdate @{ w = 1 } | Merge-FedUpdate $adam -Global @{ w = 0 }).ToArray('w')[0]
        $second = (New-FedUpdate @{ w = 1 } -ClientId 1 | Merge-FedUpdate $adam).ToArray('w')[0]
        $first | Should -BeGreaterThan 0.09
        $second | Should -BeGreaterThan $first
    }
}

Describe 'A strategy written in PowerShell' {
    It 'agrees with the built-in FedMedian to the bit, in rounds and on hand numbers' {
        $script = New-SmallServer ([ScriptMedian]::new())
        $builtIn = New-SmallServer FedMedian
        $script | Invoke-FedRound -Count 2 | Out-Null
        $builtIn | Invoke-FedRound -Count 2 | Out-Null
        Get-Fingerprint $script | Should -Be (Get-Fingerprint $builtIn)

        $updates = @(@(1, 10), @(2, 20), @(3, -30), @(100, 40)) | ForEach-Object -Begin { $i = 0 } { New-FedUpdate @{ w = $_ } -ClientId ($i++) }
        ($updates | Merge-FedUpdate ([ScriptMedian]::new())).ToArray('w') | Should -Be @(2.5, 15)
    }

    It 'is registered by name and runs in an experiment, on this thread, into the store' {
        Register-FedStrategy ([ScriptMedian]) | Out-Null
        (Get-FedStrategy ScriptMedian).ThreadAffine | Should -BeTrue
        $db = Join-Path ([IO.Path]::GetTempPath()) "fedps-script-$([guid]::NewGuid()).sqlite"
        $config = @{ name = 'median'; dataset = 'digits'; clients = 5; rounds = 2; strategy = 'ScriptMedian'; model = @{ hiddenSizes = @(16) }; seeds = @(1, 2) }
        $runs = Invoke-FedExperiment $config -Database $db -ThrottleLimit 2
        $runs | Should -HaveCount 2
        $runs.Status | Should -Be @('complete', 'complete')
        $runs[0].Rounds[-1].Strategy | Should -Be 'ScriptMedian'
    }

    It 'checkpoints and restores like a built-in strategy' {
        $server = New-SmallServer ([ScriptMedian]::new())
        $server | Invoke-FedRound | Out-Null
        $path = Join-Path ([IO.Path]::GetTempPath()) "fedps-script-$([guid]::NewGuid()).safetensors"
        $server | Save-FedCheckpoint -Path $path | Out-Null
        $server | Invoke-FedRound | Out-Null
        $restored = New-SmallServer ([ScriptMedian]::new()) | Restore-FedCheckpoint -Path $path
        $restored | Invoke-FedRound | Out-Null
        Get-Fingerprint $restored | Should -Be (Get-Fingerprint $server)
    }

    It 'refuses a script aggregation that returns <Case>, leaving the server at its last completed round' -ForEach @(
        @{ Case = 'nothing'; Body = 'return $null'; Pattern = 'returned nothing' }
        @{ Case = 'the wrong shapes'; Body = 'return $this.Global.Map({ param($n, $v) $v.flatten() })'; Pattern = "unlike the global ones: 'layers.fc1.weight' is shaped" }
        @{ Case = 'NaN parameters'; Body = 'return $this.Global.Map({ param($n, $v) $v.mul([TorchSharp.Scalar]::op_Implicit([double]::NaN)) })'; Pattern = 'NaN or infinite parameters; the server keeps round 0' }
    ) {
        $type = Invoke-Expression @"
class BrokenStrategy$($Case.Length) : FedPS.Core.Federation.FederatedStrategy {
    [FedPS.Core.Models.ParameterSet] Aggregate([FedPS.Core.Federation.RoundContext] `$round, [System.Collections.Generic.IReadOnlyList[FedPS.Core.Federation.ClientUpdate]] `$results, [System.Collections.Generic.IReadOnlyList[FedPS.Core.Federation.ClientFailure]] `$failures) { $Body }
}
[BrokenStrategy$($Case.Length)]
"@
        $server = New-SmallServer ($type::new())
        $before = Get-Fingerprint $server
        $err = Get-ErrorRecord { $server | Invoke-FedRound -ErrorAction Stop }
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.Exception.Message | Should -Match $Pattern
        $server.Round | Should -Be 0
        $server.OpenRound | Should -BeNullOrEmpty
        Get-Fingerprint $server | Should -Be $before
    }
}
