# Shared settings of the MIRA reproduction, second edition (dot-sourced by pretrain.ps1, run.ps1 and report.ps1).
# 16 clients, one per task, over 6 task kinds: translation (5), definition (4), continuation (3), classification (2),
# synonym (1), naming (1). Every task comes from a Debian package installed by Install-FedDataset.
$TaskNames = 'translate-deu', 'translate-fra', 'translate-spa', 'translate-ita', 'translate-nld',
    'define-wordnet', 'define-foldoc', 'define-gcide', 'define-jargon',
    'continue-computers', 'continue-people', 'continue-miscellaneous',
    'classify-topic', 'classify-pos', 'synonym-wordnet', 'name-wordnet'
$Packages = 'fortunes', 'dict-freedict-eng-deu', 'dict-freedict-eng-fra', 'dict-freedict-eng-spa', 'dict-freedict-eng-ita',
    'dict-freedict-eng-nld', 'wordnet-base', 'dict-foldoc', 'dict-gcide', 'dict-jargon'
$ContextLength = 96
$DataRoot = if ($env:FEDPS_DATA) { $env:FEDPS_DATA } else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'FedPS/data' }
$BaseModelPath = Join-Path $DataRoot 'models/mira-base-v2'
# Every task's split is drawn once, with this seed, for pretraining and fine-tuning alike. Each task's shuffled examples
# are: the first $TestCount the test split, the next $ValidationCount the validation split (tuning, early stopping), then
# training. Pretraining holds out the first $HeldOut = test + validation, so neither is ever in its text.
$SplitSeed = 1
$TestCount = 100
$ValidationCount = 50
$HeldOut = $TestCount + $ValidationCount
