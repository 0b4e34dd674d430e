#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The MIRA reproduction (examples/mira/run.ps1 and report.ps1) in its smoke version: a tiny fresh GPT instead of the
# pretrained base, two rounds, one seed, two tasks read from fortune files written here in the real format.
BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $saved = $env:FEDPS_DATA
    $root = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-mira2-$([guid]::NewGuid())"
    $env:FEDPS_DATA = Join-Path $root 'data'
    $fortunes = New-Item -ItemType Directory (Join-Path $env:FEDPS_DATA 'fortunes')
    foreach ($category in 'computers', 'work', 'art', 'wisdom', 'politics') {
        $quotes = 1..12 | ForEach-Object { "A $category saying number $_ is about $category, and it is long." }
        Set-Content (Join-Path $fortunes $category) ($quotes -join "`n%`n")
    }
    $out = Join-Path $root 'runs'
    $results = Join-Path $root 'results'
    $script = Join-Path $PSScriptRoot '../../examples/mira/run.ps1'
    $report = Join-Path $PSScriptRoot '../../examples/mira/report.ps1'
    & $script -Smoke -TaskList continue-computers, classify-topic -Out $out *> $null
    & $report -Out $out -Results $results *> $null
    $finals = Import-Csv (Join-Path $out 'final.csv')
}

AfterAll {
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
    $env:FEDPS_DATA = $saved
}

Describe 'The MIRA reproduction, smoke version' {
    It 'runs every method on every client, tuned and early-stopped on validation data' {
        ($finals.Method | Sort-Object -Unique) | Should -Be @('Ditto', 'FedIT', 'FedIT+FT', 'LocalOnly', 'Mira')
        $finals | Should -HaveCount 10
        $finals | ForEach-Object { [double]$_.TestLoss | Should -BeGreaterThan 0 }
        $finals | ForEach-Object { [int]$_.BestRound | Should -BeLessOrEqual ([int]$_.RoundsRun) }
        $selected = Get-Content (Join-Path $out 'selected.json') | ConvertFrom-Json
        $selected.Mira.Lambda | Should -Be 0.05
        (Import-Csv (Join-Path $out 'tuning.csv')).Method | Should -Contain 'Ditto'
    }

    It 'scores the classification client by accuracy and leaves continuation to the loss' {
        $classify = $finals | Where-Object Task -eq 'classify-topic'
        $classify | ForEach-Object { [double]$_.ExactMatch | Should -BeIn (0, 0.25, 0.5, 0.75, 1) }
        ($finals | Where-Object Task -eq 'continue-computers').ExactMatch | Sort-Object -Unique | Should -Be ''
    }

    It 'counts no bytes for local-only clients and FedIT''s for FedIT + FT' {
        ($finals | Where-Object Method -eq 'LocalOnly').MBToBest | Sort-Object -Unique | Should -Be '0'
        $fedIt = ($finals | Where-Object Method -eq 'FedIT')[0].MBToBest
        ($finals | Where-Object Method -eq 'FedIT+FT')[0].MBToBest | Should -Be $fedIt
    }

    It 'writes the committed CSVs, the tables and both figures' {
        foreach ($file in 'final.csv', 'rounds.csv', 'tuning.csv', 'selected.json', 'mira-tables.md', 'mira-validation.png', 'mira-validation-mb.png') {
            Join-Path $results $file | Should -Exist
        }
        Get-Content (Join-Path $results 'mira-tables.md') -Raw | Should -Match '\| Mira \| λ=0\.05,lr=0\.01 \|'
    }

    It 'reads finished runs back with -Resume and gives the same results' {
        & $script -Smoke -TaskList continue-computers, classify-topic -Out $out -Resume *> $null
        $again = Import-Csv (Join-Path $out 'final.csv')
        ($again | ConvertTo-Csv) | Should -Be ($finals | ConvertTo-Csv)
    }

    It 'adds a seed run by a separate invocation to final.csv instead of overwriting the earlier seeds' {
        & $script -Smoke -TaskList continue-computers, classify-topic -Out $out -Resume -Phase Final -Seeds 2 *> $null
        $both = Import-Csv (Join-Path $out 'final.csv')
        ($both.Seed | Sort-Object -Unique) | Should -Be @('1', '2')
        ($both | Where-Object Seed -eq 1 | ConvertTo-Csv) | Should -Be ($finals | ConvertTo-Csv)
    }

    It 'reports seeds whose run folders are gone from the committed CSVs, and a finished seed needs no checkpoint' {
        & $report -Out $out -Results $results *> $null
        $committed = Import-Csv (Join-Path $results 'final.csv')
        # A new machine: seed 1 survives only in the committed CSVs, seed 2's runs have no checkpoints left.
        $fresh = Join-Path $root 'fresh'
        Copy-Item $out $fresh -Recurse
        Get-ChildItem (Join-Path $fresh 'runs/final') -Directory -Recurse -Filter seed1 | Remove-Item -Recurse -Force
        Get-ChildItem $fresh -Recurse -Include *.safetensors | Remove-Item -Force
        Get-ChildItem $fresh -Recurse -Directory -Filter merged | Remove-Item -Recurse -Force
        Remove-Item (Join-Path $fresh 'final.csv'), (Join-Path $fresh 'selected.json'), (Join-Path $fresh 'runs/tune') -Recurse

        & $script -Smoke -TaskList continue-computers, classify-topic -Out $fresh -Resume -Phase Final -Seeds 2 -Selection (Join-Path $results 'selected.json') *> $null
        & $report -Out $fresh -Results $results *> $null

        Join-Path $fresh 'runs/tune' | Should -Not -Exist -Because 'the committed selection replaces the tuning'

        (Import-Csv (Join-Path $fresh 'final.csv')).Seed | Sort-Object -Unique | Should -Be '2'
        $reported = Import-Csv (Join-Path $results 'final.csv')
        ($reported | Sort-Object Seed, Method, { [int]$_.Client } | ConvertTo-Csv) | Should -Be ($committed | Sort-Object Seed, Method, { [int]$_.Client } | ConvertTo-Csv)
        (Import-Csv (Join-Path $results 'rounds.csv')).Seed | Sort-Object -Unique | Should -Be @('1', '2')
    }

    It 'gives the Mira comparisons within each base model when seeds fine-tuned different bases' {
        & $report -Out $out -Results $results -BaseGroups @{ A = 1; B = 2; C = 7 } *> $null
        $reported = Import-Csv (Join-Path $results 'final.csv')
        $difference = {
            param($Seed)
            $rows = $reported | Where-Object Seed -eq $Seed
            (($rows | Where-Object Method -eq Mira).TestLoss | Measure-Object -Average).Average -
                (($rows | Where-Object Method -eq FedIT).TestLoss | Measure-Object -Average).Average
        }
        $row = (Get-Content (Join-Path $results 'mira-tables.md')) -like '| Mira − FedIT, local |*'
        $row | Should -Be ([string]::Format([Globalization.CultureInfo]::InvariantCulture, '| Mira − FedIT, local | {0:F3} | {1:F3} |', (& $difference 1), (& $difference 2)))
        (Get-Content (Join-Path $results 'mira-tables.md')) -like '| comparison |*' | Should -Be '| comparison | base A (seeds 1) | base B (seeds 2) |'
    }

    It 'continues an interrupted run from its last checkpoint to the numbers of an uninterrupted one' {
        # Every run stopped after round 1; then the Mira run's results are dropped as if it had been killed there.
        $cut = Join-Path $root 'cut'
        & $script -Smoke -TaskList continue-computers, classify-topic -Out $cut -MaxRounds 1 *> $null
        $seed = Get-ChildItem (Join-Path $cut 'runs/final') -Directory | Where-Object Name -like 'Mira-*' | ForEach-Object { Join-Path $_.FullName 'seed1' }
        (Import-Csv (Join-Path $seed 'rounds.csv') | Measure-Object { [int]$_.Round } -Maximum).Maximum | Should -Be 1
        Remove-Item (Join-Path $seed 'final.csv'), (Join-Path $seed 'summary.json')

        & $script -Smoke -TaskList continue-computers, classify-topic -Out $cut -Resume -Phase Final *> $null

        $resumed = Import-Csv (Join-Path $seed 'final.csv')
        $straight = $finals | Where-Object Method -eq 'Mira'
        ($resumed | ConvertTo-Csv) | Should -Be ($straight | ConvertTo-Csv)
    }
}
