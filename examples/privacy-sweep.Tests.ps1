#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The privacy sweep (examples/privacy-sweep.yaml) from YAML, shortened to 4 rounds and one seed, with assertions that
# hold whatever the run's luck: ε falls as the noise multiplier grows, and compression cuts the uplink bytes.
BeforeAll {
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')) -Force
    Set-FedDevice -Name cpu -Threads 1 | Out-Null
    $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-privacy-$([guid]::NewGuid())")).FullName
    $yaml = (Get-Content (Join-Path $PSScriptRoot 'privacy-sweep.yaml') -Raw) -replace 'rounds: 10', 'rounds: 4' -replace 'seeds: \[1, 2\]', 'seeds: [1]'
    $config = Join-Path $folder 'privacy-sweep.yaml'
    Set-Content $config $yaml
    $runs = Invoke-FedExperiment $config -Database (Join-Path $folder 'privacy.sqlite') -ThrottleLimit 2
    $stored = Get-FedRun (Join-Path $folder 'privacy.sqlite')
    function Get-Compression($Run) { $Run.ConfigValue('compression.method') ?? 'none' }
}
AfterAll { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }

Describe 'The privacy sweep (3 noise multipliers × 3 compressions)' {
    It 'ran all 9 points to completion' {
        $stored | Should -HaveCount 9
        $stored.Status | Select-Object -Unique | Should -Be 'complete'
    }

    It 'stores ε for every round, rising round by round' {
        foreach ($run in $stored) {
            $epsilon = $run.Rounds.Epsilon
            $epsilon | Should -HaveCount 4
            1..3 | ForEach-Object { $epsilon[$_] | Should -BeGreaterThan $epsilon[$_ - 1] -Because $run.Name }
        }
    }

    It 'ε falls as the noise multiplier grows, and matches Measure-FedPrivacy' {
        foreach ($group in $stored | Group-Object { Get-Compression $_ }) {
            $byNoise = $group.Group | Sort-Object { [double] $_.ConfigValue('privacy.noiseMultiplier') }
            $final = $byNoise | ForEach-Object { $_.Rounds[-1].Epsilon }
            $final[1] | Should -BeLessThan $final[0]
            $final[2] | Should -BeLessThan $final[1]
            foreach ($run in $byNoise) {
                $expected = Measure-FedPrivacy -SampleRate 0.5 -NoiseMultiplier ([double] $run.ConfigValue('privacy.noiseMultiplier')) -Rounds 4 -Delta 1e-3
                $run.Rounds[-1].Epsilon | Should -Be $expected.Epsilon
            }
        }
    }

    It 'compression cuts the uplink bytes and leaves the downlink as it was' {
        foreach ($group in $stored | Group-Object { $_.ConfigValue('privacy.noiseMultiplier') }) {
            $bytes = @{}
            foreach ($run in $group.Group) {
                $bytes[(Get-Compression $run)] = [pscustomobject]@{
                    Up = ($run.Rounds.BytesUp | Measure-Object -Sum).Sum; Down = ($run.Rounds.BytesDown | Measure-Object -Sum).Sum }
            }
            $bytes.Keys | Sort-Object | Should -Be @('none', 'Sign', 'TopK')
            $bytes['TopK'].Up | Should -BeLessThan ($bytes['none'].Up / 4)
            $bytes['Sign'].Up | Should -BeLessThan ($bytes['none'].Up / 25)
            $bytes['TopK'].Down | Should -Be $bytes['none'].Down
        }
    }
}
