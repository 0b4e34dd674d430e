#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Smoke test of the Fed-Sophia reproduction's building blocks on the small digits data: every compared method
# runs one round through Invoke-ComparisonRun and yields a well-formed row.
BeforeDiscovery {
    $methods = @('FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'FedSophia', 'DONE')
}

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot 'fed-sophia/FedSophiaComparison.psm1') -Force
}

Describe 'The Fed-Sophia comparison' {
    It 'compares exactly the methods of issue 4' {
        @((Get-ComparisonMethod).Keys) | Should -Be @('FedAvg-SGD', 'FedAvg-Adam', 'FedProx', 'FedAdam', 'FedSophia', 'DONE')
    }

    It '<_> runs a round and reports accuracy and bytes' -ForEach $methods {
        $lr = (Get-ComparisonMethod)[$_].Grid[1]
        $row = Invoke-ComparisonRun -Dataset digits -Architecture Mlp -Split dirichlet0.3 -Method $_ -Lr $lr -Seed 1 -Rounds 1 -Clients 3 -LocalSteps 3 -TestSize 200
        $row.Method | Should -Be $_
        $row.TestAccuracy | Should -BeGreaterThan 0
        $row.CumulativeBytes | Should -BeGreaterThan 0
    }
}
