# Shared settings of the MIRA reproduction (dot-sourced by pretrain.ps1 and run.ps1).
$TaskNames = 'translate-deu', 'translate-fra', 'translate-spa', 'define-wordnet', 'define-foldoc',
         'continue-computers', 'continue-science', 'classify-fortunes'   # 8 clients, 4 task kinds
$ContextLength = 64
$DataRoot = if ($env:FEDPS_DATA) { $env:FEDPS_DATA } else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'FedPS/data' }
$BaseModelPath = Join-Path $DataRoot 'models/mira-base'
