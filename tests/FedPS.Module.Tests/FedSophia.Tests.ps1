#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    function Get-ErrorRecord([scriptblock] $Script) {
        # Per-item failures are non-terminating: Stop makes the first one catchable, as a script would.
        $ErrorActionPreference = 'Stop'
        try { & $Script; throw 'no error was raised' } catch { $_ }
    }
}

Describe 'New-FedOptimizer Sophia' {
    It 'defaults to the reference hyperparameters' {
        $sophia = New-FedOptimizer Sophia
        $sophia | Should -BeOfType ([FedPS.Core.Optim.OptimizerSpec])
        $sophia.Name | Should -Be 'Sophia'
        $sophia.Beta1, $sophia.Beta2 | Should -Be @(0.965, 0.99)
        $sophia.Rho | Should -Be 0.04
        $sophia.WeightDecay | Should -Be 0.1
        $sophia.HessianEvery | Should -Be 10
        $sophia.Epsilon | Should -Be 1e-15
        $sophia.Estimator | Should -Be 'GaussNewtonBartlett'
    }

    It 'takes every knob and canonicalizes the estimator name' {
        $sophia = New-FedOptimizer sophia -LearningRate 0.01 -Rho 0.1 -Betas 0.9, 0.95 -HessianEvery 5 -Estimator hutchinson -WeightDecay 0 -Epsilon 1e-12
        $sophia.LearningRate | Should -Be 0.01
        $sophia.Rho | Should -Be 0.1
        $sophia.Beta2 | Should -Be 0.95
        $sophia.HessianEvery | Should -Be 5
        $sophia.Estimator | Should -Be 'Hutchinson'
    }

    It 'rejects a non-positive rho and an unknown estimator with InvalidArgument' {
        (Get-ErrorRecord { New-FedOptimizer Sophia -Rho 0 }).CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err = Get-ErrorRecord { New-FedOptimizer Sophia -Estimator Fisher }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'GaussNewtonBartlett, Hutchinson'
    }

    It 'rejects Sophia-only knobs on other optimizers' {
        $err = Get-ErrorRecord { New-FedOptimizer Adam -Rho 0.1 }
        $err.Exception.Message | Should -Match "Sophia's"
    }

    It 'completes optimizer, estimator and strategy names' {
        (TabExpansion2 'New-FedOptimizer So').CompletionMatches.CompletionText | Should -Be @('Sophia')
        (TabExpansion2 'New-FedOptimizer Sophia -Estimator H').CompletionMatches.CompletionText | Should -Be @('Hutchinson')
        $strategies = (TabExpansion2 'New-FedServer -Strategy ').CompletionMatches.CompletionText
        foreach ($name in 'FedSophia', 'FedProx', 'FedAdam', 'FedYogi', 'DONE') { $strategies | Should -Contain $name }
    }
}

Describe 'The Fed-Sophia strategies through New-FedServer' {
    BeforeAll {
        $train = Import-FedDataset digits -Split train
        $test = Import-FedDataset digits -Split test
        function New-DigitsServer([string] $Strategy, $Optimizer, [hashtable] $Knobs = @{}) {
            $model = $train | New-FedModel -Architecture Mlp -Seed 2
            $train | Split-FedDataset -Clients 3 -Dirichlet 1.0 -Seed 2 |
                New-FedClient -LocalSteps 5 -BatchSize 16 -Optimizer $Optimizer |
                New-FedServer -Strategy (New-FedStrategy $Strategy @Knobs) -Model $model -TestData $test -Seed 2
        }
    }

    It 'FedSophia trains and reports the Sophia win rate' {
        $server = New-DigitsServer FedSophia (New-FedOptimizer Sophia -LearningRate 0.01 -HessianEvery 2)
        $rounds = $server | Invoke-FedRound -Count 2
        $rounds[-1].Strategy | Should -Be 'FedSophia'
        $rounds[-1].TestLoss | Should -BeLessThan $rounds[0].TestLoss
        $rounds[-1].Metrics['SophiaWinRate'] | Should -BeGreaterThan 0
    }

    It 'New-FedClient -MaxGradientNorm clips every step and reports how often' {
        $model = $train | New-FedModel -Architecture Mlp -Seed 2
        $clients = $train | Split-FedDataset -Clients 3 -Seed 2 |
            New-FedClient -LocalSteps 4 -Optimizer (New-FedOptimizer Sophia -LearningRate 0.01) -MaxGradientNorm 1e-6
        $clients[0].Training.MaxGradientNorm | Should -Be 1e-6
        $clients[0].Training.ToString() | Should -Match 'gradient norm clipped at 1E-06'
        $result = $clients | New-FedServer -Strategy FedSophia -Model $model -Seed 2 | Invoke-FedRound
        $result.Metrics['GradientClipRate'] | Should -Be 1
        (Get-ErrorRecord { $train | Split-FedDataset -Clients 2 | New-FedClient -MaxGradientNorm 0 }).Exception.Message | Should -Match 'MaxGradientNorm'
    }

    It 'FedSophia refuses clients that do not train with Sophia' {
        $err = Get-ErrorRecord { New-DigitsServer FedSophia (New-FedOptimizer Sgd) }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'New-FedOptimizer Sophia'
    }

    It '<Strategy> runs a round with its knobs' -ForEach @(
        @{ Strategy = 'FedProx'; Knobs = @{ Mu = 0.1 } }
        @{ Strategy = 'FedAdam'; Knobs = @{ ServerLearningRate = 0.03; ServerBeta1 = 0.9; ServerBeta2 = 0.99; Tau = 0.001 } }
        @{ Strategy = 'FedYogi'; Knobs = @{ ServerLearningRate = 0.03 } }
        @{ Strategy = 'DONE'; Knobs = @{ RichardsonIterations = 3; RichardsonStep = 0.1 } }
    ) {
        $server = New-DigitsServer $Strategy (New-FedOptimizer Sgd -LearningRate 0.1) $Knobs
        $result = $server | Invoke-FedRound
        $result.Strategy | Should -Be $Strategy
        $result.TestAccuracy | Should -BeGreaterThan 0
        $server.Strategy.ToString() | Should -Match $Strategy
    }

    It 'rejects a non-positive Richardson step before any client is piped' {
        $model = $train | New-FedModel -Architecture Mlp
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 2 | New-FedClient | New-FedServer -Strategy (New-FedStrategy DONE -RichardsonStep 0) -Model $model }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'RichardsonStep'
    }

    It '-OnDivergence Continue drops a diverging client and records it' {
        $model = $train | New-FedModel -Architecture Mlp -Seed 1
        $parts = $train | Split-FedDataset -Clients 3 -Iid -Seed 1
        $clients = @(
            $parts[0] | New-FedClient -LocalSteps 3 -LearningRate 0.1
            $parts[1] | New-FedClient -LocalSteps 3 -LearningRate 1e12
            $parts[2] | New-FedClient -LocalSteps 3 -LearningRate 0.1
        )
        $server = $clients | New-FedServer -Model $model -OnDivergence Continue
        $result = $server | Invoke-FedRound -Count 2
        $result[-1].DroppedClients | Should -Be @(1)

        $stopping = $clients | New-FedServer -Model $model
        $err = Get-ErrorRecord { $stopping | Invoke-FedRound -Count 2 -ErrorAction Stop }
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.Exception.Message | Should -Match 'client 1'
    }
}
