#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
}

Describe 'The FedPS module' {
    It 'imports and exports exactly the cmdlets its manifest lists' {
        $manifest = Import-PowerShellDataFile $modulePath
        $exported = (Get-Command -Module FedPS).Name | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'uses approved verbs only' {
        $approved = (Get-Verb).Verb
        Get-Command -Module FedPS | ForEach-Object { $_.Verb | Should -BeIn $approved -Because $_.Name }
    }

    It 'declares an output type on every cmdlet' {
        Get-Command -Module FedPS | ForEach-Object { $_.OutputType | Should -Not -BeNullOrEmpty -Because $_.Name }
    }

    It 'runs tensor operations after import (the native fix is in place)' {
        $device = Get-FedDevice
        $device.Type | Should -Be 'cpu'
        $device.Threads | Should -BeGreaterThan 0
    }
}

Describe 'A federated pipeline on the digits data' {
    BeforeAll {
        $train = Import-FedDataset digits -Split train
        $test = Import-FedDataset digits -Split test
    }

    It 'reads the real digits file with its fixed split' {
        $train.Count + $test.Count | Should -Be 1797
        $train.Shape | Should -Be @(1, 8, 8)
        $train.ClassCount | Should -Be 10
    }

    It 'splits, builds clients and trains three rounds with a falling loss' {
        $model = $train | New-FedModel -Architecture Mlp -Seed 3
        $server = $train | Split-FedDataset -Clients 4 -Dirichlet 1.0 -Seed 3 |
            New-FedClient -LearningRate 0.1 -BatchSize 16 |
            New-FedServer -Strategy FedAvg -Model $model -TestData $test -Seed 3
        $before = (Measure-FedLoss $server).Loss

        $rounds = $server | Invoke-FedRound -Count 3

        $rounds | Should -HaveCount 3
        $rounds[0] | Should -BeOfType ([FedPS.Core.Simulation.RoundResult])
        $rounds.Round | Should -Be @(1, 2, 3)
        $rounds[-1].TestLoss | Should -BeLessThan $before
        $rounds[-1].TestLoss | Should -BeLessThan $rounds[0].TestLoss
        (Measure-FedLoss $server -PerClient) | Should -HaveCount 4
    }

    It 'carves a seeded validation split from train that the train split then excludes' {
        $holdout = @{ ValidationFraction = 0.2; ValidationSeed = 1 }
        $fit = Import-FedDataset digits -Split train @holdout
        $validation = Import-FedDataset digits -Split validation @holdout

        $validation.Split | Should -Be 'validation'
        $fit.Count + $validation.Count | Should -Be $train.Count
        (Import-FedDataset digits -Split validation @holdout).LabelHistogram() | Should -Be $validation.LabelHistogram()
        (TabExpansion2 'Import-FedDataset digits -Split v').CompletionMatches.CompletionText | Should -Be @('validation')
        { Import-FedDataset digits -Split validation -ErrorAction Stop } | Should -Throw '*carved from its training split*'
    }

    It 'gives every sample to exactly one client' {
        $parts = $train | Split-FedDataset -Clients 7 -Shards 2 -Seed 1
        ($parts | Measure-Object Count -Sum).Sum | Should -Be $train.Count
        $parts.Id | Should -Be (0..6)
    }

    It 'samples a fraction of the clients per round' {
        $model = $train | New-FedModel -Architecture Cnn -Seed 1
        $server = $train | Split-FedDataset -Clients 10 -Iid | New-FedClient -LocalSteps 2 |
            New-FedServer -Model $model -SampleFraction 0.3 -Seed 1
        $result = $server | Invoke-FedRound
        $result.SampledClients | Should -HaveCount 3
        $result.BytesUp | Should -Be (3 * 4 * $model.ParameterCount)
    }
}

Describe 'Bad input gets a clear error record' {
    BeforeAll {
        $train = Import-FedDataset digits
        function Get-ErrorRecord([scriptblock] $Script) {
            # Per-item failures are non-terminating: Stop makes the first one catchable, as a script would.
            $ErrorActionPreference = 'Stop'
            try { & $Script; throw 'no error was raised' } catch { $_ }
        }
    }

    It 'an unknown dataset lists the valid ones' {
        $err = Get-ErrorRecord { Import-FedDataset cifar }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'cifar'
        $err.Exception.Message | Should -Match 'mnist, fashion-mnist, digits'
    }

    It 'an unknown strategy lists the valid ones' {
        $model = $train | New-FedModel -Architecture Mlp
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 2 | New-FedClient | New-FedServer -Strategy FedMagic -Model $model }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Valid strategies: .*FedAvg'
    }

    It 'offers dataset, strategy and architecture names as tab completion' {
        (TabExpansion2 'Import-FedDataset fa').CompletionMatches.CompletionText | Should -Be @('fashion-mnist')
        (TabExpansion2 'New-FedServer -Strategy Fed').CompletionMatches.CompletionText | Should -Contain 'FedAvg'
        (TabExpansion2 'New-FedModel -Architecture C').CompletionMatches.CompletionText | Should -Be @('Cnn')
    }

    It 'a non-positive Dirichlet alpha is rejected' {
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 3 -Dirichlet 0 }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'α must be a positive'
    }

    It 'more clients than samples is rejected' {
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 5000 -Iid }
        $err.Exception.Message | Should -Match '1438 samples among 5000 clients'
    }

    It 'a split that leaves a client without samples is rejected' {
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 1000 -Dirichlet 0.001 -Seed 1 }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'with no samples'
    }

    It 'a model whose input does not fit the data names both shapes' {
        $mnistShaped = New-FedModel -Architecture Mlp -InputShape 1, 28, 28 -Classes 10
        $err = Get-ErrorRecord { $train | Split-FedDataset -Clients 2 | New-FedClient | New-FedServer -Model $mnistShaped }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '1×28×28'
        $err.Exception.Message | Should -Match '1×8×8'
    }

    It '-Name cuda without CUDA names the package to swap in' {
        $err = Get-ErrorRecord { Set-FedDevice -Name cuda }
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match 'libtorch-cuda'
        (Get-FedDevice).Type | Should -Be 'cpu'
    }

    Context 'with a data folder that is empty or damaged' {
        BeforeEach {
            $saved = $env:FEDPS_DATA
            $env:FEDPS_DATA = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-$([guid]::NewGuid())"
        }
        AfterEach {
            Remove-Item $env:FEDPS_DATA -Recurse -Force -ErrorAction SilentlyContinue
            $env:FEDPS_DATA = $saved
        }

        It 'a missing dataset names the file and the setup command' {
            $err = Get-ErrorRecord { Import-FedDataset mnist }
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
            $err.Exception.Message | Should -Match ([regex]::Escape((Join-Path $env:FEDPS_DATA 'mnist')))
            $err.Exception.Message | Should -Match 'Install-FedDataset -Name mnist'
        }

        It 'a truncated IDX file is reported with its name, and nothing is loaded' {
            $folder = New-Item -ItemType Directory (Join-Path $env:FEDPS_DATA 'mnist')
            $header = [byte[]](0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28)
            [IO.File]::WriteAllBytes((Join-Path $folder 'train-images-idx3-ubyte'), $header + [byte[]]::new(100))
            [IO.File]::WriteAllBytes((Join-Path $folder 'train-labels-idx1-ubyte'), [byte[]](0, 0, 8, 1, 0, 0, 0, 10) + [byte[]]::new(10))
            'test-images-idx3-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte' | ForEach-Object { Set-Content (Join-Path $folder $_) '' }

            $err = Get-ErrorRecord { Import-FedDataset mnist -Split train }

            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.TargetObject | Should -Match 'train-images-idx3-ubyte'
            $err.Exception.Message | Should -Match 'truncated'
        }
    }
}
