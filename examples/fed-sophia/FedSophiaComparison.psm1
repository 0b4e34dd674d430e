# Shared pieces of the Fed-Sophia reproduction (tune.ps1, compare.ps1, report.ps1): the methods, one run, CSV rows.
Set-StrictMode -Version 3.0

# The compared methods: how a client trains and which server strategy combines the results. $Lr is the value the
# learning-rate grid varies (for FedAdam the server's η, for DONE the Richardson step α); $Base is the local SGD
# learning rate FedAdam's clients use (the FedAvg(SGD) grid winner).
$script:Methods = [ordered]@{
    'FedAvg-SGD'  = @{ Grid = @(0.03, 0.1, 0.3, 1.0); Strategy = 'FedAvg' }
    'FedAvg-Adam' = @{ Grid = @(0.001, 0.003, 0.01); Strategy = 'FedAvg' }
    'FedProx'     = @{ Grid = @(0.1, 0.3, 1.0); Strategy = 'FedProx' }
    'FedAdam'     = @{ Grid = @(0.01, 0.03, 0.1, 0.3); Strategy = 'FedAdam' }
    'FedSophia'   = @{ Grid = @(0.0003, 0.001, 0.003, 0.01); Strategy = 'FedSophia' }
    'DONE'        = @{ Grid = @(0.003, 0.01, 0.03, 0.1); Strategy = 'DONE' }
}

$script:Data = @{}

function Get-ComparisonMethod { $script:Methods }

function New-ComparisonClientOptimizer {
    param([string] $Method, [double] $Lr, [double] $Base)
    switch ($Method) {
        'FedAvg-Adam' { New-FedOptimizer Adam -LearningRate $Lr }
        'FedSophia' { New-FedOptimizer Sophia -LearningRate $Lr }
        'FedAdam' { New-FedOptimizer Sgd -LearningRate $Base }
        'DONE' { New-FedOptimizer Sgd -LearningRate 0.1 } # unused: DONE's clients take Richardson steps
        default { New-FedOptimizer Sgd -LearningRate $Lr }
    }
}

function Get-ComparisonData {
    # Train sets and a fixed test subset per dataset, loaded once per session.
    param([string] $Dataset, [int] $TestSize)
    $key = "$Dataset/$TestSize"
    if (-not $script:Data.ContainsKey($key)) {
        $train = Import-FedDataset $Dataset -Split train
        $test = Import-FedDataset $Dataset -Split test
        $subset = $test.Subset([int[]](0..($TestSize - 1)), "$Dataset-test-$TestSize")
        $script:Data[$key] = @{ Train = $train; Test = $subset }
    }
    $script:Data[$key]
}

function Split-ComparisonData {
    param($Train, [string] $Split, [int] $Clients, [int] $Seed)
    switch ($Split) {
        'iid' { $Train | Split-FedDataset -Clients $Clients -Iid -Seed $Seed }
        'dirichlet0.3' { $Train | Split-FedDataset -Clients $Clients -Dirichlet 0.3 -Seed $Seed }
        'shards2' { $Train | Split-FedDataset -Clients $Clients -Shards 2 -Seed $Seed }
        default { throw "Unknown split '$Split'." }
    }
}

function Invoke-ComparisonRun {
    <# One run: a method at one learning rate on one dataset/model/split/seed. Emits one row per round. #>
    param(
        [string] $Dataset, [string] $Architecture, [string] $Split, [string] $Method, [double] $Lr, [double] $Base = 0.1,
        [int] $Seed, [int] $Rounds, [int] $Clients = 10, [int] $LocalSteps = 20, [int] $BatchSize = 32, [int] $TestSize = 2000,
        [double] $SampleFraction = 1.0
    )
    $data = Get-ComparisonData -Dataset $Dataset -TestSize $TestSize
    $model = $data.Train | New-FedModel -Architecture $Architecture -Seed $Seed
    $optimizer = New-ComparisonClientOptimizer -Method $Method -Lr $Lr -Base $Base
    $strategy = $script:Methods[$Method].Strategy
    $knobs = @{}
    if ($Method -eq 'FedAdam') { $knobs.ServerLearningRate = $Lr }
    if ($Method -eq 'DONE') { $knobs.RichardsonStep = $Lr }
    $server = Split-ComparisonData -Train $data.Train -Split $Split -Clients $Clients -Seed $Seed |
        New-FedClient -LocalSteps $LocalSteps -BatchSize $BatchSize -Optimizer $optimizer |
        New-FedServer -Strategy (New-FedStrategy $strategy @knobs) -Model $model -TestData $data.Test -Seed $Seed -SampleFraction $SampleFraction -OnDivergence Continue
    try {
        $bytes = 0L
        foreach ($r in ($server | Invoke-FedRound -Count $Rounds)) {
            $bytes += $r.BytesUp + $r.BytesDown
            [pscustomobject]@{
                Dataset = $Dataset; Architecture = $Architecture; Split = $Split; Method = $Method; Lr = $Lr; Seed = $Seed
                Round = $r.Round; TrainLoss = $r.TrainLoss; TestLoss = $r.TestLoss; TestAccuracy = $r.TestAccuracy
                CumulativeBytes = $bytes; Dropped = $r.DroppedClients.Count; Seconds = $r.Duration.TotalSeconds
                WinRate = if ($r.Metrics.ContainsKey('SophiaWinRate')) { $r.Metrics['SophiaWinRate'] } else { $null }
            }
        }
    }
    finally {
        $server.Dispose()
    }
}

Export-ModuleMember -Function Get-ComparisonMethod, Invoke-ComparisonRun, Get-ComparisonData
