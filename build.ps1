#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, sets up, tests and runs FedPS. The one entry point for developers and CI.

.DESCRIPTION
    Tasks (each includes the ones it needs):
      Build       stage the module into out/FedPS: manifest, format/types files, assemblies, the natives of this
                  platform only (libLibTorchSharp.so patched on Linux, see src/FedPS.NativePatch), and MAML help.
      Setup       Build, then install the bundled datasets (MNIST, Fashion-MNIST, digits) into $env:FEDPS_DATA
                  or the user's data folder. Idempotent.
      Quickstart  Setup, then run examples/quickstart.ps1 (FedAvg, MLP, MNIST, 10 Dirichlet(0.5) clients, 20 rounds).
      Test        Build, install the small test data, run the xunit engine tests and the Pester module tests.
      Clean       remove out/ and every bin/ and obj/.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Quickstart

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build -LibTorchPackage libtorch-cuda-12.8-linux-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Setup', 'Quickstart', 'Test', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # The libtorch natives package. GPU users pass a CUDA build of libtorch here (and add its version to
    # Directory.Packages.props); the default is the CPU package of this platform.
    [string] $LibTorchPackage
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$out = Join-Path $root 'out/FedPS'

function Invoke-Native {
    param([string] $What, [scriptblock] $Command)
    Write-Host "==> $What" -ForegroundColor Cyan
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Get-BuildProperties {
    $properties = @("-c", $Configuration, "-nologo", "-clp:NoSummary")
    if ($LibTorchPackage) { $properties += "-p:FedPSLibTorch=$LibTorchPackage" }
    $properties
}

function Invoke-Build {
    $props = Get-BuildProperties
    Invoke-Native 'Building FedPS.sln' { dotnet build (Join-Path $root 'FedPS.sln') @props -v:m }
    $staging = "$out.staging"
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    Invoke-Native 'Staging the module' {
        dotnet publish (Join-Path $root 'src/FedPS.Cmdlets/FedPS.Cmdlets.csproj') @props -v:q --no-build -o $staging
    }
    # libtorch ships test and Python-binding libraries the module never loads.
    Get-ChildItem $staging -Filter '*.so*' |
        Where-Object Name -in 'libtorch_python.so', 'libjitbackend_test.so', 'libtorchbind_test.so', 'libaoti_custom_ops.so', 'libbackend_with_compiler.so', 'libnnapi_backend.so' |
        Remove-Item
    Copy-Item (Join-Path $root 'module/*') $staging -Recurse
    Invoke-Native 'Generating help' {
        dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build/New-FedHelp.ps1') -ModulePath $staging -SourcePath (Join-Path $root 'docs/cmdlets')
    }
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    Move-Item $staging $out
    Write-Host "Module staged in $out" -ForegroundColor Green
}

function Invoke-Setup {
    param([string[]] $Datasets = @('mnist', 'fashion-mnist', 'digits'))
    $list = ($Datasets | ForEach-Object { "'$_'" }) -join ','
    Invoke-Native "Installing datasets ($($Datasets -join ', '))" {
        dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$out/FedPS.psd1'; Install-FedDataset -Name $list -Verbose | Format-Table -AutoSize | Out-String -Width 200"
    }
}

function Get-PesterPath {
    Invoke-Native 'Restoring build tools (Pester)' { dotnet restore (Join-Path $root 'build/Tools.csproj') -nologo -v:q }
    $packages = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    Join-Path $packages.Trim() 'pester/5.7.1/tools/Pester.psd1'
}

function Invoke-Test {
    $summary = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $props = Get-BuildProperties
    Write-Host '==> xunit engine tests' -ForegroundColor Cyan
    $xunit = dotnet test (Join-Path $root 'FedPS.sln') @props --no-build 2>&1 | ForEach-Object { Write-Host $_; "$_" }
    $xunitExit = $LASTEXITCODE
    foreach ($line in $xunit) {
        if ("$line" -match 'Failed:\s*(\d+),\s*Passed:\s*(\d+),\s*Skipped:\s*(\d+)') {
            $summary.Failed += [int]$Matches[1]; $summary.Passed += [int]$Matches[2]; $summary.Skipped += [int]$Matches[3]
        }
    }
    if ($xunitExit -ne 0 -and $summary.Failed -eq 0) { $summary.Failed++ }  # a crash or build error counts as a failure

    Write-Host '==> Pester module tests' -ForegroundColor Cyan
    $pester = Get-PesterPath
    $resultFile = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-$PID.xml"
    $script = "Import-Module '$pester'; " +
        "`$c = New-PesterConfiguration; `$c.Run.Path = @('$root/tests/FedPS.Module.Tests', '$root/examples'); `$c.Run.Exit = `$false; " +
        "`$c.Output.Verbosity = 'Detailed'; `$c.TestResult.Enabled = `$true; `$c.TestResult.OutputPath = '$resultFile'; " +
        "`$env:FEDPS_MODULE = '$out/FedPS.psd1'; Invoke-Pester -Configuration `$c"
    dotnet pwsh -NoProfile -NonInteractive -Command $script
    if (Test-Path $resultFile) {
        [xml] $results = Get-Content $resultFile -Raw
        $suite = $results.'test-results'
        $summary.Passed += [int]$suite.total - [int]$suite.failures - [int]$suite.errors - [int]$suite.'not-run' - [int]$suite.skipped - [int]$suite.ignored - [int]$suite.inconclusive
        $summary.Failed += [int]$suite.failures + [int]$suite.errors
        $summary.Skipped += [int]$suite.skipped + [int]$suite.'not-run' + [int]$suite.ignored
        Remove-Item $resultFile
    }
    else {
        $summary.Failed++
    }
    Write-Host ''
    Write-Host "Tests: $($summary.Passed) passed, $($summary.Failed) failed, $($summary.Skipped) skipped"
    if ($summary.Failed -gt 0 -or $summary.Passed -eq 0) { exit 1 }
}

Push-Location $root
try {
    switch ($Task) {
        'Clean' {
            Get-ChildItem $root -Directory -Recurse -Include bin, obj | Remove-Item -Recurse -Force
            if (Test-Path (Join-Path $root 'out')) { Remove-Item (Join-Path $root 'out') -Recurse -Force }
        }
        'Build' { Invoke-Build }
        'Setup' { Invoke-Build; Invoke-Setup }
        'Quickstart' {
            Invoke-Build
            Invoke-Setup
            Invoke-Native 'Running examples/quickstart.ps1' {
                dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$out/FedPS.psd1'; & '$root/examples/quickstart.ps1'"
            }
        }
        'Test' { Invoke-Build; Invoke-Setup -Datasets 'digits'; Invoke-Test }
    }
}
finally {
    Pop-Location
}
