#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The bad-input corpus (docs/reliability.md): every input here must give exactly one ErrorRecord with a meaningful
# category, the bad value or file named, and no .NET or libtorch stack text; none may crash, hang or allocate what
# it claims. Each case runs as a script would run it, with -ErrorAction Stop.
BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null

    $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-bad-$([guid]::NewGuid())")).FullName
    $train = Import-FedDataset digits
    $model = $train | New-FedModel -Architecture Mlp -Hidden 8 -Seed 1
    $server = $train | Split-FedDataset -Clients 2 -Seed 1 | New-FedClient -LocalSteps 1 | New-FedServer -Model $model -Seed 1
    $checkpoint = Join-Path $folder 'good.safetensors'
    Save-FedCheckpoint $server $checkpoint | Out-Null

    # Files that are not what they claim to be.
    $empty = New-Item (Join-Path $folder 'empty.safetensors') -ItemType File
    $text = Join-Path $folder 'text.safetensors'; Set-Content $text 'This is a text file, not tensors. It is long enough to have a header.'
    $truncated = Join-Path $folder 'truncated.safetensors'
    [IO.File]::WriteAllBytes($truncated, [IO.File]::ReadAllBytes($checkpoint)[0..299])
    $store = Join-Path $folder 'store.sqlite'
    Invoke-FedExperiment @{ name = 'bad'; dataset = 'digits'; clients = 2; rounds = 1; model = @{ hiddenSizes = @(8) } } -Database $store | Out-Null
    $foreign = Join-Path $folder 'foreign.sqlite'
    $newer = Join-Path $folder 'newer.sqlite'
    Copy-Item $store $newer
    foreach ($sql in @(@($foreign, 'CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)'), @($newer, 'PRAGMA user_version = 42'))) {
        $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$($sql[0]);Pooling=False")
        $connection.Open(); $command = $connection.CreateCommand(); $command.CommandText = $sql[1]; $command.ExecuteNonQuery() | Out-Null
        $connection.Dispose()
    }
    $aFile = Join-Path $folder 'a-file'; Set-Content $aFile 'not a folder'

    # GPT checkpoint folders, each broken one way.
    function New-GptFolder([string] $Name, [scriptblock] $Break) {
        $path = Join-Path $folder $Name
        New-FedModel -Architecture Gpt -Layers 1 -Heads 2 -Embedding 8 -ContextLength 6 | Save-FedModel -Path $path | Out-Null
        & $Break $path
        $path
    }
    $gptEmpty = New-GptFolder 'gpt-empty' { param($p) Set-Content (Join-Path $p 'model.safetensors') -Value $null -NoNewline }
    $gptText = New-GptFolder 'gpt-text' { param($p) Set-Content (Join-Path $p 'model.safetensors') 'weights? no, words.' }
    $gptTruncated = New-GptFolder 'gpt-truncated' { param($p) $f = Join-Path $p 'model.safetensors'; [IO.File]::WriteAllBytes($f, [IO.File]::ReadAllBytes($f)[0..199]) }
    $gptConfigText = New-GptFolder 'gpt-config-text' { param($p) Set-Content (Join-Path $p 'config.json') 'vocab_size = 256' }
    $gptConfigList = New-GptFolder 'gpt-config-list' { param($p) Set-Content (Join-Path $p 'config.json') '[1, 2, 3]' }
    $mlpNoClasses = Join-Path $folder 'mlp-no-classes'
    $model | Save-FedModel -Path $mlpNoClasses | Out-Null
    $config = Get-Content (Join-Path $mlpNoClasses 'config.json') -Raw | ConvertFrom-Json -AsHashtable
    $config.Remove('classes'); $config | ConvertTo-Json | Set-Content (Join-Path $mlpNoClasses 'config.json')
    $gptConfigHuge = New-GptFolder 'gpt-config-huge' {
        param($p) Set-Content (Join-Path $p 'config.json') '{"vocab_size": 256, "n_positions": 6, "n_layer": 1, "n_head": 2, "n_embd": 2000000000}'
    }

    # Text tasks from a fixture data folder (the real fortune format).
    $savedData = $env:FEDPS_DATA
    $env:FEDPS_DATA = Join-Path $folder 'data'
    $fortunes = New-Item -ItemType Directory (Join-Path $env:FEDPS_DATA 'fortunes')
    Set-Content (Join-Path $fortunes 'computers') ((1..30 | ForEach-Object { "Computer $_ never forgets a byte." }) -join "`n%`n")
    $task = Import-FedTextTask continue-computers -ContextLength 32 -TrainCount 12 -TestCount 4
    $env:FEDPS_DATA = $savedData
    $textMlp = $task.Train | New-FedModel -Architecture Mlp -Hidden 8

    # An installed dataset whose file changed after installation (one byte of the gzip trailer).
    $tampered = Join-Path $folder 'tampered'
    Copy-Item (Join-Path ([FedPS.Core.Data.DataPaths]::Root) 'digits') (Join-Path $tampered 'digits') -Recurse
    $digitsFile = Join-Path $tampered 'digits/digits.csv.gz'
    $bytes = [IO.File]::ReadAllBytes($digitsFile); $bytes[-1] = $bytes[-1] -bxor 1; [IO.File]::WriteAllBytes($digitsFile, $bytes)

    function Get-ErrorRecord([scriptblock] $Script) {
        $ErrorActionPreference = 'Stop'
        try { & $Script | Out-Null; $null } catch { $_ }
    }
}

AfterAll {
    $env:FEDPS_DATA = $savedData
    Remove-Item $folder -Recurse -Force -ErrorAction Ignore
}

Describe 'A bad cmdlet input gives one clear error record' {
    It '<Name>' -ForEach @(
        # Data
        @{ Name = 'an unknown dataset'; Category = 'InvalidArgument'; Match = "Unknown dataset 'cifar'"; Script = { Import-FedDataset cifar } }
        @{ Name = 'an unknown split'; Category = 'InvalidArgument'; Match = "Unknown split 'bogus'"; Script = { Import-FedDataset digits -Split bogus } }
        @{ Name = 'an installed file changed after installation'; Category = 'InvalidData'; Match = 'is not the file FedPS knows as ''digits/digits.csv.gz'''; Target = 'digits.csv.gz$'
           Script = { $env:FEDPS_DATA = $tampered; try { Import-FedDataset digits -Verify } finally { $env:FEDPS_DATA = $savedData } } }
        @{ Name = 'an unknown package to install'; Category = 'InvalidArgument'; Match = "Unknown dataset or package 'bogus'"; Script = { Install-FedDataset bogus } }
        @{ Name = 'an unknown text task'; Category = 'InvalidArgument'; Match = "Unknown text task 'translate-xx'"; Script = { Import-FedTextTask translate-xx } }
        @{ Name = 'an unknown tokenizer'; Category = 'InvalidArgument'; Match = 'Klingon'; Script = { New-FedModel -Architecture Gpt -Tokenizer Klingon } }
        @{ Name = 'more clients than samples'; Category = 'InvalidArgument'; Match = '1438 samples among 5000 clients'; Script = { $train | Split-FedDataset -Clients 5000 } }
        @{ Name = 'zero shards per client'; Category = 'InvalidArgument'; Match = 'Shards per client must be at least 1'; Script = { $train | Split-FedDataset -Clients 2 -Shards 0 } }
        @{ Name = 'more shards than samples'; Category = 'InvalidArgument'; Match = '100 clients × 20 shards = 2000 shards'; Script = { $train | Split-FedDataset -Clients 100 -Shards 20 } }
        @{ Name = 'a negative Dirichlet alpha'; Category = 'InvalidArgument'; Match = 'α must be a positive finite number'; Script = { $train | Split-FedDataset -Clients 2 -Dirichlet -1 } }
        @{ Name = 'a NaN Dirichlet alpha'; Category = 'InvalidArgument'; Match = 'α must be a positive finite number'; Script = { $train | Split-FedDataset -Clients 2 -Dirichlet ([double]::NaN) } }
        @{ Name = 'a split that leaves a client empty'; Category = 'InvalidArgument'; Match = 'with no samples'; Script = { $train | Split-FedDataset -Clients 1000 -Dirichlet 0.001 -Seed 1 } }
        # Models
        @{ Name = 'a hidden width of 0'; Category = 'InvalidArgument'; Match = 'HiddenSizes must all be at least 1 \(got 0\)'; Script = { New-FedModel Mlp -InputShape 1, 8, 8 -Classes 10 -Hidden 0 } }
        @{ Name = 'a negative hidden width'; Category = 'InvalidArgument'; Match = 'HiddenSizes must all be at least 1 \(got -5\)'; Script = { New-FedModel Mlp -InputShape 1, 8, 8 -Classes 10 -Hidden -5 } }
        @{ Name = 'a hidden width of two billion'; Category = 'LimitsExceeded'; Match = 'MiB of memory available'; Script = { New-FedModel Mlp -InputShape 1, 8, 8 -Classes 10 -Hidden 2000000000 } }
        @{ Name = 'an input shape whose size overflows'; Category = 'LimitsExceeded'; Match = 'more than 9.2e18'; Script = { New-FedModel Mlp -InputShape 100000, 100000, 100000, 100000 -Classes 10 } }
        @{ Name = 'an input dimension of 0'; Category = 'InvalidArgument'; Match = 'Invalid input shape 0×8×8'; Script = { New-FedModel Mlp -InputShape 0, 8, 8 -Classes 10 } }
        @{ Name = 'a Cnn on images smaller than 4×4'; Category = 'InvalidArgument'; Match = 'at least 4×4 \(got 2×2\)'; Script = { New-FedModel Cnn -InputShape 1, 2, 2 -Classes 10 } }
        @{ Name = 'a Cnn on flat input'; Category = 'InvalidArgument'; Match = 'channels×height×width'; Script = { New-FedModel Cnn -InputShape 64 -Classes 10 } }
        @{ Name = 'an Mlp without data to take its shape from'; Category = 'InvalidArgument'; Match = 'needs the data''s sample shape and class count.*pipe the dataset in'; Target = '^Mlp$'; Script = { New-FedModel Mlp } }
        @{ Name = 'a Cnn given a shape but no class count'; Category = 'InvalidArgument'; Match = 'give -InputShape and -Classes'; Script = { New-FedModel Cnn -InputShape 1, 8, 8 } }
        @{ Name = 'an unknown architecture'; Category = 'InvalidArgument'; Match = "Unknown architecture 'Transformer'"; Script = { New-FedModel Transformer } }
        @{ Name = 'LoRA on an Mlp'; Category = 'InvalidArgument'; Match = 'LoRA adapters are available for the Gpt architecture'; Script = { New-FedModel Mlp -InputShape 1, 8, 8 -Classes 10 -LoraRank 4 } }
        @{ Name = 'a Gpt width that is not a multiple of the heads'; Category = 'InvalidArgument'; Match = 'Embedding must be a positive multiple of Heads'; Script = { New-FedModel Gpt -Embedding 10 -Heads 4 } }
        @{ Name = 'an Mlp fed text'; Category = 'InvalidArgument'; Match = 'holds token sequences'; Script = { $task.Train | Split-FedDataset -Clients 2 | New-FedClient | New-FedServer -Model $textMlp } }
        @{ Name = 'an image model measured on text'; Category = 'InvalidArgument'; Match = 'holds token sequences'; Script = { Measure-FedLoss $server -Data $task.Train } }
        # Optimizers and clients
        @{ Name = 'an unknown optimizer'; Category = 'InvalidArgument'; Match = "Unknown optimizer 'Lion'"; Script = { New-FedOptimizer Lion } }
        @{ Name = 'a non-positive Sophia rho'; Category = 'InvalidArgument'; Match = 'Rho must be a positive number'; Script = { New-FedOptimizer Sophia -Rho 0 } }
        @{ Name = 'a negative learning rate'; Category = 'InvalidArgument'; Match = 'LearningRate must be a positive number'; Script = { New-FedOptimizer Sgd -LearningRate -1 } }
        @{ Name = 'a beta above one'; Category = 'InvalidArgument'; Match = 'Beta1'; Script = { New-FedOptimizer Adam -Betas 1.5, 0.9 } }
        @{ Name = 'an unknown Hessian estimator'; Category = 'InvalidArgument'; Match = 'Magic'; Script = { New-FedOptimizer Sophia -Estimator Magic } }
        @{ Name = 'a batch size of 0'; Category = 'InvalidArgument'; Match = 'BatchSize must be at least 1'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -BatchSize 0 } }
        @{ Name = 'zero local steps'; Category = 'InvalidArgument'; Match = 'LocalSteps must be at least 1'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -LocalSteps 0 } }
        @{ Name = 'an optimizer and a learning rate at once'; Category = 'InvalidArgument'; Match = 'either -Optimizer or -LearningRate'; Script = { $train | Split-FedDataset -Clients 2 | New-FedClient -Optimizer (New-FedOptimizer Adam) -LearningRate 0.1 } }
        @{ Name = 'an unknown device'; Category = 'InvalidArgument'; Match = "Unknown device 'tpu'"; Script = { Set-FedDevice tpu } }
        @{ Name = 'CUDA where there is none'; Category = 'ResourceUnavailable'; Match = 'libtorch-cuda'; Script = { Set-FedDevice cuda } }
        # Checkpoints
        @{ Name = 'a missing checkpoint'; Category = 'ObjectNotFound'; Match = 'does not exist'; Target = 'missing'; Script = { Restore-FedCheckpoint $server (Join-Path $folder 'missing.safetensors') } }
        @{ Name = 'an empty checkpoint'; Category = 'InvalidData'; Match = 'fewer than the 8-byte header length'; Target = 'empty'; Script = { Restore-FedCheckpoint $server $empty } }
        @{ Name = 'a text file as a checkpoint'; Category = 'InvalidData'; Match = 'header length'; Target = 'text'; Script = { Restore-FedCheckpoint $server $text } }
        @{ Name = 'a truncated checkpoint'; Category = 'InvalidData'; Match = 'is corrupt'; Target = 'truncated'; Script = { Restore-FedCheckpoint $server $truncated } }
        @{ Name = 'a checkpoint of another model'; Category = 'InvalidOperation'; Match = 'another model \(HiddenSizes was \[8\], is now \[16\]\)'; Target = 'good';
           Script = { $other = $train | New-FedModel Mlp -Hidden 16 -Seed 1; Restore-FedCheckpoint ($train | Split-FedDataset -Clients 2 -Seed 1 | New-FedClient -LocalSteps 1 | New-FedServer -Model $other -Seed 1) $checkpoint } }
        @{ Name = 'a checkpoint into a missing folder'; Category = 'ObjectNotFound'; Match = 'does not exist'; Target = 'nowhere'; Script = { Save-FedCheckpoint $server (Join-Path $folder 'nowhere/c.safetensors') } }
        @{ Name = 'a checkpoint where writing is refused'; Category = 'PermissionDenied'; Match = 'access is denied'; Target = '^/sys/fedps.safetensors$'; Script = { Save-FedCheckpoint $server /sys/fedps.safetensors } }
        # Model files
        @{ Name = 'a missing model folder'; Category = 'ObjectNotFound'; Match = 'is not a model checkpoint folder'; Script = { Import-FedModel (Join-Path $folder 'no-model') } }
        @{ Name = 'an empty weights file'; Category = 'InvalidData'; Match = 'fewer than the 8-byte header length'; Target = 'gpt-empty'; Script = { Import-FedModel $gptEmpty } }
        @{ Name = 'a text weights file'; Category = 'InvalidData'; Match = 'header length'; Target = 'gpt-text'; Script = { Import-FedModel $gptText } }
        @{ Name = 'a truncated weights file'; Category = 'InvalidData'; Match = 'not a valid safetensors file'; Target = 'gpt-truncated'; Script = { Import-FedModel $gptTruncated } }
        @{ Name = 'a config.json that is not JSON'; Category = 'InvalidData'; Match = 'not a valid config.json'; Target = 'gpt-config-text'; Script = { Import-FedModel $gptConfigText } }
        @{ Name = 'a config.json that is a list'; Category = 'InvalidData'; Match = 'not a JSON object'; Target = 'gpt-config-list'; Script = { Import-FedModel $gptConfigList } }
        @{ Name = 'a config.json too large for memory'; Category = 'LimitsExceeded'; Match = 'MiB of memory available'; Script = { Import-FedModel $gptConfigHuge } }
        @{ Name = 'an Mlp checkpoint whose config has no classes'; Category = 'InvalidData'; Match = "has no 'classes'"; Target = 'mlp-no-classes'; Script = { Import-FedModel $mlpNoClasses } }
        @{ Name = 'text generated by an Mlp'; Category = 'InvalidArgument'; Match = 'needs a Gpt model'; Script = { Invoke-FedGenerate -Model $model 'hello' } }
        # Experiments and the store
        @{ Name = 'a missing config file'; Category = 'ObjectNotFound'; Match = 'does not exist'; Script = { Get-FedExperimentPlan (Join-Path $folder 'missing.yaml') } }
        @{ Name = 'a number as a config'; Category = 'InvalidArgument'; Match = '-Config takes the path of a YAML file or a hashtable'; Script = { Get-FedExperimentPlan 12 } }
        @{ Name = 'a million-run sweep'; Category = 'LimitsExceeded'; Match = '1,000,000 runs, more than the 100,000'; Script = { Get-FedExperimentPlan @{ seeds = 1..100; sweep = @{ clients = 1..100; 'optimizer.learningRate' = 1..100 } } -Force } }
        @{ Name = 'a million values in a config'; Category = 'LimitsExceeded'; Match = 'more than 100,000 values'; Script = { Get-FedExperimentPlan @{ seeds = 1..1000000 } -Force } }
        @{ Name = 'a hashtable that contains itself'; Category = 'LimitsExceeded'; Match = 'nests deeper than 32 levels'; Script = { $h = @{ name = 'loop' }; $h.model = $h; Get-FedExperimentPlan $h } }
        @{ Name = 'another application''s database'; Category = 'InvalidData'; Match = 'another application.*invoices'; Target = 'foreign'; Script = { Invoke-FedExperiment @{ rounds = 1 } -Database $foreign } }
        @{ Name = 'a text file as a database'; Category = 'InvalidData'; Match = 'not a SQLite database'; Target = 'text'; Script = { Get-FedRun $text } }
        @{ Name = 'a folder as a database'; Category = 'InvalidArgument'; Match = 'is a folder'; Script = { Get-FedRun $folder } }
        @{ Name = 'a store of a newer schema'; Category = 'InvalidData'; Match = 'schema version 42'; Target = 'newer'; Script = { Get-FedRun $newer } }
        @{ Name = 'a missing store'; Category = 'ObjectNotFound'; Match = 'does not exist'; Script = { Get-FedRun (Join-Path $folder 'missing.sqlite') } }
        @{ Name = 'a checkpoint folder that is a file'; Category = 'InvalidArgument'; Match = 'is a file'; Target = 'a-file'; Script = { Invoke-FedExperiment @{ name = 'cp'; rounds = 1 } -Database (Join-Path $folder 'cp.sqlite') -CheckpointPath $aFile } }
        @{ Name = 'a log folder that is a file'; Category = 'InvalidArgument'; Match = 'is a file'; Target = 'a-file'; Script = { Invoke-FedExperiment @{ name = 'log'; rounds = 1 } -Database (Join-Path $folder 'log.sqlite') -LogDir $aFile } }
        @{ Name = 'a store where writing is refused'; Category = 'PermissionDenied'; Match = 'Cannot create the results store'; Target = '^/sys/fedps.sqlite$'; Script = { Invoke-FedExperiment @{ rounds = 1 } -Database /sys/fedps.sqlite } }
        @{ Name = 'a GPT checkpoint where writing is refused'; Category = 'PermissionDenied'; Match = 'access is denied'; Target = '^/sys/fedps-gpt$'; Script = { New-FedModel Gpt -Layers 1 -Heads 2 -Embedding 8 -ContextLength 6 | Save-FedModel -Path /sys/fedps-gpt } }
        @{ Name = 'an export where writing is refused'; Category = 'PermissionDenied'; Match = 'access is denied'; Target = '^/sys/fedps.csv$'; Script = { Export-FedResult -Database $store -Path /sys/fedps.csv } }
        @{ Name = 'a plot where writing is refused'; Category = 'PermissionDenied'; Match = 'access is denied'; Target = '^/sys/fedps.png$'; Script = { Export-FedPlot -Database $store -Path /sys/fedps.png } }
        @{ Name = 'an unknown metric'; Category = 'InvalidArgument'; Match = "Unknown metric 'Happiness'"; Script = { Export-FedPlot -Database $store -Path (Join-Path $folder 'p.png') -Metric Happiness } }
        @{ Name = 'an unknown grouping'; Category = 'InvalidArgument'; Match = "no parameter, property or setting 'mood'"; Script = { Export-FedPlot -Database $store -Path (Join-Path $folder 'p.png') -GroupBy mood } }
    ) {
        $err = Get-ErrorRecord $Script

        $err | Should -Not -BeNullOrEmpty -Because 'the input must be refused'
        $err.CategoryInfo.Category | Should -Be $Category
        $err.Exception.Message | Should -Match $Match
        $err.Exception.Message | Should -Not -Match 'frame #|Exception raised from|\s+at [\w.]+\(' -Because 'no native or .NET stack text'
        $err.TargetObject | Should -Not -BeNullOrEmpty -Because 'the bad value or file is named'
        if ($Target) { "$($err.TargetObject)" | Should -Match $Target }
    }

    It 'holds at least 40 cases' {
        # Counted from the test above, so the corpus cannot shrink unnoticed.
        (Get-Content $PSCommandPath | Select-String "^\s+@\{ Name = ").Count | Should -BeGreaterOrEqual 40
    }
}
