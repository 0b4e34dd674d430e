# The pieces of the Fed-Sophia reproduction (Invoke-FedSophiaComparison.ps1, report.ps1): the compared methods with
# their knobs and tuning stages, one run, settings as text, and scores.
Set-StrictMode -Version 3.0

# Each method: the server strategy, its knobs with defaults (a setting is these knobs' values), and its tuning
# stages in order: each stage tries the values of one knob with the others at the best found so far ("From" takes
# the knob's value from another method's winner in the same cell instead). "Extend" grows a numeric grid by one
# step past an edge winner (at most twice), so a winner is never at the edge of what was tried unless the next value
# failed. Grids and stages are written down in docs/results/fed-sophia.md.
$script:Methods = [ordered]@{
    'FedSophia'   = @{
        Strategy = 'FedSophia'
        Defaults = [ordered]@{ Lr = 0.001; Rho = 0.04; K = 10; State = 'carried'; Clip = 0 }
        Stages   = @(
            @{ Knob = 'Lr'; Values = @(0.0003, 0.001, 0.003); Extend = $true }
            @{ Knob = 'Rho'; Values = @(0.01, 0.02, 0.04, 0.1) }
            @{ Knob = 'K'; Values = @(1, 5, 10) }
            @{ Knob = 'State'; Values = @('carried', 'reset') }
            @{ Knob = 'Clip'; Values = @(0, 1) }
        )
    }
    'FedAvg-SGD'  = @{
        Strategy = 'FedAvg'
        Defaults = [ordered]@{ Lr = 0.1 }
        Stages   = @(@{ Knob = 'Lr'; Values = @(0.03, 0.1, 0.3, 1.0); Extend = $true })
    }
    'FedAvg-Adam' = @{
        Strategy = 'FedAvg'
        Defaults = [ordered]@{ Lr = 0.001 }
        Stages   = @(@{ Knob = 'Lr'; Values = @(0.001, 0.003, 0.01); Extend = $true })
    }
    'FedProx'     = @{
        Strategy = 'FedProx'
        Defaults = [ordered]@{ Lr = 0.1; Mu = 0.01 }
        Stages   = @(
            @{ Knob = 'Lr'; From = 'FedAvg-SGD' }
            @{ Knob = 'Mu'; Values = @(0.01, 0.1, 1.0) }
        )
    }
    'FedAdam'     = @{
        Strategy = 'FedAdam'
        Defaults = [ordered]@{ Lr = 0.1; ServerLr = 0.01; Tau = 0.001 }
        Stages   = @(
            @{ Knob = 'Lr'; From = 'FedAvg-SGD' }
            @{ Knob = 'ServerLr'; Values = @(0.01, 0.03, 0.1); Extend = $true }
            @{ Knob = 'Tau'; Values = @(0.00001, 0.001, 0.1) }
        )
    }
    'DONE'        = @{
        Strategy = 'DONE'
        Defaults = [ordered]@{ Alpha = 0.01; R = 20 }
        Stages   = @(
            @{ Knob = 'Alpha'; Values = @(0.005, 0.01, 0.02, 0.03); Extend = $true }
            @{ Knob = 'R'; Values = @(10, 20, 40) }
        )
    }
}

# The splits of the training data among the clients.
$script:Splits = [ordered]@{ 'iid' = @{ Iid = $true }; 'dirichlet0.3' = @{ Dirichlet = 0.3 }; 'shards2' = @{ Shards = 2 } }

$script:Data = @{}
$script:Invariant = [cultureinfo]::InvariantCulture

function Get-ComparisonMethod { $script:Methods }

function Get-ComparisonSplit { @($script:Splits.Keys) }

function ConvertTo-SettingText {
    <# A setting as canonical text, the method's knobs in their declared order: "Lr=0.001 Rho=0.04 K=10 ...". #>
    param([string] $Method, [System.Collections.IDictionary] $Setting)
    $parts = foreach ($knob in $script:Methods[$Method].Defaults.Keys) {
        $value = if ($Setting.Contains($knob)) { $Setting[$knob] } else { $script:Methods[$Method].Defaults[$knob] }
        '{0}={1}' -f $knob, [System.Convert]::ToString($value, $script:Invariant)
    }
    $parts -join ' '
}

function ConvertFrom-SettingText {
    param([string] $Method, [string] $Text)
    $setting = [ordered]@{}
    foreach ($pair in $Text -split ' ') {
        $name, $value = $pair -split '=', 2
        $default = $script:Methods[$Method].Defaults[$name]
        $setting[$name] = if ($default -is [string]) { $value } elseif ($default -is [int]) { [int]$value } else { [double]::Parse($value, $script:Invariant) }
    }
    $setting
}

function Get-ComparisonData {
    # The training split without the validation holdout, and the split runs are evaluated on; loaded once per session.
    param([string] $Dataset, [string] $Evaluate, [double] $ValidationFraction, [int] $ValidationSeed)
    $holdout = @{ ValidationFraction = $ValidationFraction; ValidationSeed = $ValidationSeed }
    $key = "$Dataset/$Evaluate/$ValidationFraction/$ValidationSeed"
    if (-not $script:Data.ContainsKey($key)) {
        $trainKey = "$Dataset/train/$ValidationFraction/$ValidationSeed"
        if (-not $script:Data.ContainsKey($trainKey)) { $script:Data[$trainKey] = Import-FedDataset $Dataset -Split train @holdout }
        $script:Data[$key] = @{ Train = $script:Data[$trainKey]; Eval = if ($Evaluate -eq 'train') { $script:Data[$trainKey] } else { Import-FedDataset $Dataset -Split $Evaluate @holdout } }
    }
    $script:Data[$key]
}

function New-ComparisonClient {
    # The clients of one run: the split, and each method's local optimizer and clipping.
    param($Train, [string] $Split, [string] $Method, [System.Collections.IDictionary] $Setting, [int] $Clients, [int] $Seed, [int] $LocalSteps, [int] $BatchSize)
    $partition = $script:Splits[$Split]
    $optimizer = switch ($Method) {
        'FedAvg-Adam' { New-FedOptimizer Adam -LearningRate $Setting.Lr }
        'FedSophia' { New-FedOptimizer Sophia -LearningRate $Setting.Lr -Rho $Setting.Rho -HessianEvery $Setting.K }
        'DONE' { New-FedOptimizer Sgd -LearningRate 0.1 } # unused: DONE's clients take Richardson steps
        default { New-FedOptimizer Sgd -LearningRate $Setting.Lr }
    }
    $clip = if ($Setting.Contains('Clip') -and $Setting.Clip -gt 0) { @{ MaxGradientNorm = [double]$Setting.Clip } } else { @{} }
    $Train | Split-FedDataset -Clients $Clients -Seed $Seed @partition |
        New-FedClient -LocalSteps $LocalSteps -BatchSize $BatchSize -Optimizer $optimizer @clip
}

function New-ComparisonStrategy {
    param([string] $Method, [System.Collections.IDictionary] $Setting, [hashtable] $DoneOptions = @{})
    $knobs = switch ($Method) {
        'FedProx' { @{ Mu = $Setting.Mu } }
        'FedAdam' { @{ ServerLearningRate = $Setting.ServerLr; Tau = $Setting.Tau } }
        'FedSophia' { @{ ResetOptimizerState = $Setting.State -eq 'reset' } }
        'DONE' { @{ RichardsonStep = $Setting.Alpha; RichardsonIterations = $Setting.R } + $DoneOptions }
        default { @{} }
    }
    New-FedStrategy $script:Methods[$Method].Strategy @knobs
}

function Invoke-ComparisonRun {
    <#
    One run: a method at one setting on one dataset/model/split/seed. Emits one row per evaluated round (every
    -EvalEvery rounds and each of the last five) with the bytes communicated so far. A run whose every client
    diverged in some round stops there; its rows say so (Stopped).
    #>
    param(
        [string] $Dataset, [string] $Architecture = 'Mlp', [string] $Split, [string] $Method,
        [System.Collections.IDictionary] $Setting = @{}, [int] $Seed, [int] $Rounds,
        [ValidateSet('validation', 'test', 'train')] [string] $Evaluate = 'test', [int] $EvalEvery = 1,
        [int] $Clients = 10, [int] $LocalSteps = 20, [int] $BatchSize = 32, [double] $SampleFraction = 1.0,
        [double] $ValidationFraction = 0.1, [int] $ValidationSeed = 0, [hashtable] $DoneOptions = @{}, [string] $Phase = ''
    )
    $full = [ordered]@{}
    foreach ($knob in $script:Methods[$Method].Defaults.Keys) { $full[$knob] = if ($Setting.Contains($knob)) { $Setting[$knob] } else { $script:Methods[$Method].Defaults[$knob] } }
    $settingText = ConvertTo-SettingText $Method $full
    $data = Get-ComparisonData -Dataset $Dataset -Evaluate $Evaluate -ValidationFraction $ValidationFraction -ValidationSeed $ValidationSeed
    $model = $data.Train | New-FedModel -Architecture $Architecture -Seed $Seed
    $server = New-ComparisonClient -Train $data.Train -Split $Split -Method $Method -Setting $full -Clients $Clients -Seed $Seed -LocalSteps $LocalSteps -BatchSize $BatchSize |
        New-FedServer -Strategy (New-ComparisonStrategy $Method $full $DoneOptions) -Model $model -TestData $data.Eval -Seed $Seed -SampleFraction $SampleFraction -OnDivergence Continue
    try {
        $bytes = 0L
        $seconds = 0.0
        for ($round = 1; $round -le $Rounds; $round++) {
            $scheduled = ($round % $EvalEvery -eq 0) -or ($round -gt $Rounds - 5)
            try {
                $r = $server.RunRound($null, [Threading.CancellationToken]::None, $scheduled)
            }
            catch {
                # Every client diverged (or the aggregate did): the run ends here, and says so in its last row.
                [pscustomobject]@{
                    Phase = $Phase; Dataset = $Dataset; Architecture = $Architecture; Split = $Split; Method = $Method; Setting = $settingText
                    Seed = $Seed; Round = $round; Evaluated = $Evaluate; TrainLoss = [double]::NaN; EvalLoss = [double]::NaN; EvalAccuracy = [double]::NaN
                    MB = [math]::Round($bytes / 1e6, 2); Dropped = $Clients; Seconds = [math]::Round($seconds, 2); WinRate = $null; ClipRate = $null; Stopped = 1
                }
                return
            }
            $bytes += $r.BytesUp + $r.BytesDown
            $seconds += $r.Duration.TotalSeconds
            if (-not $scheduled) { continue }
            [pscustomobject]@{
                Phase = $Phase; Dataset = $Dataset; Architecture = $Architecture; Split = $Split; Method = $Method; Setting = $settingText
                Seed = $Seed; Round = $r.Round; Evaluated = $Evaluate
                TrainLoss = [math]::Round($r.TrainLoss, 5); EvalLoss = [math]::Round($r.TestLoss, 5); EvalAccuracy = [math]::Round($r.TestAccuracy, 5)
                MB = [math]::Round($bytes / 1e6, 2); Dropped = $r.DroppedClients.Count; Seconds = [math]::Round($seconds, 2)
                WinRate = if ($r.Metrics.ContainsKey('SophiaWinRate')) { [math]::Round($r.Metrics['SophiaWinRate'], 4) } else { $null }
                ClipRate = if ($r.Metrics.ContainsKey('GradientClipRate')) { [math]::Round($r.Metrics['GradientClipRate'], 4) } else { $null }
                Stopped = 0
            }
        }
    }
    finally {
        $server.Dispose()
    }
}

function Get-RunScore {
    <#
    A run's score: its mean evaluation accuracy over its last -Last evaluated rounds of -Rounds. A run that stopped
    early (every client diverged) scores as if its missing rounds had accuracy 0; a NaN accuracy counts as 0.
    #>
    param([object[]] $Rows, [int] $Rounds, [int] $Last = 5)
    $byRound = @{}
    foreach ($row in $Rows) { $byRound[[int]$row.Round] = [double]$row.EvalAccuracy }
    $sum = 0.0
    for ($round = $Rounds - $Last + 1; $round -le $Rounds; $round++) {
        $value = if ($byRound.ContainsKey($round)) { $byRound[$round] } else { 0.0 }
        $sum += if ([double]::IsNaN($value)) { 0.0 } else { $value }
    }
    $sum / $Last
}

Export-ModuleMember -Function Get-ComparisonMethod, Get-ComparisonSplit, ConvertTo-SettingText, ConvertFrom-SettingText, Invoke-ComparisonRun, Get-RunScore
