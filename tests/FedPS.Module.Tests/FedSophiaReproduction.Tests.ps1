#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The Fed-Sophia reproduction (examples/fed-sophia/Invoke-FedSophiaComparison.ps1 and report.ps1) in its smoke
# version: every phase on the digits data, tiny grids, a few rounds, one seed.
BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $root = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-fedsophia-$([guid]::NewGuid())"
    $out = Join-Path $root 'data'
    $results = Join-Path $root 'results'
    $script = Join-Path $PSScriptRoot '../../examples/fed-sophia/Invoke-FedSophiaComparison.ps1'
    & $script -Smoke -Output $out -ReportOutput $results *> $null
    $methods = @('FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'FedSophia', 'DONE')
    $finals = Import-Csv (Join-Path $out 'final-digits.csv')
    $phasesAfterFirst = @(Import-Csv (Join-Path $out 'phases.csv'))
}

AfterAll {
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The Fed-Sophia reproduction, smoke version' {
    It 'picks a validated setting for every method on every MLP split and on the CNN' {
        $winners = Import-Csv (Join-Path $out 'winners.csv')
        foreach ($split in 'iid', 'dirichlet0.3', 'shards2') {
            ($winners | Where-Object Split -EQ $split).Method | Sort-Object | Should -Be ($methods | Sort-Object)
        }
        (Import-Csv (Join-Path $out 'cnn-winners.csv')).Method | Sort-Object | Should -Be ($methods | Sort-Object)
    }

    It 'tunes on the validation split and reports the finals on the test set' {
        (Import-Csv (Join-Path $out 'tune-digits.csv')).Phase | Sort-Object -Unique | Should -Be 'tune' # evaluated on the validation split
        $finals.Phase | Sort-Object -Unique | Should -Be 'final'
        ($finals | Group-Object Split, Method).Count | Should -Be 18 -Because 'each method runs once per split (one seed in the smoke version)'
    }

    It 'runs the CNN finals and the CNN ρ ablation' {
        (Import-Csv (Join-Path $out 'cnn.csv')).Method | Sort-Object -Unique | Should -Be ($methods | Sort-Object)
        $rho = Import-Csv (Join-Path $out 'cnn-tune.csv') | Where-Object { $_.Method -eq 'FedSophia' } | ForEach-Object { ($_.Setting -split ' ' | Where-Object { $_ -like 'Rho=*' }) } | Sort-Object -Unique
        $rho | Should -Contain 'Rho=0.01'
        $rho | Should -Contain 'Rho=0.02'
    }

    It 'writes the report with its tables and figures' {
        $md = Get-Content (Join-Path $results 'fed-sophia.md') -Raw
        $md | Should -Match '## Where Fed-Sophia wins, ties and loses'
        $md | Should -Match '## Results: CNN'
        $md | Should -Match '## Fed-Sophia''s learning rate and ρ on the CNN'
        @(Get-ChildItem (Join-Path $results 'fed-sophia') -Filter '*.png').Count | Should -BeGreaterThan 0
        Join-Path $results 'fed-sophia/runs-summary.csv' | Should -Exist
    }

    It 'reads finished runs back with -Resume: nothing runs again and the rows stay the same' {
        & $script -Smoke -Output $out -ReportOutput $results -Resume *> $null

        $phases = @(Import-Csv (Join-Path $out 'phases.csv'))
        $again = @($phases | Select-Object -Skip $phasesAfterFirst.Count)
        $again.Count | Should -BeGreaterThan 0
        $again.Runs | Sort-Object -Unique | Should -Be '0'
        (Import-Csv (Join-Path $out 'final-digits.csv') | ConvertTo-Csv) | Should -Be ($finals | ConvertTo-Csv)
    }
}
