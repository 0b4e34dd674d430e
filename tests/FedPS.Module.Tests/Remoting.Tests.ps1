#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Invoke-Command distribution over PowerShell remoting on SSH, against a private sshd this test starts on the
# loopback address only (its own config, host key, client key and port) and stops afterwards. Skipped where no
# OpenSSH server is installed (apt-get install openssh-server); nothing else on the machine is touched.
BeforeDiscovery {
    $noSsh = -not ($IsLinux -and (Test-Path /usr/sbin/sshd) -and (Get-Command ssh, ssh-keygen -ErrorAction Ignore))
}

Describe 'A sweep fanned out with Invoke-Command over SSH (localhost)' -Skip:$noSsh {
    BeforeAll {
        $modulePath = (Resolve-Path ($env:FEDPS_MODULE ?? (Join-Path $PSScriptRoot '../../out/FedPS/FedPS.psd1'))).Path
        Import-Module $modulePath -Force
        $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "fedps-ssh-$([guid]::NewGuid())")).FullName
        & ssh-keygen -q -t ed25519 -N '' -f "$folder/host_ed25519"
        & ssh-keygen -q -t ed25519 -N '' -f "$folder/id_ed25519"
        Copy-Item "$folder/id_ed25519.pub" "$folder/authorized_keys"
        # The remote end is this same pwsh (as a .NET tool or an executable) in server mode.
        $pwsh = [Environment]::ProcessPath
        $launch = if ((Split-Path $pwsh -LeafBase) -eq 'dotnet') { "'$pwsh' '$PSHOME/pwsh.dll'" } else { "'$pwsh'" }
        Set-Content "$folder/pwsh-sshs.sh" "#!/bin/sh`nexec $launch -sshs -NoLogo -NoProfile`n"
        [IO.File]::SetUnixFileMode("$folder/pwsh-sshs.sh", [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $listener.Start()
        $port = $listener.LocalEndpoint.Port; $listener.Stop()
        Set-Content "$folder/sshd_config" @"
ListenAddress 127.0.0.1
Port $port
HostKey $folder/host_ed25519
PidFile $folder/sshd.pid
AuthorizedKeysFile $folder/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem powershell $folder/pwsh-sshs.sh
"@
        New-Item -ItemType Directory /run/sshd -Force | Out-Null  # sshd's privilege-separation folder
        $sshd = Start-Process /usr/sbin/sshd -ArgumentList '-D', '-e', '-f', "$folder/sshd_config" -PassThru -RedirectStandardError "$folder/sshd.log"
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            Start-Sleep -Milliseconds 200
            $client = [Net.Sockets.TcpClient]::new()
            $up = try { $client.Connect('127.0.0.1', $port); $true } catch { $false } finally { $client.Dispose() }
        } until ($up -or $sshd.HasExited -or [DateTime]::UtcNow -gt $deadline)
        $sessions = 1..2 | ForEach-Object {
            New-PSSession -HostName 127.0.0.1 -Port $port -UserName ([Environment]::UserName) -KeyFilePath "$folder/id_ed25519" `
                -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }
        }
    }
    AfterAll {
        $sessions | Remove-PSSession -ErrorAction Ignore
        if ($sshd -and -not $sshd.HasExited) { Stop-Process -Id $sshd.Id }
        Remove-Item $folder -Recurse -Force -ErrorAction Ignore
    }

    It 'two remote sessions write every run of the sweep into one store' {
        $yaml = Join-Path $folder 'remote.yaml'
        Set-Content $yaml "name: remote`ndataset: digits`nclients: 3`nrounds: 2`nmodel: { hiddenSizes: [16] }`nsweep: { optimizer.learningRate: [0.05, 0.1] }`nseeds: [1, 2]`n"
        $db = Join-Path $folder 'remote.sqlite'

        $out = & (Join-Path $PSScriptRoot '../../examples/distribute-sweep.ps1') -Config $yaml -Database $db -Session $sessions -ModulePath $modulePath

        $out | Should -HaveCount 4
        ($out.PSComputerName | Select-Object -Unique) | Should -Be '127.0.0.1'
        $runs = Get-FedRun $db
        $runs.Status | Should -Be @('complete', 'complete', 'complete', 'complete')
        ($runs.Name | Sort-Object) | Should -Be ((Get-FedExperimentPlan $yaml).Name | Sort-Object)
        ($runs.Rounds | Measure-Object).Count | Should -Be 8
    }
}
