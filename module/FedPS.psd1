@{
    RootModule           = 'FedPS.Cmdlets.dll'
    RequiredAssemblies   = @('FedPS.Core.dll', 'TorchSharp.dll')
    # Stamped by build.ps1 from <Version> in Directory.Build.props, the one place the version is written.
    ModuleVersion        = '0.0.0'
    GUID                 = '6a910699-6484-4d4b-9051-ae0d52e25a5e'
    Author               = 'FedPS contributors'
    CompanyName          = 'FedPS'
    Copyright            = '(c) FedPS contributors. MIT License.'
    Description          = 'Federated learning experiments as PowerShell pipelines, on TorchSharp: datasets, partitions, clients, strategies, rounds and metrics as objects.'
    HelpInfoURI          = 'https://github.com/fedps/fedps/releases/latest/download/'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    CmdletsToExport      = @(
        'Get-FedDevice'
        'Set-FedDevice'
        'Install-FedDataset'
        'Import-FedDataset'
        'Split-FedDataset'
        'New-FedModel'
        'New-FedOptimizer'
        'New-FedClient'
        'New-FedStrategy'
        'Get-FedStrategy'
        'Register-FedStrategy'
        'New-FedServer'
        'Invoke-FedRound'
        'Start-FedRound'
        'Invoke-FedLocalTraining'
        'Limit-FedUpdate'
        'Select-FedUpdate'
        'Complete-FedRound'
        'New-FedUpdate'
        'Merge-FedUpdate'
        'New-FedPrivacy'
        'New-FedCompression'
        'New-FedAttack'
        'New-FedAvailability'
        'Protect-FedUpdate'
        'Compress-FedUpdate'
        'Invoke-FedAttack'
        'Measure-FedPrivacy'
        'Measure-FedLoss'
        'Measure-FedTextTask'
        'Invoke-FedExperiment'
        'Get-FedExperimentPlan'
        'Get-FedRun'
        'Export-FedResult'
        'Export-FedPlot'
        'Save-FedCheckpoint'
        'Restore-FedCheckpoint'
        'Import-FedTextTask'
        'Invoke-FedGenerate'
        'Save-FedModel'
        'Import-FedModel'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @('FedPS.format.ps1xml')
    TypesToProcess       = @('FedPS.types.ps1xml')
    PrivateData          = @{
        PSData = @{
            # build.ps1 adds the platform the package's natives are for (Linux, Windows).
            Tags         = @('FederatedLearning', 'MachineLearning', 'DeepLearning', 'TorchSharp', 'PyTorch', 'PSEdition_Core')
            ProjectUri   = 'https://github.com/fedps/fedps'
            LicenseUri   = 'https://github.com/fedps/fedps/blob/main/LICENSE'
            # Written by build.ps1 from the version's section of CHANGELOG.md.
            ReleaseNotes = ''
        }
    }
}
