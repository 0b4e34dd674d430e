#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The help that build/New-FedHelp.ps1 compiles from docs/cmdlets/*.md into the staged module, and the generator's
# refusal to compile incomplete pages.

BeforeDiscovery {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $cmdlets = @(Get-Command -Module FedPS -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })

    # Every example of the help pages that shows its output (```text blocks after its code).
    $samples = foreach ($page in Get-ChildItem (Join-Path $PSScriptRoot '../../docs/cmdlets') -Filter '*.md') {
        $text = Get-Content $page.FullName -Raw
        foreach ($example in [regex]::Matches($text, '(?ms)^### (Example [^\n]*)\n(.*?)(?=^### |^## |\z)')) {
            $body = $example.Groups[2].Value
            $code = [regex]::Match($body, '(?ms)^```powershell\s*\n(.*?)^```').Groups[1].Value
            $outputs = @([regex]::Matches($body, '(?ms)^```text\s*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value })
            if ($outputs.Count) {
                @{ Page = $page.BaseName; Title = $example.Groups[1].Value.Trim(); Code = $code; Output = $outputs -join "`n" }
            }
        }
    }
}

BeforeAll {
    $modulePath = $env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1')
    Import-Module $modulePath -Force
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Get-Help <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
    }

    It 'has a written synopsis, not the generated syntax line' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML help, Get-Help's synopsis is the syntax: "<Name> [-Param] <type> ...".
        $help.Synopsis.Trim() | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)"
    }

    It 'has a description' {
        ($help.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code, and every example parses' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.code.Trim() | Should -Not -BeNullOrEmpty -Because $example.title
            $errors = $null
            [System.Management.Automation.Language.Parser]::ParseInput($example.code, [ref] $null, [ref] $errors) | Out-Null
            $errors | Should -BeNullOrEmpty -Because "$($example.title) must be valid PowerShell"
        }
    }

    It 'describes every parameter, with the metadata of the cmdlet' {
        $parameters = @($command.Parameters.Values | Where-Object { $_.Name -notin $common -or $_.Name -in 'WhatIf', 'Confirm' })
        foreach ($parameter in $parameters) {
            $parameterHelp = Get-Help $Name -Parameter $parameter.Name
            ($parameterHelp.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
            $mandatory = @($parameter.ParameterSets.Values | Where-Object IsMandatory).Count -eq $parameter.ParameterSets.Count
            $parameterHelp.required | Should -Be "$mandatory".ToLowerInvariant() -Because "-$($parameter.Name)'s Mandatory"
            $byValue = [bool]@($parameter.ParameterSets.Values | Where-Object ValueFromPipeline).Count
            ($parameterHelp.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "-$($parameter.Name)'s pipeline input"
        }
    }

    It 'links to about_FedPS' {
        $help.relatedLinks.navigationLink.linkText | Should -Contain 'about_FedPS'
    }
}

Describe 'The about_FedPS topic' {
    It 'is found by Get-Help after Import-Module' {
        $text = Get-Help about_FedPS | Out-String
        $text | Should -Match 'about_FedPS'
        $text | Should -Match 'FEDPS_DATA'
        $text | Should -Match 'Set-FedDevice'
    }
}

Describe 'The help generator (build/New-FedHelp.ps1)' {
    BeforeAll {
        $generator = Join-Path $PSScriptRoot '../../build/New-FedHelp.ps1'
        $docs = Join-Path $PSScriptRoot '../../docs/cmdlets'
        $moduleFolder = Split-Path (Resolve-Path $modulePath)
        $work = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-help-$([guid]::NewGuid())")

        # A copy of the repository's pages in a fresh folder, for a test to damage.
        function Copy-Docs {
            $copy = New-Item -ItemType Directory (Join-Path $work "docs-$([guid]::NewGuid())")
            Copy-Item (Join-Path $docs '*.md') $copy
            $copy.FullName
        }

        # Runs the generator in its own pwsh, as build.ps1 does, writing to a temporary folder (never the module).
        function Invoke-Generator([string] $Source) {
            $output = Join-Path $work "out-$([guid]::NewGuid())"
            $arguments = @('-NoProfile', '-NonInteractive', '-File', $generator, '-ModulePath', $moduleFolder, '-SourcePath', $Source, '-OutputPath', $output)
            $pwsh = [Environment]::ProcessPath
            if ((Split-Path $pwsh -Leaf) -notlike 'pwsh*') {
                $arguments = @(Join-Path $PSHOME 'pwsh.dll') + $arguments   # pwsh runs as a .NET tool: dotnet <pwsh.dll>
            }
            $text = & $pwsh @arguments 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = $text; OutputPath = $output }
        }

        # Removes a "### -Name" or "## SECTION" block: the heading and its lines up to the next heading of that level or higher.
        function Remove-Block([string] $Path, [string] $Heading) {
            $level = ($Heading -split ' ')[0].Length
            $lines = Get-Content $Path
            $start = [array]::IndexOf($lines, $Heading)
            $start | Should -BeGreaterThan 0 -Because "$Path has '$Heading' after its title"
            $end = $start + 1
            while ($end -lt $lines.Count -and $lines[$end] -notmatch "^#{1,$level}\s") { $end++ }
            Set-Content $Path (@($lines[0..($start - 1)]) + @(if ($end -lt $lines.Count) { $lines[$end..($lines.Count - 1)] }))
        }
    }

    AfterAll {
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'compiles the repository pages into well-formed MAML for every cmdlet' {
        $run = Invoke-Generator $docs
        $run.ExitCode | Should -Be 0 -Because $run.Text
        [xml] $maml = Get-Content (Join-Path $run.OutputPath 'FedPS.Cmdlets.dll-Help.xml') -Raw
        $names = @($maml.helpItems.command | ForEach-Object { $_.details.name })
        $names | Sort-Object | Should -Be (Get-Command -Module FedPS -CommandType Cmdlet).Name
    }

    It 'fails, naming the page and the parameter, when a page leaves out a parameter' {
        $copy = Copy-Docs
        Remove-Block (Join-Path $copy 'New-FedModel.md') '### -Seed'

        $run = Invoke-Generator $copy

        $run.ExitCode | Should -Not -Be 0
        $run.Text | Should -Match 'New-FedModel\.md: parameter -Seed of New-FedModel has no description'
        Test-Path (Join-Path $run.OutputPath 'FedPS.Cmdlets.dll-Help.xml') | Should -BeFalse -Because 'nothing is written when a page is incomplete'
    }

    It 'fails on a missing page, a missing synopsis, a missing example, an unknown parameter and an unknown section, listing them all' {
        $copy = Copy-Docs
        Remove-Item (Join-Path $copy 'Get-FedDevice.md')
        Remove-Block (Join-Path $copy 'Set-FedDevice.md') '## SYNOPSIS'
        Remove-Block (Join-Path $copy 'Measure-FedLoss.md') '## EXAMPLES'
        Add-Content (Join-Path $copy 'Import-FedDataset.md') "`n## SEE ALSO`nabout_FedPS`n"
        (Get-Content (Join-Path $copy 'Invoke-FedRound.md') -Raw) -replace '### -Count', "### -Rounds`nNot a parameter.`n### -Count" |
            Set-Content (Join-Path $copy 'Invoke-FedRound.md')

        $run = Invoke-Generator $copy

        $run.ExitCode | Should -Not -Be 0
        $run.Text | Should -Match 'Get-FedDevice\.md: missing'
        $run.Text | Should -Match "Set-FedDevice\.md: no '## SYNOPSIS' section"
        $run.Text | Should -Match "Measure-FedLoss\.md: no '## EXAMPLES' section"
        $run.Text | Should -Match 'Invoke-FedRound\.md:\d+: documents -Rounds, but Invoke-FedRound has no such parameter'
        $run.Text | Should -Match "Import-FedDataset\.md:\d+: unknown section '## SEE ALSO'"
    }
}

Describe 'Sample output in <Page>, <Title>' -ForEach $samples {
    BeforeAll {
        # Tables in text: a header line over a line of dashes, the rows below it, a group header ("Server: x") above;
        # and lists: "Label : value" lines (a value may go on, indented, on the next lines), one block per object.
        function Get-Table([string] $Text) {
            $lines = @($Text -split "`r?`n")
            $list = $null
            for ($i = 0; $i -lt $lines.Count; $i++) {
                if ($i -lt $lines.Count - 1 -and $lines[$i + 1] -match '^\s*-{2,}(\s+-+)*\s*$' -and $lines[$i].Trim()) {
                    $rows = 0
                    for ($j = $i + 2; $j -lt $lines.Count -and $lines[$j].Trim(); $j++) { $rows++ }
                    $above = @($lines[0..([math]::Max(0, $i - 1))] | Where-Object { $_.Trim() }) | Select-Object -Last 1
                    $group = if ($i -gt 0 -and $above -match '^\s+(\w+): ') { $Matches[1] } else { '' }
                    [pscustomobject]@{ Kind = 'Table'; Labels = @(-split $lines[$i]); Rows = $rows; Group = $group }
                    $i = $j
                }
                elseif ($lines[$i] -match '^(\w+)\s*: ') {
                    if (-not $list) { $list = [pscustomobject]@{ Kind = 'List'; Labels = [Collections.Generic.List[string]]::new(); Rows = 1; Group = '' } }
                    $list.Labels.Add($Matches[1])
                }
                elseif (-not $lines[$i].Trim() -and $list) {
                    $list; $list = $null
                }
            }
            if ($list) { $list }
        }

        # The header labels of every table view the module defines, and of the sweep views (Index, the swept
        # settings, then a fixed tail), as text to compare with.
        $controls = @(Get-FormatData -TypeName 'FedPS.*' | ForEach-Object FormatViewDefinition | ForEach-Object Control)
        $views = @($controls | Where-Object { $_ -is [Management.Automation.TableControl] } | ForEach-Object { ($_.Headers.Label) -join ' ' })
        # A list view's items, some shown only when their condition holds: a documented list is an ordered selection of them.
        $lists = @($controls | Where-Object { $_ -is [Management.Automation.ListControl] } |
                ForEach-Object { , @($_.Entries[0].Items | ForEach-Object { $_.Label ?? $_.DisplayEntry.Value }) })
        function Test-Selection([string[]] $Labels, [string[]] $Items) {
            $next = 0
            foreach ($label in $Labels) {
                while ($next -lt $Items.Count -and $Items[$next] -ne $label) { $next++ }
                if ($next -ge $Items.Count) { return $false }
                $next++
            }
            $true
        }
        $sweepTails = 'Seed Status Rounds TrainLoss TestLoss Accuracy', 'Seed Rounds Clients Key', 'Seed Clients Key', 'Seed Rounds Key', 'Seed Key'

        # An example runs here when it is cheap and complete: digits data only, nothing written, every variable it reads set in it.
        $ast = [Management.Automation.Language.Parser]::ParseInput($Code, [ref] $null, [ref] $null)
        $assigned = @($ast.FindAll({ $args[0] -is [Management.Automation.Language.AssignmentStatementAst] }, $true) |
                ForEach-Object { $_.Left.VariablePath.UserPath })
        $unset = @($ast.FindAll({ $args[0] -is [Management.Automation.Language.VariableExpressionAst] }, $true) |
                ForEach-Object { $_.VariablePath.UserPath } | Where-Object { $_ -notin $assigned -and $_ -notin '_', 'true', 'false', 'null', 'PSItem' -and $_ -notlike 'env:*' })
        $runnable = -not $unset -and $Code -notmatch 'mnist|fashion|TextTask|Import-FedModel|Invoke-FedExperiment|Export-Fed|Save-Fed|Restore-Fed|Database|\.yaml|Gpt|-Force'
        $documented = @(Get-Table $Output)
    }

    It 'shows the columns of a FedPS view' {
        $documented | Should -Not -BeNullOrEmpty -Because 'a text block after an example shows a table or a list'
        $selected = [regex]::Match($Code, '(?:Format-Table|Select-Object)\s+((?:[A-Za-z]+\s*,\s*)+[A-Za-z]+)\s*$').Groups[1].Value -replace '\s', '' -split ','
        foreach ($table in $documented) {
            $labels = $table.Labels -join ' '
            $known = ($table.Kind -eq 'Table' -and $labels -in $views) -or ($selected -and $labels -eq ($selected -join ' ')) -or
                ($table.Kind -eq 'List' -and @($lists | Where-Object { Test-Selection $table.Labels $_ }).Count) -or
                ($table.Labels[0] -eq 'Index' -and @($sweepTails | Where-Object { $labels.EndsWith($_) }).Count)
            $known | Should -BeTrue -Because "'$labels' must be the header of a view of the module (or the properties the example selects)"
        }
    }

    It 'is what the example prints, column for column (digits examples run here)' {
        if (-not $runnable) { Set-ItResult -Skipped -Because 'the example needs more than the digits data, or writes files'; return }
        Push-Location (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-example-$([guid]::NewGuid().ToString('N'))"))
        try {
            $printed = & ([scriptblock]::Create($Code)) | Out-String -Width 250
        }
        finally {
            Pop-Location
        }
        $actual = @(Get-Table $printed)
        $actual.Count | Should -Be $documented.Count -Because "the example prints:`n$printed"
        for ($i = 0; $i -lt $actual.Count; $i++) {
            ($documented[$i].Labels -join ' ') | Should -Be ($actual[$i].Labels -join ' ') -Because "the example prints:`n$printed"
            $documented[$i].Group | Should -Be $actual[$i].Group -Because "the example prints:`n$printed"
            $documented[$i].Rows | Should -Be $actual[$i].Rows -Because "the example prints:`n$printed"
        }
    }
}
