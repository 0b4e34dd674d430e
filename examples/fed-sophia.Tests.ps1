#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The Fed-Sophia reproduction end to end at smoke size: Invoke-FedSophiaComparison.ps1 -Smoke runs every phase on the
# small digits data (tiny grids, a few rounds, one seed) and writes the report, in seconds.
BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot 'fed-sophia/FedSophiaComparison.psm1') -Force
    $root = Join-Path ([IO.Path]::GetTempPath()) "fedps-sophia-smoke-$([guid]::NewGuid())"
    $data = Join-Path $root 'data'
    & (Join-Path $PSScriptRoot 'fed-sophia/Invoke-FedSophiaComparison.ps1') -Smoke -Output $data -ReportOutput $root `
        -Method FedAvg-SGD, FedSophia, DONE -Split dirichlet0.3 6>$null
}

AfterAll {
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The Fed-Sophia reproduction (smoke)' {
    It 'tunes on the validation split only and reports on the test split only' {
        (Import-Csv (Join-Path $data 'tune-digits.csv')).Evaluated | Sort-Object -Unique | Should -Be 'validation'
        (Import-Csv (Join-Path $data 'cnn-tune.csv')).Evaluated | Sort-Object -Unique | Should -Be 'validation'
        (Import-Csv (Join-Path $data 'final-digits.csv')).Evaluated | Sort-Object -Unique | Should -Be 'test'
        (Import-Csv (Join-Path $data 'cnn.csv')).Evaluated | Sort-Object -Unique | Should -Be 'test'
    }

    It 'runs every method at its validated winner in the final phase' {
        $winners = Import-Csv (Join-Path $data 'winners.csv')
        $winners.Method | Sort-Object | Should -Be @('DONE', 'FedAvg-SGD', 'FedSophia')
        foreach ($w in $winners) {
            $rows = Import-Csv (Join-Path $data 'final-digits.csv') | Where-Object Method -EQ $w.Method
            $rows.Setting | Sort-Object -Unique | Should -Be $w.Setting
        }
    }

    It 'walks Fed-Sophia''s ablation stages in order, each from the best of the ones before' {
        $trace = Import-Csv (Join-Path $data 'tuning.csv') | Where-Object Method -EQ 'FedSophia'
        @($trace.Knob | Select-Object -Unique) | Should -Be @('Lr', 'Rho', 'K', 'State', 'Clip')
        $chosenLr = ($trace | Where-Object { $_.Knob -eq 'Lr' -and $_.Chosen -eq '1' }).Value
        $trace | Where-Object Knob -EQ 'Rho' | ForEach-Object { (ConvertFrom-SettingText FedSophia $_.Setting).Lr | Should -Be $chosenLr }
    }

    It 'writes the report with its figures and a per-run summary with the same columns for every dataset' {
        $report = Get-Content (Join-Path $root 'fed-sophia.md') -Raw
        $report | Should -Match 'Where Fed-Sophia wins, ties and loses'
        $report | Should -Match 'FedSophia \| Lr: 0.0003'
        @(Get-ChildItem (Join-Path $root 'fed-sophia') -Filter *.png).Count | Should -Be 4
        $columns = (Get-Content (Join-Path $root 'fed-sophia/runs-summary.csv') -TotalCount 1) -split ','
        $columns | Should -Contain 'RoundsToTarget1'
        $columns | Should -Contain 'MBToTarget2'
    }

    It 'settings round-trip through their text' {
        $setting = [ordered]@{ Lr = 0.003; Rho = 0.02; K = 5; State = 'reset'; Clip = 1 }
        $text = ConvertTo-SettingText FedSophia $setting
        $text | Should -Be 'Lr=0.003 Rho=0.02 K=5 State=reset Clip=1'
        ConvertTo-SettingText FedSophia (ConvertFrom-SettingText FedSophia $text) | Should -Be $text
    }

    It 'scores a run that stopped early as zero for its missing rounds' {
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ Round = $_; EvalAccuracy = 0.5 } }
        Get-RunScore -Rows $rows -Rounds 5 -Last 5 | Should -Be 0.3
    }
}
