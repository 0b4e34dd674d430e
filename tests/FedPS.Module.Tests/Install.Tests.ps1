#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The README's "Install with Install-PSResource" section, run as written against a local PSResourceGet repository,
# in a pwsh whose home folder is a throw-away one (so the repository it registers and the module it installs never
# touch the user's). In the suite the package is made from the staged module without libtorch's 440 MB CPU library
# (what is checked is the packaging and the install); ./build.ps1 -Task Publish runs it on the real package
# ($env:FEDPS_PACKAGE), and then also trains a round with the installed module.

BeforeAll {
    $modulePath = (Resolve-Path ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1'))).Path
    $staged = Split-Path $modulePath
    $repository = Join-Path $PSScriptRoot '../..' | Resolve-Path
    $manifest = Import-PowerShellDataFile $modulePath
    $runtime = if ($IsWindows) { 'win-x64' } elseif ($IsMacOS) { 'osx-arm64' } else { 'linux-x64' }
    $work = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-install-$([guid]::NewGuid().ToString('N'))")
    $homeFolder = New-Item -ItemType Directory (Join-Path $work 'home')
    $packages = New-Item -ItemType Directory (Join-Path $work "out/publish/$runtime")

    $full = [bool]$env:FEDPS_PACKAGE
    if ($full) {
        Copy-Item $env:FEDPS_PACKAGE $packages
    }
    else {
        $slim = New-Item -ItemType Directory (Join-Path $work 'FedPS')
        Get-ChildItem $staged | Where-Object Name -NotIn 'libtorch_cpu.so', 'torch_cpu.dll' | Copy-Item -Destination $slim -Recurse
        Compress-PSResource -Path $slim -DestinationPath $packages
    }

    # The README's code block, as written.
    $readme = Get-Content (Join-Path $repository 'README.md') -Raw
    $section = [regex]::Match($readme, '(?ms)^## Install with Install-PSResource\s*$(.*?)^## ').Groups[1].Value
    $steps = [regex]::Match($section, '(?ms)^```powershell\s*$(.*?)^```').Groups[1].Value

    $check = @'
$module = Get-Module FedPS
$report = [ordered]@{
    Base = $module.ModuleBase; Version = "$($module.Version)"; Commands = @(Get-Command -Module FedPS).Count
    Tags = @($module.Tags); Strategy = (Get-FedStrategy FedAvg).Name; Synopsis = (Get-Help Import-FedDataset).Synopsis
}
'@
    # Update-Help reads the files build.ps1 writes for the manifest's HelpInfoURI (a .zip: Linux and macOS).
    $updatableHelp = Join-Path $repository 'out/help'
    if (-not $IsWindows -and (Test-Path $updatableHelp)) {
        $check += "`nUpdate-Help -Module FedPS -SourcePath '$updatableHelp' -UICulture en-US -Force; `$report.HelpUpdated = `$true`n"
    }
    if ($full) {
        $check += @'
$train = Import-FedDataset digits
$round = $train | Split-FedDataset -Clients 2 -Seed 1 | New-FedClient -LocalSteps 2 |
    New-FedServer -Model ($train | New-FedModel Mlp -Hidden 8) | Invoke-FedRound
$report.TrainLoss = $round.TrainLoss
'@
    }
    $check += "`n`$report | ConvertTo-Json -Compress`n"

    # A pwsh of its own: home, data and config folders in $work; the module path PowerShell derives from them.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $run = Invoke-Pwsh "`$ErrorActionPreference = 'Stop'; $steps`n$check" -WorkingDirectory $work -Environment @{
        HOME = "$homeFolder"; XDG_DATA_HOME = Join-Path $homeFolder '.local/share'; XDG_CONFIG_HOME = Join-Path $homeFolder '.config'
        XDG_CACHE_HOME = Join-Path $homeFolder '.cache'; LOCALAPPDATA = Join-Path $homeFolder 'AppData/Local'; PSModulePath = ''
        NO_COLOR = '1'   # plain text in the messages a failure shows
        FEDPS_DATA = $env:FEDPS_DATA ?? [IO.Path]::Combine([Environment]::GetFolderPath('LocalApplicationData'), 'FedPS', 'data')
    }
    $stdout = $run.Out
    $errors = $run.Err
    $lines = @($stdout -split "`n" | Where-Object { $_.Trim() })
    $report = if ($lines -and $lines[-1] -like '{*') { $lines[-1] | ConvertFrom-Json } else { $null }
}

AfterAll {
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}

Describe 'The README''s Install-PSResource steps' {
    It 'run without error' {
        $run.ExitCode | Should -Be 0 -Because "stdout: $stdout stderr: $errors"
        $errors | Should -BeNullOrEmpty
        $steps | Should -Match 'Install-PSResource' -Because 'the README section holds the steps'
    }

    It 'install the package into the user''s module folder, and Import-Module FedPS loads that copy' {
        $report.Base | Should -BeLike "$homeFolder*"
        $report.Version | Should -Be $manifest.ModuleVersion
    }

    It 'give every cmdlet, its help, and the platform tag of the natives it ships' {
        $report.Commands | Should -Be $manifest.CmdletsToExport.Count
        $report.Synopsis | Should -Not -BeNullOrEmpty
        $report.Strategy | Should -Be 'FedAvg'
        $report.Tags | Should -Contain ($runtime -like 'win-*' ? 'Windows' : 'Linux')
    }

    It 'take Update-Help''s files from out/help' {
        if ($IsWindows -or -not (Test-Path $updatableHelp)) { Set-ItResult -Skipped -Because 'Update-Help reads a .zip on Linux and macOS only'; return }
        $report.HelpUpdated | Should -BeTrue
    }

    It 'train a round with the installed module (the full package only)' {
        if (-not $full) { Set-ItResult -Skipped -Because 'the suite installs a package without libtorch''s CPU library'; return }
        $report.TrainLoss | Should -BeGreaterThan 0
    }
}
