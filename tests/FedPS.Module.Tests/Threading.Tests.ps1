#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# OpenMP reads its environment once, when libtorch loads, so each case needs a fresh pwsh. OMP_DISPLAY_ENV makes
# libgomp print the values it actually read: the proof that FedPS's setting reached the native environment in time.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')

    # A fresh pwsh without any OpenMP setting of ours, plus $Environment; its JSON output and what libgomp printed.
    function Invoke-FreshPwsh([hashtable] $Environment, [string] $Command = 'Get-FedDevice | ConvertTo-Json -Compress') {
        $variables = @{ OMP_WAIT_POLICY = $null; OMP_NUM_THREADS = $null; GOMP_SPINCOUNT = $null; OMP_DISPLAY_ENV = 'VERBOSE' }
        foreach ($entry in $Environment.GetEnumerator()) { $variables[$entry.Key] = $entry.Value }
        $run = Invoke-Pwsh "Import-Module '$modulePath'; $Command" -Environment $variables
        [pscustomobject]@{ Device = ($run.Out | ConvertFrom-Json); OpenMP = $run.Err }
    }
}

Describe 'The threading libtorch starts with' -Skip:(-not $IsLinux) {
    It 'is FedPS''s default, set in the native environment before libtorch loaded' {
        $run = Invoke-FreshPwsh @{}
        $run.OpenMP | Should -Match "GOMP_SPINCOUNT = '10000'"
        $run.OpenMP | Should -Match "OMP_NUM_THREADS = '1'"
        $run.Device.Threads | Should -Be 1
        $run.Device.WaitPolicy | Should -Be 'spin 10,000, then sleep'
        $run.Device.ThreadingReason | Should -Match "FedPS's default: 1 for models under 500,000 parameters"
    }

    It 'gives a round of a large model every core and a round of a small one a single thread' {
        $command = @'
$digits = Import-FedDataset digits
$threads = foreach ($hidden in @(64), @(1024, 960)) {
    $server = $digits | Split-FedDataset -Clients 2 | New-FedClient -LocalSteps 1 | New-FedServer -Model ($digits | New-FedModel Mlp -Hidden $hidden)
    $null = $server | Invoke-FedRound
    [pscustomobject]@{ Parameters = $server.Model.ParameterCount; Threads = [TorchSharp.torch]::get_num_threads() }
}
$threads | ConvertTo-Json -Compress
'@
        $rounds = (Invoke-FreshPwsh @{} $command).Device
        $rounds[0].Parameters | Should -BeLessThan 500000
        $rounds[0].Threads | Should -Be 1
        $rounds[1].Parameters | Should -BeGreaterOrEqual 500000
        $rounds[1].Threads | Should -Be ([Environment]::ProcessorCount)
    }

    It 'keeps a thread count the user chose, whatever the model' {
        $command = @'
$null = Set-FedDevice cpu -Threads 1
$digits = Import-FedDataset digits
$server = $digits | Split-FedDataset -Clients 2 | New-FedClient -LocalSteps 1 | New-FedServer -Model ($digits | New-FedModel Mlp -Hidden 1024, 960)
$null = $server | Invoke-FedRound
[TorchSharp.torch]::get_num_threads()
'@
        (Invoke-FreshPwsh @{} $command).Device | Should -Be 1
    }

    It 'leaves what the user set alone, and says so' {
        $run = Invoke-FreshPwsh @{ OMP_WAIT_POLICY = 'ACTIVE'; OMP_NUM_THREADS = '2' }
        $run.OpenMP | Should -Match "OMP_WAIT_POLICY = 'ACTIVE'"
        $run.Device.Threads | Should -Be 2
        $run.Device.WaitPolicy | Should -Be 'ACTIVE'
        $run.Device.ThreadingReason | Should -Match 'from OMP_NUM_THREADS in your environment'
        $run.Device.ThreadingReason | Should -Match 'ACTIVE, from your environment'
    }
}
