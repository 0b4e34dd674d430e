#Requires -Version 7.4
<#
.SYNOPSIS
    The example sweep end to end (Linux): 12 runs with -ThrottleLimit 2 in a separate pwsh, killed with kill -9
    once 5 runs are complete, resumed with -Resume; then checks the store, compares every run with an
    uninterrupted sweep (final-parameter SHA-256 and every round's test loss), and draws the plots in docs/results.
    Writes into runs/ (not committed). Run after ./build.ps1 -Task Setup; about a minute on 2 cores.
#>
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$module = "$root/out/FedPS/FedPS.psd1"
Import-Module $module
Set-FedDevice -Name cpu -Threads 2 | Out-Null
$runs = "$root/runs"; Remove-Item $runs -Recurse -Force -ErrorAction Ignore; New-Item -ItemType Directory $runs | Out-Null
$db = "$runs/digits.sqlite"
$start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
"$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command',
  "Import-Module '$module'; Set-FedDevice -Name cpu -Threads 2 | Out-Null; Invoke-FedExperiment '$root/examples/digits-sweep.yaml' -Database '$db' -ThrottleLimit 2 -LogDir '$runs/tb' | Out-Null" |
  ForEach-Object { $start.ArgumentList.Add($_) }
$clock = [Diagnostics.Stopwatch]::StartNew()
$p = [Diagnostics.Process]::Start($start)
do { Start-Sleep -Milliseconds 500; $done = if (Test-Path $db) { @(Get-FedRun $db -ErrorAction Ignore | Where-Object Status -EQ 'complete').Count } else { 0 } } until ($done -ge 5 -or $p.HasExited)
& kill -9 $p.Id; $p.WaitForExit()
$killedAt = $clock.Elapsed.TotalSeconds
"killed after {0:N1} s:" -f $killedAt
Get-FedRun $db | Group-Object Status | ForEach-Object { "  {0}: {1} runs, rounds stored {2}" -f $_.Name, $_.Count, (($_.Group | ForEach-Object { "$($_.RoundsCompleted)" }) -join ',') }
$out = Invoke-FedExperiment "$root/examples/digits-sweep.yaml" -Database $db -ThrottleLimit 2 -LogDir "$runs/tb" -Resume -Verbose 4>&1
$out | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object { "  verbose: $($_.Message)" }
"total {0:N1} s" -f $clock.Elapsed.TotalSeconds
$all = Get-FedRun $db
"runs: $($all.Count); complete: $(@($all | Where-Object Status -EQ complete).Count); rounds rows: $(($all.Rounds | Measure-Object).Count); duplicate (run,round): $(($all | ForEach-Object { $r = $_; $_.Rounds | ForEach-Object { "$($r.Id)/$($_.Round)" } } | Group-Object | Where-Object Count -GT 1 | Measure-Object).Count)"
$all | Group-Object Point | ForEach-Object {
  $acc = $_.Group.TestAccuracy; $m = ($acc | Measure-Object -Average).Average
  $sd = [Math]::Sqrt((($acc | ForEach-Object { ($_ - $m) * ($_ - $m) }) | Measure-Object -Sum).Sum / ($acc.Count - 1))
  [pscustomobject]@{ Point = $_.Name; Seeds = $_.Count; MeanAccuracy = '{0:P1}' -f $m; SdAccuracy = '{0:P1}' -f $sd
    MeanTestLoss = '{0:N3}' -f ($_.Group.TestLoss | Measure-Object -Average).Average
    MeanFirstTrainLoss = '{0:N3}' -f ($_.Group | ForEach-Object { $_.Rounds[0].TrainLoss } | Measure-Object -Average).Average
    MeanLastTrainLoss = '{0:N3}' -f ($_.Group.TrainLoss | Measure-Object -Average).Average }
} | Format-Table | Out-String -Width 160
New-Item -ItemType Directory "$root/docs/results" -Force | Out-Null
Export-FedPlot -Database $db -Path "$root/docs/results/digits-sweep-accuracy.png" -Metric TestAccuracy -GroupBy Point -Title 'FedAvg on digits: test accuracy, mean ± sd over 3 seeds' | Out-Null
Export-FedPlot -Database $db -Path "$root/docs/results/digits-sweep-trainloss.png" -Metric TrainLoss -GroupBy Point -Title 'FedAvg on digits: training loss, mean ± sd over 3 seeds' | Out-Null
Export-FedResult -Database $db -Path "$runs/digits.csv" | Out-Null
Get-ChildItem "$runs/tb" -Recurse -File | Measure-Object | ForEach-Object { "tensorboard event files: $($_.Count)" }
$straight = Invoke-FedExperiment "$root/examples/digits-sweep.yaml" -Database "$runs/straight.sqlite" -ThrottleLimit 2
$same = 0; foreach ($r in $straight) { $k = $all | Where-Object Key -EQ $r.Key; if ($k.ParametersSha256 -eq $r.ParametersSha256 -and (($k.Rounds.TestLoss -join ',') -eq ($r.Rounds.TestLoss -join ','))) { $same++ } }
"bit-identical to an uninterrupted sweep (final parameter SHA-256 and every round's test loss): $same of $($straight.Count) runs"
