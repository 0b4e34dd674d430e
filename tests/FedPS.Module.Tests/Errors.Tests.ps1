#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# PowerShell's conventions for errors: a failed pipeline item is non-terminating and honours -ErrorAction, and
# nothing but FedPS's own records reaches the user (no libtorch text on stdout or stderr).
BeforeDiscovery {
    # The -ForEach cases below construct FedPS types.
    Import-Module ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')) -Force
}

BeforeAll {
    $modulePath = (Resolve-Path ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1'))).Path
    Import-Module $modulePath -Force
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')   # Invoke-Pwsh: a script in a new pwsh, stdout and stderr as the terminal sees them
}

Describe 'Per-item failures are non-terminating' {
    It '-ErrorAction SilentlyContinue lets a script go on after a bad name' {
        $result = Import-FedDataset nosuch -ErrorAction SilentlyContinue -ErrorVariable problems
        $after = 'went on'

        $result | Should -BeNullOrEmpty
        $after | Should -Be 'went on'
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*ImportFedDatasetCommand'
    }

    It 'a bad name in the middle of a pipeline fails alone: the others are processed' {
        $installed = 'digits', 'bogus', 'digits' | Install-FedDataset -ErrorAction SilentlyContinue -ErrorVariable problems

        $installed | Should -HaveCount 2
        $installed.Name | Should -Be @('digits', 'digits')
        $problems | Should -HaveCount 1
        $problems[0].TargetObject | Should -Be 'bogus'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It '-ErrorAction Stop stops at the first bad item, with its own record' {
        $seen = [Collections.Generic.List[object]]::new()
        { 'digits', 'bogus', 'digits' | Install-FedDataset -ErrorAction Stop | ForEach-Object { $seen.Add($_) } } |
            Should -Throw -ExceptionType ([FedPS.Core.FedPSException]) -ExpectedMessage "*Unknown dataset or package 'bogus'*"
        $seen | Should -HaveCount 1
    }

    It 'the default preference writes the error and goes on, and $? says it failed' {
        $output = 'nosuch', 'digits' | Import-FedDataset 2>&1
        $succeeded = $?
        $output[0] | Should -BeOfType ([Management.Automation.ErrorRecord])
        $output[1].Name | Should -Be 'digits'
        $succeeded | Should -BeFalse
    }

    It 'a failure that voids the whole command terminates it' {
        # New-FedClient's parameters contradict each other: no item can succeed.
        { Import-FedDataset digits | Split-FedDataset -Clients 2 | New-FedClient -Optimizer (New-FedOptimizer Adam) -Momentum 0.9 -ErrorAction SilentlyContinue } |
            Should -Throw -ExpectedMessage '*either -Optimizer or -LearningRate*'
    }
}

Describe 'Errors carry no native text' {
    It 'libtorch''s C++ frames are cut from any message that reaches the user' {
        $native = [Runtime.InteropServices.ExternalException]::new(
            "from is out of bounds for float`nException raised from operator() at /pytorch/aten/src/ATen/native/DistributionTemplates.h:296 (most recent call first):`nframe #0: c10::Error::Error(c10::SourceLocation) + 0xb0 (0x7f in libc10.so)")

        $record = [FedPS.Cmdlets.ErrorRecords]::From($native, 'the value')

        $record.Exception.Message | Should -Be 'from is out of bounds for float'
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $record.TargetObject | Should -Be 'the value'
        $record.Exception.InnerException | Should -BeNullOrEmpty -Because 'the frames must not come back through Get-Error either'
    }

    It 'every exception type gets a category that says what failed' -ForEach @(
        @{ Exception = [UnauthorizedAccessException]::new('denied'); Category = 'PermissionDenied' }
        @{ Exception = [IO.FileNotFoundException]::new('gone', '/x/y'); Category = 'ObjectNotFound' }
        @{ Exception = [IO.EndOfStreamException]::new('short'); Category = 'InvalidData' }
        @{ Exception = [OutOfMemoryException]::new('big'); Category = 'ResourceUnavailable' }
        @{ Exception = [NotImplementedException]::new('later'); Category = 'NotImplemented' }
        @{ Exception = [ArgumentOutOfRangeException]::new('x', 'bad'); Category = 'InvalidArgument' }
        @{ Exception = [FedPS.Core.FedPSException]::new('LimitExceeded', 'too big', 'f'); Category = 'LimitsExceeded' }
    ) {
        [FedPS.Cmdlets.ErrorRecords]::From($Exception, 'item').CategoryInfo.Category | Should -Be $Category
    }

    It 'libtorch writes nothing to the terminal when PowerShell reads every property of a model and trains it' {
        $script = "Import-Module '$modulePath'; `$ErrorActionPreference = 'Stop'; " +
            "`$train = Import-FedDataset digits; `$model = `$train | New-FedModel -Architecture Mlp -Hidden 8 -Seed 1; " +
            "`$null = `$model | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue; `$null = `$model | Format-List * | Out-String; " +
            "`$server = `$train | Split-FedDataset -Clients 2 | New-FedClient -LocalSteps 2 | New-FedServer -Model `$model; " +
            "`$null = `$server | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue; `$server | Invoke-FedRound | Out-Null; 'done'"

        $result = Invoke-Pwsh $script

        $result.ExitCode | Should -Be 0
        $result.Out.Trim() | Should -Be 'done'
        $result.Err | Should -BeNullOrEmpty -Because "stderr held: $($result.Err)"
    }
}
