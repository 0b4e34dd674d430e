#Requires -Version 7.4
<#
.SYNOPSIS
    Measures torch's intra-op thread count and OpenMP's waiting (spin, then sleep) for the MLP, the CNN and the GPT,
    on a quiet machine and beside a competing busy process. Prints a markdown table; asserts nothing.

.DESCRIPTION
    OpenMP reads its environment once, when libtorch loads, so every setting runs in a fresh process
    (FedPS.Bench threads <model> <threads>): the median wall and CPU milliseconds per training step over 7 blocks
    of about -Seconds/8 each, and how many cores other processes used meanwhile ("others").
    Waiting: libgomp's threads spin GOMP_SPINCOUNT times on a barrier, then sleep. "spin N" sets that count,
    "libgomp default" is its own 300,000, "ACTIVE" spins (almost) forever, "PASSIVE" sleeps at once, and "FedPS default"
    sets nothing: what a user gets.
    "quiet" waits (up to -QuietWait seconds) for the machine to be at least 90 % idle before each run and repeats a run
    (up to 3 times, keeping the least disturbed) when other processes used more than 0.15 cores meanwhile. "busy" runs one competing process
    (a shell busy loop, unpinned: one core's worth of work) for the whole measurement.
    Settings are interleaved, repeated -Repeat times; the table shows medians.
    Run it under the shared lock: flock /tmp/fedps-heavy.lock dotnet pwsh bench/threads.ps1
#>
[CmdletBinding()]
param(
    [string[]] $Model = @('Mlp', 'Cnn', 'Gpt'),
    [int] $Repeat = 3,
    [double] $Seconds = 4,
    [int[]] $SpinCount = @(1000, 10000, 100000),
    # Seconds to wait for a quiet machine before each quiet run (then it runs anyway; "others" shows the disturbance).
    [int] $QuietWait = 60,
    [switch] $QuietOnly
)

$ErrorActionPreference = 'Stop'
$Model = $Model -split ',' # "a,b" from pwsh -File arrives as one string
. (Join-Path $PSScriptRoot 'BenchTools.ps1')
$bench = Get-FedBench

$settings = @(
    @{ Label = 'FedPS default'; Threads = 'default'; Env = @{} }
    @{ Label = 'PASSIVE'; Threads = '1'; Env = @{ OMP_WAIT_POLICY = 'PASSIVE' } }
    @{ Label = 'libgomp default'; Threads = '1'; Env = @{ GOMP_SPINCOUNT = '300000' } }
    @{ Label = 'PASSIVE'; Threads = '2'; Env = @{ OMP_WAIT_POLICY = 'PASSIVE' } }
    foreach ($n in $SpinCount) { @{ Label = "spin $n"; Threads = '2'; Env = @{ GOMP_SPINCOUNT = "$n" } } }
    @{ Label = 'libgomp default'; Threads = '2'; Env = @{ GOMP_SPINCOUNT = '300000' } }
    @{ Label = 'ACTIVE'; Threads = '2'; Env = @{ OMP_WAIT_POLICY = 'ACTIVE' } }
)
$loads = if ($QuietOnly) { @('quiet') } else { @('quiet', 'busy') }

function Get-MachineIdle([double] $Over = 1) {
    $a = (Get-Content /proc/stat -TotalCount 1) -split '\s+'
    Start-Sleep -Milliseconds ($Over * 1000)
    $b = (Get-Content /proc/stat -TotalCount 1) -split '\s+'
    $total = (1..8 | ForEach-Object { [long]$b[$_] - [long]$a[$_] } | Measure-Object -Sum).Sum
    ([long]$b[4] - [long]$a[4]) / [Math]::Max(1, $total)
}

function Wait-Quiet {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ((Get-MachineIdle) -lt 0.9 -and $clock.Elapsed.TotalSeconds -lt $QuietWait) { }
}

function Invoke-Setting($Setting, [string] $Arch) {
    $saved = @{}
    foreach ($name in 'OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'OMP_NUM_THREADS') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        Set-Item "env:$name" $Setting.Env[$name]  # $null removes it
    }
    try {
        $line = dotnet $bench threads $Arch $Setting.Threads $Seconds | Select-Object -Last 1
        if ($LASTEXITCODE -ne 0) { throw "FedPS.Bench threads $Arch failed" }
    }
    finally {
        foreach ($name in $saved.Keys) { Set-Item "env:$name" $saved[$name] }
    }
    $f = $line -split "`t"
    [pscustomobject]@{ Threads = [int]$f[1]; Policy = $f[2]; Wall = [double]$f[3]; Cpu = [double]$f[4]; Others = [double]$f[6] }
}

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][Math]::Floor(($s.Count - 1) / 2)] }

"machine: $([Environment]::ProcessorCount) cores, $((Get-Content /proc/cpuinfo -ErrorAction Ignore | Select-String 'model name' | Select-Object -First 1) -replace '.*:\s*', ''); load average at start: $(Get-LoadAverage)"
$results = @{}
for ($r = 0; $r -lt $Repeat; $r++) {
    foreach ($load in $loads) {
        $busy = if ($load -eq 'busy') { Start-BusyProcess }
        try {
            foreach ($arch in $Model) {
                foreach ($setting in $settings) {
                    $m = $null
                    for ($attempt = 0; $attempt -lt 3; $attempt++) {
                        if ($load -eq 'quiet') { Wait-Quiet }
                        $try = Invoke-Setting $setting $arch
                        if (-not $m -or $try.Others -lt $m.Others) { $m = $try }
                        if ($load -eq 'busy' -or $m.Others -le 0.15) { break }
                    }
                    $key = "$arch|$($setting.Label)|$($setting.Threads)|$load"
                    if (-not $results[$key]) { $results[$key] = [Collections.Generic.List[object]]::new() }
                    $results[$key].Add($m)
                }
            }
        }
        finally {
            if ($busy) { Stop-Process -Id $busy.Id }
        }
    }
}

"| model | waiting | threads | quiet ms/step | quiet CPU ms/step | quiet / best quiet | busy ms/step | busy / quiet 1 thread | others (cores) quiet / busy |"
'|---|---|---:|---:|---:|---:|---:|---:|---|'
foreach ($arch in $Model) {
    $quiet = @{}
    foreach ($setting in $settings) {
        $quiet[$setting.Label + $setting.Threads] = Get-Median $results["$arch|$($setting.Label)|$($setting.Threads)|quiet"].Wall
    }
    $best = ($quiet.Values | Measure-Object -Minimum).Minimum
    $oneThread = ($settings | Where-Object Threads -eq '1' | ForEach-Object { $quiet[$_.Label + '1'] } | Measure-Object -Minimum).Minimum
    foreach ($setting in $settings) {
        $q = $results["$arch|$($setting.Label)|$($setting.Threads)|quiet"]
        $b = $results["$arch|$($setting.Label)|$($setting.Threads)|busy"]
        $qWall = Get-Median $q.Wall
        $bWall = if ($b) { Get-Median $b.Wall } else { [double]::NaN }
        $threads = if ($setting.Threads -eq 'default') { "$($q[0].Threads) (default)" } else { $setting.Threads }
        $policy = if ($setting.Label -eq 'FedPS default') { "FedPS default: $($q[0].Policy)" } else { $setting.Label }
        $others = '{0:N2} / {1:N2}' -f (Get-Median $q.Others), $(if ($b) { Get-Median $b.Others } else { [double]::NaN })
        '| {0} | {1} | {2} | {3:N2} | {4:N2} | {5:N2} | {6:N2} | {7:N2} | {8} |' -f $arch, $policy, $threads, $qWall,
            (Get-Median $q.Cpu), ($qWall / $best), $bWall, ($bWall / $oneThread), $others
    }
}
"load average at the end: $(Get-LoadAverage)"
