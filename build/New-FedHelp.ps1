#Requires -Version 7.4
<#
.SYNOPSIS
    Compiles docs/cmdlets/*.md and the staged module's cmdlet metadata into MAML help (Get-Help <cmdlet>).

.DESCRIPTION
    Imports the module staged in -ModulePath and, for every cmdlet it exports, combines
      (a) what the cmdlet itself declares (Get-Command): parameter sets, parameter types, Mandatory, Position,
          pipeline input by value / by property name, aliases, default values (read from a fresh instance of
          the cmdlet class), output types, and -WhatIf/-Confirm for ShouldProcess cmdlets, with
      (b) the prose of docs/cmdlets/<Verb-Noun>.md,
    and writes <ModulePath>/en-US/<assembly>-Help.xml (FedPS.Cmdlets.dll-Help.xml), the file PowerShell's help
    system reads for binary cmdlets. The about topic is not generated: it lives in module/en-US/about_FedPS.help.txt
    and build.ps1 copies module/* into the staged folder.

    The build FAILS (exit code 1, one line per problem, each naming the file) when
      - an exported cmdlet has no page, or a page names no exported cmdlet;
      - a page has no SYNOPSIS, no DESCRIPTION, or no example (an example is a ### heading with a code block);
      - a parameter of the cmdlet has no "### -Name" section, or that section is empty;
      - a page documents a parameter the cmdlet does not have (or an alias, or a common parameter);
      - the page does not follow the format below (unknown or repeated section, text outside a section,
        an unclosed code fence, an example that does not start with its code block).
    Nothing is written when anything fails.

    THE PAGE FORMAT (docs/cmdlets/<Verb-Noun>.md; follow it exactly)

        # Verb-Noun
        ## SYNOPSIS
        One line.
        ## DESCRIPTION
        Paragraphs.
        ## PARAMETERS
        ### -ParameterName
        Description paragraph(s).
        ## EXAMPLES
        ### Example 1: Title
        ```powershell
        code
        ```
        Explanation paragraph(s).
        ## NOTES
        Optional.

    Rules:
      - The "# Verb-Noun" title is the first line and matches the file name and the cmdlet name.
      - Sections are exactly SYNOPSIS, DESCRIPTION, PARAMETERS, EXAMPLES and NOTES (upper case), each at most once,
        in that order. NOTES is optional; the others are required.
      - PARAMETERS has one "### -Name" section per parameter of the cmdlet (every parameter set), named as the
        cmdlet names it (not by an alias). Common parameters (-Verbose, -ErrorAction, ...) are never documented;
        -WhatIf and -Confirm get the standard text unless the page documents them. Types, Mandatory, Position,
        pipeline input, aliases and defaults come from the cmdlet: do not repeat them in prose.
      - EXAMPLES has one "### Example N: Title" section per example. It starts with a fenced code block (the
        code Get-Help shows, runnable as written); everything after that block is the explanation. Further fenced
        blocks in the explanation (e.g. ```text output) are kept verbatim.
      - Prose: paragraphs are separated by blank lines; lines of a paragraph are joined. Lines starting with
        "- ", "* " or "1. " start a new line (lists). Fenced code blocks in any prose are kept verbatim.
        Headings inside fenced code blocks are not headings. Other markdown (`code`, **bold**) is kept as typed.

.EXAMPLE
    dotnet pwsh -NoProfile -File build/New-FedHelp.ps1 -ModulePath out/FedPS.staging -SourcePath docs/cmdlets
#>
[CmdletBinding()]
param(
    # The staged module folder (holds exactly one module manifest, *.psd1).
    [Parameter(Mandatory)]
    [string] $ModulePath,

    # The folder of markdown pages, one <Verb-Noun>.md per exported cmdlet.
    [Parameter(Mandatory)]
    [string] $SourcePath,

    # The help culture folder written under -ModulePath.
    [string] $Culture = 'en-US',

    # Where to write the MAML file; the default is <ModulePath>/<Culture>, where Get-Help looks for it.
    [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Sections = 'SYNOPSIS', 'DESCRIPTION', 'PARAMETERS', 'EXAMPLES', 'NOTES'
$RequiredSections = 'SYNOPSIS', 'DESCRIPTION', 'PARAMETERS', 'EXAMPLES'
$ShouldProcessText = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

#region Markdown

function New-Problem([string] $File, [int] $Line, [string] $Message) {
    if ($Line -gt 0) { "${File}:${Line}: $Message" } else { "${File}: $Message" }
}

# Splits a page into its title, sections and ### subsections; headings inside code fences are text.
function Read-HelpPage {
    param([string] $Path, [System.Collections.Generic.List[string]] $Problems)

    $file = $Path
    $page = [ordered]@{ File = $file; Title = $null; Sections = [ordered]@{} }
    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $section = $null
    $sub = $null
    $fence = 0
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $line = $lines[$i].TrimEnd()
        $number = $i + 1
        if ($line -match '^\s*```') {
            $fence = $fence ? 0 : $number
        }
        elseif (-not $fence -and $line -match '^(#{1,6})\s+(.*)$') {
            $level = $Matches[1].Length
            $text = $Matches[2].Trim()
            switch ($level) {
                1 {
                    if ($null -ne $page.Title) { $Problems.Add((New-Problem $file $number "a second '# ' title '$text'; a page has one title")) }
                    elseif ($page.Sections.Count) { $Problems.Add((New-Problem $file $number "the '# $text' title must be the first line")) }
                    else { $page.Title = $text }
                }
                2 {
                    $section = [ordered]@{ Name = $text; Line = $number; Lines = [System.Collections.Generic.List[object]]::new(); Subsections = [System.Collections.Generic.List[object]]::new() }
                    if ($text -cnotin $Sections) {
                        # Reported once; its lines are collected into a section that is then dropped.
                        $Problems.Add((New-Problem $file $number "unknown section '## $text'; sections are $($Sections -join ', ') (upper case)"))
                    }
                    elseif ($page.Sections.Contains($text)) {
                        $Problems.Add((New-Problem $file $number "section '## $text' appears twice"))
                    }
                    else {
                        $previous = @($page.Sections.Keys | ForEach-Object { [array]::IndexOf($Sections, $_) })
                        if ($previous.Count -and ([array]::IndexOf($Sections, $text) -lt ($previous | Measure-Object -Maximum).Maximum)) {
                            $Problems.Add((New-Problem $file $number "section '## $text' is out of order; the order is $($Sections -join ', ')"))
                        }
                        $page.Sections[$text] = $section
                    }
                    $sub = $null
                }
                3 {
                    if ($null -eq $section -or $section.Name -cnotin 'PARAMETERS', 'EXAMPLES') {
                        $Problems.Add((New-Problem $file $number "'### $text' is only allowed under '## PARAMETERS' (### -Name) or '## EXAMPLES' (### Example N: Title)"))
                        $sub = $null
                    }
                    else {
                        $sub = [ordered]@{ Title = $text; Line = $number; Lines = [System.Collections.Generic.List[object]]::new() }
                        $section.Subsections.Add($sub)
                    }
                }
                default { $Problems.Add((New-Problem $file $number "'$('#' * $level) $text': headings deeper than ### are not part of the format")) }
            }
            continue
        }

        $entry = [pscustomobject]@{ Number = $number; Text = $lines[$i].TrimEnd() }
        if ($null -ne $sub) { $sub.Lines.Add($entry) }
        elseif ($null -ne $section) { $section.Lines.Add($entry) }
        elseif ($line.Trim()) {
            $where = if ($null -eq $page.Title) { 'before the # title' } else { 'outside any ## section' }
            $Problems.Add((New-Problem $file $number "text $where"))
        }
    }
    if ($fence) { $Problems.Add((New-Problem $file $fence 'this code fence (```) is never closed')) }
    if ($null -eq $page.Title) { $Problems.Add((New-Problem $file 0 "no '# Verb-Noun' title")) }
    [pscustomobject]$page
}

# Prose lines -> paragraphs: blank lines separate, lines join, list items and fenced code keep their lines.
function ConvertTo-Paragraph {
    param([object[]] $Lines)

    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Text.StringBuilder]::new()
    $inCode = $false
    $flush = {
        if ($current.Length) { $paragraphs.Add($current.ToString()); [void]$current.Clear() }
    }
    foreach ($entry in $Lines) {
        $text = $entry.Text
        if ($text -match '^\s*```') {
            & $flush
            $inCode = -not $inCode
            continue
        }
        if ($inCode) {
            if ($current.Length) { [void]$current.Append("`n") }
            [void]$current.Append($text)
            continue
        }
        $trimmed = $text.Trim()
        if (-not $trimmed) { & $flush; continue }
        if ($current.Length) {
            [void]$current.Append(($trimmed -match '^([-*]|\d+\.)\s') ? "`n" : ' ')
        }
        [void]$current.Append($trimmed)
    }
    & $flush
    , $paragraphs.ToArray()
}

function Get-PageContent {
    param($Page, [System.Collections.Generic.List[string]] $Problems)

    $file = $Page.File
    foreach ($name in $RequiredSections) {
        if (-not $Page.Sections.Contains($name)) { $Problems.Add((New-Problem $file 0 "no '## $name' section")) }
    }
    $content = [ordered]@{ Synopsis = ''; Description = @(); Parameters = [ordered]@{}; Examples = @(); Notes = @() }

    foreach ($name in 'SYNOPSIS', 'DESCRIPTION', 'NOTES') {
        if (-not $Page.Sections.Contains($name)) { continue }
        $section = $Page.Sections[$name]
        $paragraphs = ConvertTo-Paragraph $section.Lines
        switch ($name) {
            'SYNOPSIS' {
                if (-not $paragraphs.Count) { $Problems.Add((New-Problem $file $section.Line 'the SYNOPSIS is empty')) }
                elseif ($paragraphs.Count -gt 1) { $Problems.Add((New-Problem $file $section.Line 'the SYNOPSIS must be one line (one paragraph)')) }
                else { $content.Synopsis = $paragraphs[0] }
            }
            'DESCRIPTION' {
                if (-not $paragraphs.Count) { $Problems.Add((New-Problem $file $section.Line 'the DESCRIPTION is empty')) }
                $content.Description = $paragraphs
            }
            'NOTES' { $content.Notes = $paragraphs }
        }
    }

    if ($Page.Sections.Contains('PARAMETERS')) {
        $section = $Page.Sections['PARAMETERS']
        if (@($section.Lines | Where-Object { $_.Text.Trim() }).Count) {
            $Problems.Add((New-Problem $file $section.Line "text under '## PARAMETERS' before the first '### -Name'"))
        }
        foreach ($sub in $section.Subsections) {
            if ($sub.Title -notmatch '^-([A-Za-z_][A-Za-z0-9_]*)$') {
                $Problems.Add((New-Problem $file $sub.Line "parameter heading '### $($sub.Title)' must be '### -ParameterName'"))
                continue
            }
            $parameterName = $Matches[1]
            if ($content.Parameters.Contains($parameterName)) {
                $Problems.Add((New-Problem $file $sub.Line "parameter -$parameterName is documented twice"))
                continue
            }
            $content.Parameters[$parameterName] = [pscustomobject]@{ Line = $sub.Line; Paragraphs = (ConvertTo-Paragraph $sub.Lines) }
        }
    }

    if ($Page.Sections.Contains('EXAMPLES')) {
        $section = $Page.Sections['EXAMPLES']
        if (@($section.Lines | Where-Object { $_.Text.Trim() }).Count) {
            $Problems.Add((New-Problem $file $section.Line "text under '## EXAMPLES' before the first '### Example 1: Title'"))
        }
        if (-not $section.Subsections.Count) {
            $Problems.Add((New-Problem $file $section.Line "no example; add '### Example 1: Title' with a fenced powershell code block"))
        }
        $examples = foreach ($sub in $section.Subsections) {
            $lines = @($sub.Lines)
            $start = 0
            while ($start -lt $lines.Count -and -not $lines[$start].Text.Trim()) { $start++ }
            if ($start -ge $lines.Count -or $lines[$start].Text -notmatch '^\s*```') {
                $Problems.Add((New-Problem $file $sub.Line "example '$($sub.Title)' must start with a fenced code block (``````powershell)"))
                continue
            }
            $end = $start + 1
            while ($end -lt $lines.Count -and $lines[$end].Text -notmatch '^\s*```') { $end++ }
            $code = @($lines[($start + 1)..($end - 1)] | Where-Object { $end -gt $start + 1 } | ForEach-Object Text)
            if (-not ($code -join '').Trim()) {
                $Problems.Add((New-Problem $file $sub.Line "example '$($sub.Title)' has an empty code block"))
                continue
            }
            $rest = if ($end + 1 -lt $lines.Count) { $lines[($end + 1)..($lines.Count - 1)] } else { @() }
            [pscustomobject]@{ Title = $sub.Title; Code = ($code -join "`n"); Remarks = (ConvertTo-Paragraph $rest) }
        }
        $content.Examples = @($examples)
    }
    [pscustomobject]$content
}

#endregion

#region Cmdlet metadata

function Get-TypeName([type] $Type, [switch] $Full) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $Type = $underlying }
    if ($Type.IsArray) { return (Get-TypeName $Type.GetElementType() -Full:$Full) + '[]' }
    if ($Type.IsGenericType) {
        $name = ($Full ? $Type.GetGenericTypeDefinition().FullName : $Type.Name) -replace '`\d+$'
        return "$name[$((($Type.GetGenericArguments() | ForEach-Object { Get-TypeName $_ -Full:$Full }) -join ', '))]"
    }
    $Full ? $Type.FullName : $Type.Name
}

function Format-DefaultValue($Value) {
    if ($null -eq $Value) { return 'None' }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return ([bool]$Value).ToString() }
    if ($Value -is [string]) { return $Value ? $Value : 'None' }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = @($Value | ForEach-Object { Format-DefaultValue $_ })
        return $items.Count ? ($items -join ', ') : 'None'
    }
    if ($Value -is [IFormattable]) { return $Value.ToString($null, [cultureinfo]::InvariantCulture) }
    "$Value"
}

# One record per documented parameter: merged over the cmdlet's parameter sets.
function Get-CmdletParameter {
    param([System.Management.Automation.CommandInfo] $Command)

    $instance = $null
    if ($Command -is [System.Management.Automation.CmdletInfo]) {
        try { $instance = [Activator]::CreateInstance($Command.ImplementingType) } catch { $instance = $null }
    }
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    foreach ($parameter in $Command.Parameters.Values) {
        if ($parameter.Name -in $common -and $parameter.Name -notin $ShouldProcessText.Keys) { continue }
        $sets = @($parameter.ParameterSets.Values)
        $mandatory = @($sets | Where-Object IsMandatory).Count -eq $sets.Count
        $positions = @($sets | Where-Object { $_.Position -ge 0 } | ForEach-Object Position | Select-Object -Unique)
        $byValue = [bool]@($sets | Where-Object ValueFromPipeline).Count
        $byName = [bool]@($sets | Where-Object ValueFromPipelineByPropertyName).Count
        $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' }
        elseif ($byValue) { 'True (ByValue)' }
        elseif ($byName) { 'True (ByPropertyName)' }
        else { 'False' }
        $default = 'None'
        if ($parameter.SwitchParameter) { $default = 'False' }
        elseif (-not $mandatory -and $instance) {
            $property = $Command.ImplementingType.GetProperty($parameter.Name)
            if ($property) { $default = Format-DefaultValue $property.GetValue($instance) }
        }
        [pscustomobject]@{
            Name         = $parameter.Name
            Type         = $parameter.ParameterType
            TypeName     = Get-TypeName $parameter.ParameterType
            FullTypeName = Get-TypeName $parameter.ParameterType -Full
            IsSwitch     = $parameter.SwitchParameter
            Mandatory    = $mandatory
            Position     = $positions.Count -eq 1 ? "$($positions[0])" : 'named'
            Pipeline     = $pipeline
            ByValue      = $byValue
            ByName       = $byName
            Aliases      = @($parameter.Aliases)
            Default      = $default
            Globbing     = [bool]@($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count
        }
    }
}

#endregion

#region MAML

$ns = @{
    msh     = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}

function Write-Element([System.Xml.XmlWriter] $W, [string] $Qualified, [string] $Text) {
    $prefix, $local = $Qualified -split ':', 2
    $W.WriteElementString($prefix, $local, $ns[$prefix], $Text)
}

function Start-Element([System.Xml.XmlWriter] $W, [string] $Qualified, [hashtable] $Attributes = @{}) {
    $prefix, $local = $Qualified -split ':', 2
    $W.WriteStartElement($prefix, $local, $ns[$prefix])
    foreach ($key in $Attributes.Keys | Sort-Object) { $W.WriteAttributeString($key, $Attributes[$key]) }
}

function Write-Description([System.Xml.XmlWriter] $W, [string[]] $Paragraphs, [string] $Element = 'maml:description') {
    Start-Element $W $Element
    foreach ($p in $Paragraphs) { Write-Element $W 'maml:para' $p }
    if (-not $Paragraphs) { Write-Element $W 'maml:para' '' }
    $W.WriteEndElement()
}

function Write-Parameter([System.Xml.XmlWriter] $W, $Parameter, [string[]] $Description, [switch] $InSyntax, $SetMetadata) {
    $required = $SetMetadata ? $SetMetadata.IsMandatory : $Parameter.Mandatory
    $position = $SetMetadata ? ($SetMetadata.Position -ge 0 ? "$($SetMetadata.Position)" : 'named') : $Parameter.Position
    Start-Element $W 'command:parameter' @{
        required       = "$required".ToLowerInvariant()
        variableLength = "$($Parameter.Type.IsArray)".ToLowerInvariant()
        globbing       = "$($Parameter.Globbing)".ToLowerInvariant()
        pipelineInput  = $Parameter.Pipeline
        position       = $position
        aliases        = $Parameter.Aliases.Count ? ($Parameter.Aliases -join ', ') : 'none'
    }
    Write-Element $W 'maml:name' $Parameter.Name
    Write-Description $W $Description
    if (-not ($InSyntax -and $Parameter.IsSwitch)) {
        Start-Element $W 'command:parameterValue' @{ required = "$(-not $Parameter.IsSwitch)".ToLowerInvariant(); variableLength = "$($Parameter.Type.IsArray)".ToLowerInvariant() }
        $W.WriteString($Parameter.TypeName)
        $W.WriteEndElement()
    }
    Start-Element $W 'dev:type'
    Write-Element $W 'maml:name' $Parameter.FullTypeName
    Write-Element $W 'maml:uri' ''
    $W.WriteEndElement()
    Write-Element $W 'dev:defaultValue' $Parameter.Default
    $W.WriteEndElement()
}

function Write-CommandHelp([System.Xml.XmlWriter] $W, [System.Management.Automation.CommandInfo] $Command, $Content, [object[]] $Parameters, [bool] $LinkAbout) {
    Start-Element $W 'command:command'
    foreach ($prefix in 'maml', 'command', 'dev', 'MSHelp') { $W.WriteAttributeString('xmlns', $prefix, $null, $ns[$prefix]) }

    Start-Element $W 'command:details'
    Write-Element $W 'command:name' $Command.Name
    Write-Element $W 'command:verb' $Command.Verb
    Write-Element $W 'command:noun' $Command.Noun
    Write-Description $W @($Content.Synopsis)
    $W.WriteEndElement()

    Write-Description $W $Content.Description

    $describe = {
        param($p)
        if ($Content.Parameters.Contains($p.Name)) { $Content.Parameters[$p.Name].Paragraphs } else { @($ShouldProcessText[$p.Name]) }
    }
    $byName = @{}
    foreach ($p in $Parameters) { $byName[$p.Name] = $p }

    Start-Element $W 'command:syntax'
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault })
    foreach ($set in $sets) {
        Start-Element $W 'command:syntaxItem'
        Write-Element $W 'maml:name' $Command.Name
        $inSet = @($set.Parameters | Where-Object { $byName.ContainsKey($_.Name) })
        $ordered = @($inSet | Where-Object Position -GE 0 | Sort-Object Position) + @($inSet | Where-Object Position -LT 0)
        foreach ($sp in $ordered) { Write-Parameter $W $byName[$sp.Name] (& $describe $byName[$sp.Name]) -InSyntax -SetMetadata $sp }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    Start-Element $W 'command:parameters'
    foreach ($p in $Parameters) { Write-Parameter $W $p (& $describe $p) }
    $W.WriteEndElement()

    Start-Element $W 'command:inputTypes'
    $inputs = @($Parameters | Where-Object { $_.ByValue -or $_.ByName })
    if (-not $inputs) {
        Start-Element $W 'command:inputType'
        Start-Element $W 'dev:type'; Write-Element $W 'maml:name' 'None'; $W.WriteEndElement()
        Write-Description $W @('This cmdlet takes no pipeline input.')
        $W.WriteEndElement()
    }
    foreach ($p in @($inputs | Where-Object ByValue)) {
        # The pipeline enumerates collections, so an array parameter takes its elements one by one.
        $element = $p.Type.IsArray ? $p.Type.GetElementType() : $p.Type
        Start-Element $W 'command:inputType'
        Start-Element $W 'dev:type'; Write-Element $W 'maml:name' (Get-TypeName $element -Full); $W.WriteEndElement()
        Write-Description $W @("You can pipe $(Get-TypeName $element) objects to -$($p.Name).")
        $W.WriteEndElement()
    }
    $named = @($inputs | Where-Object ByName)
    if ($named) {
        $names = ($named | ForEach-Object { (@($_.Name) + $_.Aliases) -join '/' }) -join ', '
        Start-Element $W 'command:inputType'
        Start-Element $W 'dev:type'; Write-Element $W 'maml:name' 'System.Management.Automation.PSObject'; $W.WriteEndElement()
        Write-Description $W @("You can pipe objects with these properties, which bind by property name: $names.")
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    Start-Element $W 'command:returnValues'
    foreach ($output in $Command.OutputType) {
        Start-Element $W 'command:returnValue'
        Start-Element $W 'dev:type'; Write-Element $W 'maml:name' ($output.Type ? (Get-TypeName $output.Type -Full) : $output.Name); $W.WriteEndElement()
        Write-Description $W @()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    if ($Content.Notes) {
        Start-Element $W 'maml:alertSet'
        Start-Element $W 'maml:alert'
        foreach ($p in $Content.Notes) { Write-Element $W 'maml:para' $p }
        $W.WriteEndElement()
        $W.WriteEndElement()
    }

    Start-Element $W 'command:examples'
    foreach ($example in $Content.Examples) {
        Start-Element $W 'command:example'
        Write-Element $W 'maml:title' "-------------------------- $($example.Title) --------------------------"
        Write-Element $W 'dev:code' $example.Code
        Write-Description $W (@($example.Remarks) + '') 'dev:remarks'   # the empty paragraph separates examples
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    Start-Element $W 'command:relatedLinks'
    if ($LinkAbout) {
        Start-Element $W 'maml:navigationLink'
        Write-Element $W 'maml:linkText' 'about_FedPS'
        Write-Element $W 'maml:uri' ''
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

#endregion

$problems = [System.Collections.Generic.List[string]]::new()
$fail = {
    foreach ($problem in $problems) { [Console]::Error.WriteLine("New-FedHelp: $problem") }
    [Console]::Error.WriteLine("New-FedHelp: $($problems.Count) problem(s) in the cmdlet help pages; no help was written. The page format is described at the top of build/New-FedHelp.ps1.")
    exit 1
}

$manifest = @(Get-ChildItem -LiteralPath $ModulePath -Filter '*.psd1' -File)
if ($manifest.Count -ne 1) { $problems.Add("${ModulePath}: expected one module manifest (*.psd1), found $($manifest.Count)"); & $fail }
if (-not (Test-Path -LiteralPath $SourcePath -PathType Container)) { $problems.Add("${SourcePath}: the folder of cmdlet help pages does not exist"); & $fail }

$module = Import-Module $manifest[0].FullName -PassThru -Force
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
$pages = @{}
foreach ($file in Get-ChildItem -LiteralPath $SourcePath -Filter '*.md' -File) { $pages[$file.BaseName] = $file }

foreach ($name in $pages.Keys | Sort-Object) {
    if ($name -cnotin $commands.Name) {
        $problems.Add("$($pages[$name].FullName): no exported cmdlet is named '$name' (a page per exported cmdlet, named exactly <Verb-Noun>.md)")
    }
}

$aboutPath = Join-Path $ModulePath $Culture 'about_FedPS.help.txt'
$helpFiles = @{}
foreach ($command in $commands) {
    if (-not $pages.ContainsKey($command.Name)) {
        $problems.Add("$(Join-Path (Resolve-Path -LiteralPath $SourcePath) "$($command.Name).md"): missing; every exported cmdlet needs a help page (cmdlet $($command.Name))")
        continue
    }
    $page = Read-HelpPage $pages[$command.Name].FullName $problems
    $file = $page.File
    if ($null -ne $page.Title -and $page.Title -cne $command.Name) {
        $problems.Add((New-Problem $file 1 "the title '# $($page.Title)' must be '# $($command.Name)'"))
    }
    $content = Get-PageContent $page $problems
    $parameters = @(Get-CmdletParameter $command)

    foreach ($p in $parameters) {
        if ($p.Name -in $ShouldProcessText.Keys) { continue }
        if (-not $content.Parameters.Contains($p.Name)) {
            $problems.Add((New-Problem $file 0 "parameter -$($p.Name) of $($command.Name) has no description (add '### -$($p.Name)' under '## PARAMETERS')"))
        }
        elseif (-not $content.Parameters[$p.Name].Paragraphs.Count) {
            $problems.Add((New-Problem $file $content.Parameters[$p.Name].Line "parameter -$($p.Name) has an empty description"))
        }
    }
    foreach ($documented in $content.Parameters.Keys) {
        $entry = $content.Parameters[$documented]
        $match = $parameters | Where-Object Name -EQ $documented
        if ($match -and $match.Name -cne $documented) {
            $problems.Add((New-Problem $file $entry.Line "write '### -$($match.Name)' (the cmdlet's spelling), not '### -$documented'"))
        }
        elseif (-not $match) {
            $owner = $parameters | Where-Object { $_.Aliases -contains $documented }
            $why = if ($owner) { "-$documented is an alias of -$($owner.Name); document it as '### -$($owner.Name)'" }
            elseif ($documented -in [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters) { "-$documented is a common parameter; do not document it" }
            else { "documents -$documented, but $($command.Name) has no such parameter (its parameters: $((@($parameters.Name) | ForEach-Object { "-$_" }) -join ', '))" }
            $problems.Add((New-Problem $file $entry.Line $why))
        }
    }

    $helpFile = $command.HelpFile ? $command.HelpFile : "$($module.Name)-Help.xml"
    if (-not $helpFiles.ContainsKey($helpFile)) { $helpFiles[$helpFile] = [System.Collections.Generic.List[object]]::new() }
    $helpFiles[$helpFile].Add([pscustomobject]@{ Command = $command; Content = $content; Parameters = $parameters })
}

if ($problems.Count) { & $fail }

$folder = $OutputPath ? $OutputPath : (Join-Path $ModulePath $Culture)
New-Item -ItemType Directory -Force $folder | Out-Null
foreach ($helpFile in $helpFiles.Keys) {
    $path = Join-Path $folder $helpFile
    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $writer = [System.Xml.XmlWriter]::Create($path, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $ns.msh)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($item in $helpFiles[$helpFile]) {
            Write-CommandHelp $writer $item.Command $item.Content $item.Parameters (Test-Path -LiteralPath $aboutPath)
        }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }
    [xml] $check = Get-Content -LiteralPath $path -Raw   # fails loudly if the file is not well-formed
    Write-Host "Wrote help for $($helpFiles[$helpFile].Count) cmdlet(s) to $path"
}
