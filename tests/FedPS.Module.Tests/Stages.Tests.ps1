#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The round stages from PowerShell: privacy, compression, attacks and availability as server and client options,
# as hand-written pipeline stages (the same numbers either way), and their refusals of bad input.
# The stage options in -ForEach data are built at discovery, so the module is imported then too.
BeforeDiscovery {
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')) -Force
}

BeforeAll {
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')) -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null

    function Get-ErrorRecord([scriptblock] $Script) {
        try { & $Script; throw 'no error was raised' } catch { $_ }
    }

    $train = Import-FedDataset digits
    $test = Import-FedDataset digits -Split test
    $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-stages-$([guid]::NewGuid())")).FullName

    function New-StagedServer {
        param($Strategy = 'FedAvg', [int] $Clients = 6, [double] $Fraction = 1, [hashtable] $Stages = @{}, [object[]] $ClientOptions,
            [int] $Steps = 3, [double] $LearningRate = 0.1)
        $shards = $train | Split-FedDataset -Clients $Clients -Iid -Seed 2
        $federation = $shards | ForEach-Object {
            $own = if ($ClientOptions) { $ClientOptions[$_.Id] } else { @{} }
            $_ | New-FedClient -LocalSteps $Steps -BatchSize 16 -LearningRate $LearningRate @own
        }
        $federation | New-FedServer -Strategy $Strategy -Model ($train | New-FedModel Mlp -Hidden 16 -Seed 2) -TestData $test -Seed 2 -SampleFraction $Fraction @Stages
    }

    function Get-Fingerprint($Server) {
        [FedPS.Core.Simulation.Checkpoint]::Fingerprint([TorchSharp.torch+Tensor[]] @($Server.StateTensors() | ForEach-Object Item2))
    }
}
AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

Describe 'Stages configured on a server' {
    It 'give the same numbers as the hand-written stage cmdlets (<Name>)' -ForEach @(
        @{ Name = 'Compress-FedUpdate'; Stages = @{ Compression = (New-FedCompression Qsgd -Levels 4) }; Stage = { $input | Compress-FedUpdate Qsgd -Levels 4 } }
        @{ Name = 'Protect-FedUpdate'; Clients = @(@{ Privacy = (New-FedPrivacy Local -ClipNorm 0.3 -NoiseMultiplier 0.2) }) * 6; Stage = { $input | Protect-FedUpdate -ClipNorm 0.3 -NoiseMultiplier 0.2 } }
        @{ Name = 'Invoke-FedAttack'; Stages = @{ Attack = (New-FedAttack SignFlip -Clients 1, 4 -Scale 3) }; Stage = { $input | Invoke-FedAttack SignFlip -ClientId 1, 4 -Scale 3 } }
    ) {
        $configured = if ($Clients) { New-StagedServer -ClientOptions $Clients } else { New-StagedServer -Stages $Stages }
        $byHand = New-StagedServer
        $expected = $configured | Invoke-FedRound -Count 2
        $actual = 1..2 | ForEach-Object { $byHand | Start-FedRound | Invoke-FedLocalTraining | & $Stage | Complete-FedRound }

        $byHand.Strategy.Global.Entries.Count | Should -Be $configured.Strategy.Global.Entries.Count
        [FedPS.Core.Simulation.Checkpoint]::Fingerprint($byHand.Strategy.Global.Values) | Should -Be ([FedPS.Core.Simulation.Checkpoint]::Fingerprint($configured.Strategy.Global.Values))
        $actual.BytesUp | Should -Be $expected.BytesUp
    }

    It 'report ε after every round, as Measure-FedPrivacy computes it' {
        $server = New-StagedServer -Clients 10 -Fraction 0.3 -Stages @{ Privacy = (New-FedPrivacy -NoiseMultiplier 1.2 -TargetDelta 1e-4) }
        $rounds = $server | Invoke-FedRound -Count 3
        $rounds.Epsilon | Should -Be (1..3 | ForEach-Object { (Measure-FedPrivacy -SampleRate 0.3 -NoiseMultiplier 1.2 -Rounds $_ -Delta 1e-4).Epsilon })
        $rounds[2].Metrics['clipNorm'] | Should -Be 1
    }

    It 'count compressed uplink bytes and full-precision downlink bytes' {
        $plain = New-StagedServer | Invoke-FedRound
        $compressed = New-StagedServer -Stages @{ Compression = (New-FedCompression TopK -Ratio 0.01) } | Invoke-FedRound
        $compressed.BytesDown | Should -Be $plain.BytesDown
        $compressed.BytesUp | Should -BeLessThan ($plain.BytesUp / 30)
        $compressed.Metrics['uplinkCompression'] | Should -BeGreaterThan 30
    }

    It 'report unavailable and late clients to the strategy, with no warnings' {
        $server = New-StagedServer -Stages @{ Availability = (New-FedAvailability -DropoutProbability 0.5 -Deadline 0.15 -StepTime 0.05 -SpeedSpread 1) }
        $rounds = $server | Invoke-FedRound -Count 4 -WarningVariable warned
        $warned | Should -BeNullOrEmpty
        $reasons = $rounds.Failures.Reason | Select-Object -Unique
        $reasons | Should -Contain 'Unavailable'
        $reasons | Should -Contain 'Deadline'
        $rounds | ForEach-Object { $_.ClientResults.Count + $_.Failures.Count | Should -Be 6 }
    }

    It 'lists the server''s stages in the order they act' {
        $server = New-StagedServer -Stages @{ Privacy = (New-FedPrivacy); Compression = (New-FedCompression Sign); Attack = (New-FedAttack -Fraction 0.5); Availability = (New-FedAvailability -DropoutProbability 0.1) }
        $server.Stages.Name | Should -Be @('availability', 'attack', 'compression', 'privacy') # central DP acts on the decoded updates
        ($server.Stages | Where-Object Name -eq 'attack').ClientIds | Should -HaveCount 3
        ($server.Stages | Out-String) | Should -Match 'DP-FedAvg z=1'
    }

    It 'resume bit-identically from a checkpoint that holds the stages'' state' {
        $stages = @{ Privacy = (New-FedPrivacy -NoiseMultiplier 0.5 -AdaptiveClip -ClippedCountStddev 1); Compression = (New-FedCompression TopK -Ratio 0.05 -ErrorFeedback) }
        $straight = New-StagedServer -Stages $stages
        $resumed = New-StagedServer -Stages $stages
        $straight | Invoke-FedRound -Count 2 | Out-Null
        $path = Join-Path $folder 'staged.safetensors'
        Save-FedCheckpoint $straight -Path $path | Out-Null
        Restore-FedCheckpoint $resumed -Path $path | Out-Null
        $straight | Invoke-FedRound -Count 2 | Out-Null
        $resumed | Invoke-FedRound -Count 2 | Out-Null
        Get-Fingerprint $resumed | Should -Be (Get-Fingerprint $straight)
    }
}

Describe 'Robust aggregation against attackers' {
    # 2 of 7 clients attack; 8 rounds of 20 local steps. Without an attack both rules reach about 70 % on digits.
    It 'the median holds where the mean breaks under <Kind> attackers' -ForEach @(
        @{ Kind = 'SignFlip'; Scale = 10 }
        @{ Kind = 'Scale'; Scale = 50 }
    ) {
        $attack = @{ Attack = (New-FedAttack $Kind -Count 2 -Scale $Scale) }
        $mean = New-StagedServer -Clients 7 -Steps 20 -LearningRate 0.05 -Stages $attack | Invoke-FedRound -Count 8 | Select-Object -Last 1
        $median = New-StagedServer -Strategy FedMedian -Clients 7 -Steps 20 -LearningRate 0.05 -Stages $attack | Invoke-FedRound -Count 8 | Select-Object -Last 1
        $median.TestAccuracy | Should -BeGreaterThan 0.5
        $median.TestAccuracy | Should -BeGreaterThan ($mean.TestAccuracy + 0.3)
    }
}

Describe 'Bad input is refused with an error naming the value, before anything runs' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'a zero clip norm'; Script = { New-FedPrivacy -ClipNorm 0 }; Pattern = 'ClipNorm must be positive and finite \(got 0\)' }
        @{ Case = 'a negative clip norm'; Script = { New-FedPrivacy -ClipNorm -1 }; Pattern = 'ClipNorm must be positive and finite \(got -1\)' }
        @{ Case = 'δ of 1.5'; Script = { New-FedPrivacy -TargetDelta 1.5 }; Pattern = 'TargetDelta must be in \(0, 1\) \(got 1.5\)' }
        @{ Case = 'δ of 0 in the accountant'; Script = { Measure-FedPrivacy 0.1 1 -Rounds 10 -Delta 0 }; Pattern = 'TargetDelta must be in \(0, 1\) \(got 0\)' }
        @{ Case = 'k of 0'; Script = { New-FedCompression TopK -Ratio 0 }; Pattern = 'Ratio must be in \(0, 1\]' }
        @{ Case = 'k above 1'; Script = { New-FedCompression TopK -Ratio 1.5 }; Pattern = 'Ratio must be in \(0, 1\] .*\(got 1.5\)' }
        @{ Case = 'levels below 1'; Script = { New-FedCompression Qsgd -Levels 0 }; Pattern = 'Levels must be at least 1 \(got 0\)' }
        @{ Case = 'a dropout probability of 1'; Script = { New-FedAvailability -DropoutProbability 1 }; Pattern = 'DropoutProbability must be in \[0, 1\) \(got 1\)' }
        @{ Case = 'central DP on a client'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -Privacy (New-FedPrivacy) }; Pattern = 'server option' }
        @{ Case = 'a share of attackers on a client'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -Attack (New-FedAttack -Fraction 0.5) }; Pattern = 'a client''s own attack' }
        @{ Case = 'central DP under Krum'; Script = { New-StagedServer -Strategy Krum -Stages @{ Privacy = (New-FedPrivacy) } }; Pattern = 'Krum does not aggregate through it' }
        @{ Case = 'label flipping by hand'; Script = { New-FedUpdate @{ w = 1 } | Invoke-FedAttack LabelFlip }; Pattern = 'Label flipping changes how a client trains' }
    ) {
        $err = Get-ErrorRecord $Script
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match $Pattern
    }

    It 'refuses more attackers than clients, and builds no server' {
        $err = Get-ErrorRecord { $script:made = New-StagedServer -Clients 4 -Stages @{ Attack = (New-FedAttack SignFlip -Count 5) } }
        $err.Exception.Message | Should -Match '5 attackers, more than the server''s 4 clients'
        $script:made | Should -BeNullOrEmpty
    }

    It 'refuses an availability trace with <Case>, naming file and line' -ForEach @(
        @{ Case = 'a bad row'; Lines = @('client,round,available', '0,1,1', '1;2;0'); Pattern = ':3: expected 3 fields' }
        @{ Case = 'a bad round'; Lines = @('0,first,1'); Pattern = ":1: the round 'first' is not a round number" }
        @{ Case = 'a bad value'; Lines = @('0,1,perhaps'); Pattern = ":1: available must be 1/0, true/false or yes/no, not 'perhaps'" }
    ) {
        $path = Join-Path $folder "trace-$([guid]::NewGuid()).csv"
        Set-Content $path $Lines
        $err = Get-ErrorRecord { New-FedAvailability -Trace $path }
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match ([regex]::Escape($path) + $Pattern)
    }

    It 'refuses a trace naming a client the server does not have, naming its line' {
        $path = Join-Path $folder 'unknown.csv'
        Set-Content $path 'client,round,available', '0,1,0', '42,2,0'
        $err = Get-ErrorRecord { New-StagedServer -Stages @{ Availability = (New-FedAvailability -Trace $path) } }
        $err.Exception.Message | Should -Match ([regex]::Escape("${path}:3: client 42 is not in the federation"))
    }
}

Describe 'Measure-FedPrivacy' {
    It 'gives Opacus''s published ε, and the noise multiplier for a target ε' {
        $orders = @(1..99 | ForEach-Object { 1 + $_ / 10 }) + @(12..63)
        (Measure-FedPrivacy -SampleRate 0.04 -NoiseMultiplier 1.5 -Rounds 2250 -Delta 1e-5 -Orders $orders).Epsilon | Should -BeLessThan 7.32912
        (Measure-FedPrivacy -SampleRate 0.04 -NoiseMultiplier 1.5 -Rounds 2250 -Delta 1e-5 -Orders $orders).Epsilon | Should -BeGreaterThan 7.32910
        $found = Measure-FedPrivacy -SampleRate 0.04 -TargetEpsilon 8 -Rounds 2250 -Delta 1e-5
        $found.Epsilon | Should -BeLessOrEqual 8
        $found.NoiseMultiplier | Should -BeGreaterThan 1.40
        $found.NoiseMultiplier | Should -BeLessThan 1.417
    }
}
