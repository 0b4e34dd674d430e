@{
    RootModule           = 'FedPS.Cmdlets.dll'
    RequiredAssemblies   = @('FedPS.Core.dll', 'TorchSharp.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = '6a910699-6484-4d4b-9051-ae0d52e25a5e'
    Author               = 'FedPS contributors'
    CompanyName          = 'FedPS'
    Copyright            = '(c) FedPS contributors. MIT License.'
    Description          = 'Federated learning experiments as PowerShell pipelines, on TorchSharp: datasets, partitions, clients, strategies, rounds and metrics as objects.'
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
            Tags         = @('FederatedLearning', 'MachineLearning', 'TorchSharp', 'PSEdition_Core', 'Linux', 'Windows')
            ReleaseNotes = 'Foundation: datasets, partitioners, MLP/CNN, FedAvg rounds.'
        }
    }
}
