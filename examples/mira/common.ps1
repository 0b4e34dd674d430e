# Shared settings of the MIRA reproduction (dot-sourced by pretrain.ps1 and run.ps1).
$TaskNames = 'translate-deu', 'translate-fra', 'translate-spa', 'define-wordnet', 'define-foldoc',
         'continue-computers', 'continue-science', 'classify-fortunes'   # 8 clients, 4 task kinds
$ContextLength = 64
$DataRoot = if ($env:FEDPS_DATA) { $env:FEDPS_DATA } else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'FedPS/data' }
$BaseModelPath = Join-Path $DataRoot 'models/mira-base'
# Every task's train/test split is drawn once, with this seed, for pretraining and fine-tuning alike: pretraining
# holds out the first $HeldOut examples of each task and fine-tuning tests on the first $TestCount of those, so no
# test example is ever in the pretraining text, whatever the run's seed.
$SplitSeed = 1
$HeldOut = 32
