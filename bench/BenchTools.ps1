# Shared by the bench scripts (dot-source it): build FedPS.Bench, start a competing busy process, read the load.

function Get-FedBench {
    <# Builds bench/FedPS.Bench (Release) and returns the path of FedPS.Bench.dll, to run with `dotnet <path> <bench>`. #>
    $project = Join-Path $PSScriptRoot 'FedPS.Bench'
    dotnet build $project -c Release -nologo -v q | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'building FedPS.Bench failed' }
    (Get-ChildItem (Join-Path $project 'bin/Release') -Recurse -Filter FedPS.Bench.dll | Select-Object -First 1).FullName
}

function Start-BusyProcess {
    <# One competing process that keeps one core's worth of CPU busy (a shell busy loop, unpinned); stop it with Stop-Process. #>
    Start-Process bash -ArgumentList '-c "while :; do :; done"' -PassThru
}

function Get-LoadAverage { ((Get-Content /proc/loadavg -ErrorAction Ignore) -split ' ' | Select-Object -First 3) -join ' ' }
