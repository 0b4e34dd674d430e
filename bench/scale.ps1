#Requires -Version 7.4
<#
.SYNOPSIS
    How FedPS scales with the number of clients (pfl-research's cross-device setting): MNIST, the MLP, Dirichlet(0.5)
    clients, 50 sampled per round, one local epoch of batch 10. Prints markdown tables; asserts nothing.

.DESCRIPTION
    One process per federation size (FedPS.Bench scale <clients> <rounds> <timed rounds>):
    - time: seconds per client-round of FedPS's rounds, divided by the raw training time of the same steps (the
      hand-written loop of bench/FedPS.Bench/HandWrittenLoop.cs training the same sampled clients from the same
      weights), over the first -TimedRounds rounds, alternating which runs first. Goal: <= 1.10 at every size.
    - memory: resident set size after loading MNIST, after making the clients, after building the server; its
      growth per client between the smallest and the largest federation (what an idle client costs), next to the
      client's data (a view) and its strategy state.
    - memory over -Rounds rounds of the largest federation (should stay flat); the smaller ones, where a round is
      a whole pass over MNIST, run only their timed rounds.
    Run it under the shared lock: flock /tmp/fedps-heavy.lock dotnet pwsh bench/scale.ps1
#>
[CmdletBinding()]
param(
    [int[]] $Clients = @(10, 100, 1000),
    [int] $Rounds = 100,
    [int] $TimedRounds = 3
)

$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchTools.ps1')
$bench = Get-FedBench

"load average at start: $(Get-LoadAverage)"
$largest = ($Clients | Measure-Object -Maximum).Maximum
$runs = foreach ($n in $Clients) {
    $values = @{}
    $roundsToRun = if ($n -eq $largest) { $Rounds } else { $TimedRounds }
    dotnet $bench scale $n $roundsToRun $TimedRounds | ForEach-Object {
        $key, $value = $_ -split '=', 2
        if ($value) { $values[$key] = [double]::Parse($value, [Globalization.CultureInfo]::InvariantCulture) }
    }
    if ($LASTEXITCODE -ne 0) { throw "FedPS.Bench scale $n failed" }
    [pscustomobject]$values
}
"load average at the end: $(Get-LoadAverage)"
''
"Time, over the first $TimedRounds rounds ($($runs[0].threads) torch thread(s)):"
''
'| clients | sampled per round | steps per client-round | FedPS ms per client-round | hand-written ms | ratio (goal <= 1.10) |'
'|---:|---:|---:|---:|---:|---:|'
foreach ($r in $runs) {
    '| {0:N0} | {1} | {2:N1} | {3:N2} | {4:N2} | {5:N3} |' -f $r.clients, $r.sampled_per_round, $r.steps_per_client_round,
        (1000 * $r.fedps_s_per_client_round), (1000 * $r.hand_s_per_client_round), $r.ratio
}
''
'Resident memory (MB):'
''
'| clients | MNIST loaded | clients made | server built | after round 1 | client data (KB, mean; a view) | strategy state (KB per client) |'
'|---:|---:|---:|---:|---:|---:|---:|'
foreach ($r in $runs) {
    '| {0:N0} | {1:N0} | {2:N0} | {3:N0} | {4:N0} | {5:N1} | {6:N1} |' -f $r.clients, $r.rss_loaded_mb, $r.rss_clients_mb,
        $r.rss_server_mb, $r.rss_round_1_mb, $r.shard_data_kb, $r.strategy_state_kb_per_client
}
$small, $large = $runs[0], $runs[-1]
if ($large.clients -gt $small.clients) {
    $perClient = { param($a, $b) 1024 * ($b - $a) / ($large.clients - $small.clients) }
    ''
    'Slope, from {0:N0} to {1:N0} clients: {2:N1} KB per client making the clients, {3:N1} KB per client with the server built, {4:N1} KB per client after round 1' -f `
        $small.clients, $large.clients, (& $perClient ($small.rss_clients_mb - $small.rss_loaded_mb) ($large.rss_clients_mb - $large.rss_loaded_mb)),
        (& $perClient $small.rss_server_mb $large.rss_server_mb), (& $perClient $small.rss_round_1_mb $large.rss_round_1_mb)
}
''
"Memory over the rounds, $($large.clients) clients (MB):"
''
$marks = $large.PSObject.Properties.Name -match '^rss_round_\d+_mb$' | Sort-Object { [int]($_ -replace '\D', '') }
'| ' + (($marks | ForEach-Object { 'round ' + ($_ -replace '\D', '') }) -join ' | ') + ' |'
'|' + ('---:|' * $marks.Count)
'| ' + (($marks | ForEach-Object { '{0:N0}' -f $large.$_ }) -join ' | ') + ' |'
