#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Pester as the CI sweep runner: a small sweep on the digits data, run with two workers, whose It blocks assert
# on the science rather than on the code. Part of the test suite (build.ps1 -Task Test picks up examples/*.Tests.ps1).
BeforeAll {
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')) -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-ci-$([guid]::NewGuid())")).FullName
    $sweep = [ordered]@{
        name = 'ci'; dataset = 'digits'; clients = 6; rounds = 8
        partition = @{ kind = 'Dirichlet'; alpha = 0.5 }
        model = @{ hiddenSizes = @(64) }; training = @{ batchSize = 16 }
        optimizer = [ordered]@{ name = 'Sgd'; learningRate = 0.05; momentum = 0.9 }
        sweep = [ordered]@{ 'optimizer.name' = @('Sgd', 'Adam'); 'optimizer.learningRate' = @(0.01, 0.05) }
        seeds = @(1, 2)
    }
    $runs = Invoke-FedExperiment $sweep -Database (Join-Path $folder 'ci.sqlite') -ThrottleLimit 2

    # The untrained model of each seed, measured on the same test split.
    $test = Import-FedDataset digits -Split test
    $train = Import-FedDataset digits
    $untrained = @{}
    foreach ($seed in 1, 2) {
        $model = $train | New-FedModel -Architecture Mlp -Hidden 64 -Seed $seed
        $server = $train | Split-FedDataset -Clients 2 -Iid | New-FedClient | New-FedServer -Model $model -TestData $test -Seed $seed
        $untrained[$seed] = Measure-FedLoss $server
    }
}
AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

Describe 'The CI sweep (FedAvg on digits, 2 optimizers × 2 learning rates × 2 seeds)' {
    It 'ran all 8 points to completion' {
        $runs | Should -HaveCount 8
        $runs.Status | Select-Object -Unique | Should -Be 'complete'
    }

    It 'every run beats the untrained model of its seed' {
        foreach ($run in $runs) {
            $run.TestAccuracy | Should -BeGreaterThan ($untrained[$run.Seed].Accuracy + 0.2) -Because $run.Name
            $run.TestLoss | Should -BeLessThan $untrained[$run.Seed].Loss -Because $run.Name
        }
    }

    It 'the training loss falls from round to round on average' {
        foreach ($run in $runs) {
            $loss = $run.Rounds.TrainLoss
            $steps = 1..($loss.Count - 1) | ForEach-Object { $loss[$_] - $loss[$_ - 1] }
            ($steps | Measure-Object -Average).Average | Should -BeLessThan 0 -Because $run.Name
        }
    }
}
