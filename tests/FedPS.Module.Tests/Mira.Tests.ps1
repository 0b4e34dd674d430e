#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    function Get-ErrorRecord([scriptblock] $Script) {
        # Per-item failures are non-terminating: Stop makes the first one catchable, as a script would.
        $ErrorActionPreference = 'Stop'
        try { & $Script; throw 'no error was raised' } catch { $_ }
    }

    # A data folder holding two fortune files in the real format (entries split by % lines, one overstrike).
    $saved = $env:FEDPS_DATA
    $env:FEDPS_DATA = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-mira-$([guid]::NewGuid())"
    $fortunes = New-Item -ItemType Directory (Join-Path $env:FEDPS_DATA 'fortunes')
    $computers = 1..40 | ForEach-Object { "The computer number $($_ % 4) is always right about bytes." }
    $science = 1..40 | ForEach-Object { "An atom of kind $($_ % 4) once said: physics is fun." }
    Set-Content (Join-Path $fortunes 'computers') (($computers -join "`n%`n") + "`n%`nB`bBold text that is long enough here.")
    Set-Content (Join-Path $fortunes 'science') ($science -join "`n%`n")

    $tasks = Import-FedTextTask -Name continue-computers, continue-science -ContextLength 48 -TrainCount 24 -TestCount 8 -Seed 1
}

AfterAll {
    Remove-Item $env:FEDPS_DATA -Recurse -Force -ErrorAction SilentlyContinue
    $env:FEDPS_DATA = $saved
}

Describe 'Multi-task LoRA fine-tuning from PowerShell' {
    It 'imports text tasks from fortune files with a seeded split and response-only labels' {
        $tasks | Should -HaveCount 2
        $tasks[0].Name | Should -Be 'continue-computers'
        $tasks[0].Kind | Should -Be 'Continuation'
        $tasks[0].TrainExamples | Should -HaveCount 24
        $tasks[0].Test.Count | Should -Be 8
        $tasks[0].Train.Shape | Should -Be @(48)
        $tasks[0].Train.ClassCount | Should -Be 257
        ($tasks.TrainExamples.Raw + $tasks.TestExamples.Raw) | Should -Not -Match "`b"
        $again = Import-FedTextTask -Name continue-computers -ContextLength 48 -TrainCount 24 -TestCount 8 -Seed 1
        $again.TestExamples.Prompt | Should -Be $tasks[0].TestExamples.Prompt
        ($tasks[0] | Format-Table | Out-String -Width 250) | Should -Match 'continue-computers\s+Continuation\s+24'
    }

    It 'makes one client per task, each keeping its task''s test data' {
        $clients = $tasks | Split-FedDataset -ByTask
        $clients.Id | Should -Be @(0, 1)
        $clients[1].Test.Name | Should -Be 'continue-science'
        ($tasks | Split-FedDataset -ByTask -ClientsPerTask 2).Count | Should -Be 4
    }

    It 'shows trainable (adapter) and total parameters of a LoRA GPT' {
        $model = New-FedModel -Architecture Gpt -ContextLength 48 -Layers 1 -Heads 2 -Embedding 32 -LoraRank 4 -LoraTargets Attention
        $model.TrainableParameterCount | Should -Be (4 * 4 * (32 + 32))
        $model.ParameterCount | Should -BeGreaterThan (10 * $model.TrainableParameterCount)
        ($model | Format-Table | Out-String -Width 250) | Should -Match 'LoRA r=4'
    }

    It 'runs Mira rounds, lowers each client''s local loss, measures perplexity and generates text' {
        $model = New-FedModel -Architecture Gpt -ContextLength 48 -Layers 1 -Heads 2 -Embedding 32 -LoraRank 4 -LoraTargets All -Seed 2
        $server = $tasks | Split-FedDataset -ByTask |
            New-FedClient -Optimizer (New-FedOptimizer Adam -LearningRate 0.01) -BatchSize 8 -LocalSteps 5 |
            New-FedServer -Strategy (New-FedStrategy Mira -Lambda 0.1) -Model $model -TestData $tasks.Test -Seed 2
        $before = Measure-FedLoss $server -PerClient -Split Test

        $rounds = $server | Invoke-FedRound -Count 3
        $after = Measure-FedLoss $server -PerClient -Split Test

        $rounds[-1].Strategy | Should -Be 'Mira'
        $rounds[0].BytesUp | Should -Be (2 * 4 * $model.TrainableParameterCount)
        foreach ($i in 0, 1) { $after[$i].Loss | Should -BeLessThan $before[$i].Loss }
        $after[0].Perplexity | Should -Be ([math]::Exp($after[0].Loss))
        $text = Invoke-FedGenerate -Server $server -ClientId 0 -Prompt 'Continue: The computer' -MaxTokens 8
        $text.ClientId | Should -Be 0
        $text.Tokens | Should -BeLessOrEqual 8
    }

    It 'saves a GPT-2-layout checkpoint (asking before it overwrites) and loads it back' {
        $model = New-FedModel -Architecture Gpt -ContextLength 48 -Layers 1 -Heads 2 -Embedding 32 -Seed 5
        $folder = Join-Path $env:FEDPS_DATA 'models/tiny'

        Save-FedModel -Model $model -Path $folder -WhatIf
        Test-Path $folder | Should -BeFalse
        (Save-FedModel -Model $model -Path $folder).Name | Should -Be 'model.safetensors'
        $loaded = Import-FedModel $folder -LoraRank 2

        $loaded.Spec.Gpt.Tokenizer | Should -Be 'Byte'
        $loaded.TrainableParameterCount | Should -Be (4 * 2 * (32 + 32))
        $a = (Invoke-FedGenerate -Model $model -Prompt 'Continue: An atom' -MaxTokens 6).Completion
        (Invoke-FedGenerate -Model $loaded -Prompt 'Continue: An atom' -MaxTokens 6).Completion | Should -Be $a
    }

    It 'a task whose package is missing names the file and the package' {
        $err = Get-ErrorRecord { Import-FedTextTask -Name define-wordnet }
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match 'wordnet-base'
        $err.Exception.Message | Should -Match 'data\.noun'
    }

    It 'offers task, tokenizer and strategy names as tab completion' {
        (TabExpansion2 'Import-FedTextTask -Name translate-d').CompletionMatches.CompletionText | Should -Be @('translate-deu')
        (TabExpansion2 'Import-FedTextTask -Name x -Tokenizer G').CompletionMatches.CompletionText | Should -Be @('Gpt2')
        (TabExpansion2 'New-FedServer -Strategy Mi').CompletionMatches.CompletionText | Should -Be @('Mira')
        (TabExpansion2 'Install-FedDataset dict-f').CompletionMatches.CompletionText | Should -Contain 'dict-foldoc'
    }
}
