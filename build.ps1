#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, sets up, tests and runs FedPS. The one entry point for developers and CI.

.DESCRIPTION
    Tasks (each includes the ones it needs):
      Build       stage the module into out/FedPS: manifest, format/types files, assemblies, the natives of this
                  platform only (libLibTorchSharp.so patched on Linux, see src/FedPS.NativePatch), and MAML help.
                  The manifest's ModuleVersion comes from <Version> in Directory.Build.props, its ReleaseNotes from
                  that version's section of CHANGELOG.md, and its platform tag from the natives staged. Also writes
                  the updatable help (Update-Help's HelpInfo.xml and content) into out/help.
      Setup       Build, then install the bundled datasets (MNIST, Fashion-MNIST, digits) into $env:FEDPS_DATA
                  or the user's data folder. Idempotent.
      Quickstart  Setup, then run examples/quickstart.ps1 (FedAvg, MLP, MNIST, 10 Dirichlet(0.5) clients, 20 rounds).
      Test        Build, install the small test data, run the xunit engine tests and the Pester module tests.
      Publish     Build, then a module package (.nupkg) per platform into out/publish/<runtime>: linux-x64 and
                  win-x64, each with libtorch's CPU natives of its platform, each structure-checked; then the
                  README's "Install with Install-PSResource" steps run against the package of this platform.
      Clean       remove out/ and every bin/ and obj/.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Quickstart

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build -LibTorchPackage libtorch-cuda-12.8-linux-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Setup', 'Quickstart', 'Test', 'Publish', 'Clean')]
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
$helpOut = Join-Path $root 'out/help'
$publishOut = Join-Path $root 'out/publish'

# The natives each runtime ships, and the PSData tag that says so.
$Platforms = @{
    'linux-x64' = @{ Tag = 'Linux'; Natives = @('libtorch_cpu.so', 'libc10.so', 'libLibTorchSharp.so'); Foreign = '*.dll' }
    'win-x64'   = @{ Tag = 'Windows'; Natives = @('torch_cpu.dll', 'c10.dll', 'LibTorchSharp.dll'); Foreign = '*.so*' }
}
# libtorch ships test and Python-binding libraries the module never loads.
$Unused = 'libtorch_python.so', 'libjitbackend_test.so', 'libtorchbind_test.so', 'libaoti_custom_ops.so', 'libbackend_with_compiler.so',
    'libnnapi_backend.so', 'torch_python.dll', 'jitbackend_test.dll', 'torchbind_test.dll', 'aoti_custom_ops.dll', 'backend_with_compiler.dll'

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

# The runtime this machine builds for (as Directory.Build.props picks FedPSRuntime).
function Get-Runtime {
    if ($IsWindows) { 'win-x64' } elseif ($IsMacOS) { 'osx-arm64' } else { 'linux-x64' }
}

# The module's version: <Version> in Directory.Build.props, the one place it is written.
function Get-ModuleVersion {
    $version = ([xml](Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
    if (-not $version) { throw 'Directory.Build.props has no <Version>.' }
    $version
}

# The section of CHANGELOG.md under "## [<version>]", up to the next "## ".
function Get-ReleaseNotes([string] $Version) {
    $lines = Get-Content (Join-Path $root 'CHANGELOG.md')
    $start = [array]::IndexOf($lines, "## [$Version]")
    if ($start -lt 0) { throw "CHANGELOG.md has no '## [$Version]' section: write the release notes of $Version (Directory.Build.props) first." }
    $end = $start + 1
    while ($end -lt $lines.Count -and $lines[$end] -notmatch '^## ') { $end++ }
    ($lines[($start + 1)..($end - 1)] -join "`n").Trim()
}

# Writes the version, the release notes and the platform tag into a staged manifest.
function Set-ModuleStamp([string] $Folder, [string] $Runtime) {
    $version = Get-ModuleVersion
    $notes = Get-ReleaseNotes $version
    $manifest = Join-Path $Folder 'FedPS.psd1'
    $text = Get-Content $manifest -Raw
    $text = $text -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'"
    $text = $text -replace "(?m)^(\s*ReleaseNotes\s*=\s*)''", "`${1}'$($notes.Replace("'", "''"))'"
    $platform = $Platforms[$Runtime]
    if ($platform) { $text = $text -replace "(?m)^(\s*Tags\s*=\s*@\([^)]*)\)", "`${1}, '$($platform.Tag)')" }
    Set-Content $manifest $text -NoNewline -Encoding utf8
    $stamped = Import-PowerShellDataFile $manifest
    if ($stamped.ModuleVersion -ne $version -or -not $stamped.PrivateData.PSData.ReleaseNotes) { throw "Could not stamp $manifest with version $version and its release notes." }
}

# Everything of the module but its native libraries and assemblies: the manifest, views, about topic.
function Copy-ModuleFiles([string] $Destination) {
    Copy-Item (Join-Path $root 'module/*') $Destination -Recurse -Force
}

# -ModuleOnly builds just the module's project (and what it references), not the tests and benches: what the
# quickstart needs, in about half the time of the whole solution.
function Invoke-Build([switch] $ModuleOnly) {
    $props = Get-BuildProperties
    $target = if ($ModuleOnly) { 'src/FedPS.Cmdlets/FedPS.Cmdlets.csproj' } else { 'FedPS.sln' }
    Invoke-Native "Building $target" { dotnet build (Join-Path $root $target) @props -v:m }
    $staging = "$out.staging"
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    Invoke-Native 'Staging the module' {
        dotnet publish (Join-Path $root 'src/FedPS.Cmdlets/FedPS.Cmdlets.csproj') @props -v:q --no-build -o $staging
    }
    Get-ChildItem $staging -File | Where-Object Name -in $Unused | Remove-Item
    Copy-ModuleFiles $staging
    Set-ModuleStamp $staging (Get-Runtime)
    Invoke-Native 'Generating help' {
        dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build/New-FedHelp.ps1') -ModulePath $staging -SourcePath (Join-Path $root 'docs/cmdlets')
    }
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    Move-Item $staging $out
    Write-UpdatableHelp $out $helpOut
    Write-Host "Module $(Get-ModuleVersion) staged in $out" -ForegroundColor Green
}

# Update-Help's files for the module: HelpInfo.xml (the versions offered) and the content of each culture, to host
# at the manifest's HelpInfoURI (Update-Help -SourcePath reads them from a folder). The content is a .zip, which
# PowerShell reads on Linux and macOS; Windows' Update-Help wants a .cab, which this build cannot make.
function Write-UpdatableHelp([string] $Module, [string] $Destination) {
    $manifest = Import-PowerShellDataFile (Join-Path $Module 'FedPS.psd1')
    $name = "FedPS_$($manifest.GUID)"
    if (Test-Path $Destination) { Remove-Item $Destination -Recurse -Force }
    New-Item -ItemType Directory $Destination | Out-Null
    $cultures = Get-ChildItem $Module -Directory | Where-Object { Test-Path (Join-Path $_.FullName '*-Help.xml') }
    foreach ($culture in $cultures) {
        Compress-Archive -Path (Join-Path $culture.FullName '*') -DestinationPath (Join-Path $Destination "$($name)_$($culture.Name)_HelpContent.zip")
    }
    $entries = ($cultures | ForEach-Object {
            "    <UICulture><UICultureName>$($_.Name)</UICultureName><UICultureVersion>$($manifest.ModuleVersion).0</UICultureVersion></UICulture>"
        }) -join "`n"
    Set-Content (Join-Path $Destination "$($name)_HelpInfo.xml") -Encoding utf8 -Value @"
<?xml version="1.0" encoding="utf-8"?>
<HelpInfo xmlns="http://schemas.microsoft.com/powershell/help/2010/05">
  <HelpContentURI>$($manifest.HelpInfoURI)</HelpContentURI>
  <SupportedUICultures>
$entries
  </SupportedUICultures>
</HelpInfo>
"@
}

# A package folder holds what its platform loads and nothing of another's; its manifest is valid and stamped.
function Test-ModulePackage([string] $Folder, [string] $Runtime) {
    $platform = $Platforms[$Runtime]
    $problems = [System.Collections.Generic.List[string]]::new()
    $required = @('FedPS.psd1', 'FedPS.Cmdlets.dll', 'FedPS.Core.dll', 'TorchSharp.dll', 'FedPS.format.ps1xml', 'FedPS.types.ps1xml',
        'en-US/FedPS.Cmdlets.dll-Help.xml', 'en-US/about_FedPS.help.txt') + $platform.Natives
    foreach ($file in $required) { if (-not (Test-Path (Join-Path $Folder $file))) { $problems.Add("missing $file") } }
    $foreign = Get-ChildItem $Folder -File -Filter $platform.Foreign | Where-Object { $_.Extension -ne '.dll' -or -not (Test-ManagedAssembly $_.FullName) }
    foreach ($file in $foreign) { $problems.Add("$($file.Name) is a native library of another platform") }
    foreach ($file in Get-ChildItem $Folder -File | Where-Object Name -in $Unused) { $problems.Add("$($file.Name) is never loaded") }
    $manifest = Test-ModuleManifest (Join-Path $Folder 'FedPS.psd1') -ErrorAction SilentlyContinue -ErrorVariable invalid
    foreach ($e in $invalid) { $problems.Add("manifest: $e") }
    if ($manifest) {
        if ("$($manifest.Version)" -ne (Get-ModuleVersion)) { $problems.Add("ModuleVersion $($manifest.Version), expected $(Get-ModuleVersion)") }
        if ($manifest.Tags -notcontains $platform.Tag) { $problems.Add("Tags lack '$($platform.Tag)'") }
        foreach ($other in $Platforms.Values.Tag | Where-Object { $_ -ne $platform.Tag }) { if ($manifest.Tags -contains $other) { $problems.Add("tagged '$other', whose natives it does not ship") } }
        if (-not $manifest.ReleaseNotes) { $problems.Add('no ReleaseNotes') }
        if (-not $manifest.ProjectUri -or -not $manifest.LicenseUri -or -not $manifest.HelpInfoUri) { $problems.Add('ProjectUri, LicenseUri and HelpInfoUri must be set') }
    }
    if ($problems.Count) { throw "The $Runtime package in $Folder is not right:`n  $($problems -join "`n  ")" }
    Write-Host "Checked the $Runtime package: $((Get-ChildItem $Folder -Recurse -File).Count) files, $([math]::Round(((Get-ChildItem $Folder -Recurse -File | Measure-Object Length -Sum).Sum) / 1MB)) MB" -ForegroundColor Green
}

function Test-ManagedAssembly([string] $Path) {
    try { [System.Reflection.AssemblyName]::GetAssemblyName($Path) | Out-Null; $true } catch { $false }
}

function Invoke-Publish {
    $here = Get-Runtime
    if (Test-Path $publishOut) { Remove-Item $publishOut -Recurse -Force }
    foreach ($runtime in 'linux-x64', 'win-x64') {
        $folder = Join-Path $publishOut "$runtime/FedPS"
        if ($runtime -eq $here) {
            New-Item -ItemType Directory (Split-Path $folder) | Out-Null
            Copy-Item $out $folder -Recurse
        }
        else {
            # Another platform's natives: restored for it and staged, never run here.
            Invoke-Native "Staging the $runtime module" {
                dotnet publish (Join-Path $root 'src/FedPS.Cmdlets/FedPS.Cmdlets.csproj') -c $Configuration -nologo -v:q "-p:FedPSRuntime=$runtime" -o $folder
            }
            Get-ChildItem $folder -File | Where-Object Name -in $Unused | Remove-Item
            Copy-ModuleFiles $folder
            Set-ModuleStamp $folder $runtime
            Copy-Item (Join-Path $out 'en-US/*') (Join-Path $folder 'en-US') -Force   # the help is the same on every platform
        }
        Get-ChildItem $folder -File -Filter '*.pdb' | Remove-Item
        Test-ModulePackage $folder $runtime
        Invoke-Native "Packing the $runtime module" {
            dotnet pwsh -NoProfile -NonInteractive -Command "Compress-PSResource -Path '$folder' -DestinationPath '$(Split-Path $folder)'"
        }
    }
    Copy-Item $helpOut (Join-Path $publishOut 'help') -Recurse
    # The README's install steps, against the package of this platform.
    $package = Get-ChildItem (Join-Path $publishOut $here) -Filter 'FedPS.*.nupkg' | Select-Object -First 1
    $install = Invoke-PesterRun @((Join-Path $root 'tests/FedPS.Module.Tests/Install.Tests.ps1')) @{ FEDPS_PACKAGE = $package.FullName }
    if ($install.Failed -gt 0 -or $install.Passed -eq 0) { throw "Installing the $here package as the README says failed: $($install.Failed) test(s) failed." }
    Get-ChildItem $publishOut -Recurse -Filter '*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName) ($([math]::Round($_.Length / 1MB)) MB)" -ForegroundColor Green }
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

# Runs Pester on the paths in a fresh pwsh, against the staged module (and any other environment variables given).
function Invoke-PesterRun([string[]] $Paths, [hashtable] $Environment = @{}) {
    $pester = Get-PesterPath
    $resultFile = Join-Path ([IO.Path]::GetTempPath()) "fedps-pester-$PID-$([guid]::NewGuid().ToString('N')).xml"
    $variables = @{ FEDPS_MODULE = "$out/FedPS.psd1" } + $Environment
    $script = "Import-Module '$pester'; " +
        (($variables.GetEnumerator() | ForEach-Object { "`$env:$($_.Key) = '$($_.Value)'; " }) -join '') +
        "`$c = New-PesterConfiguration; `$c.Run.Path = @($(($Paths | ForEach-Object { "'$_'" }) -join ', ')); `$c.Run.Exit = `$false; " +
        "`$c.Output.Verbosity = 'Detailed'; `$c.TestResult.Enabled = `$true; `$c.TestResult.OutputPath = '$resultFile'; Invoke-Pester -Configuration `$c"
    dotnet pwsh -NoProfile -NonInteractive -Command $script | Out-Host
    $summary = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }   # no result file: the run crashed
    if (Test-Path $resultFile) {
        [xml] $results = Get-Content $resultFile -Raw
        $suite = $results.'test-results'
        $summary.Passed = [int]$suite.total - [int]$suite.failures - [int]$suite.errors - [int]$suite.'not-run' - [int]$suite.skipped - [int]$suite.ignored - [int]$suite.inconclusive
        $summary.Failed = [int]$suite.failures + [int]$suite.errors
        $summary.Skipped = [int]$suite.skipped + [int]$suite.'not-run' + [int]$suite.ignored
        Remove-Item $resultFile
    }
    $summary
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
    $pester = Invoke-PesterRun @("$root/tests/FedPS.Module.Tests", "$root/examples")
    $summary.Passed += $pester.Passed; $summary.Failed += $pester.Failed; $summary.Skipped += $pester.Skipped
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
        'Setup' { Invoke-Build -ModuleOnly; Invoke-Setup }
        'Quickstart' {
            Invoke-Build -ModuleOnly
            Invoke-Setup
            Invoke-Native 'Running examples/quickstart.ps1' {
                dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$out/FedPS.psd1'; & '$root/examples/quickstart.ps1'"
            }
        }
        'Test' { Invoke-Build; Invoke-Setup -Datasets 'digits'; Invoke-Test }
        'Publish' { Invoke-Build; Invoke-Setup -Datasets 'digits'; Invoke-Publish }
    }
}
finally {
    Pop-Location
}
