# bench/pwsh-bench.ps1 - PowerShell remoting over ssh (the .NET world's own remote execution) on the
# private sshd of bench/loopback-sshd, measured with the keys Econtext's bench uses, so compare.py can
# print it beside Econtext, Mitogen and Ansible. bench/run runs it with the pwsh it installed (the
# PowerShell dotnet tool), against an sshd started with PEERS_PWSH, which gives that sshd a
# `Subsystem powershell <pwsh> -sshs -nologo` line.
#
# ssh: PowerShell starts `ssh ... -s HOST powershell` from PATH and has no option for a config file
# (-Options only adds `-o` pairs, and ssh refuses Include there), so this script puts a one-line `ssh`
# first on PATH that execs the real ssh with `-F $PEERS_SSH_CONFIG`: the same port, key, known_hosts,
# BatchMode and host aliases every other tool uses.
#
# Measures (Stopwatch around each operation; a warm-up connect and call first, so this process's JIT
# is not counted, as Econtext's bench also warms up):
#   ssh_connect_first_call  the better (by median, "used" says which) of two ways, alternating run by
#                           run, -Connects of each: `Invoke-Command -HostName peer { 1 }` (connect, open
#                           the remote runspace, one call, close: what a script writes), and
#                           `New-PSSession` + `Invoke-Command -Session { 1 }` with Remove-PSSession not
#                           counted (as Econtext's own row does not count the context's shutdown)
#   ssh.call_rtt            one call on an open PSSession, the cheaper (by median) of two ways, "used"
#                           says which: powershell_invoke_rtt, one [powershell] object on the session's
#                           runspace, AddScript('1') once, then Invoke() per call; invoke_command_rtt,
#                           `Invoke-Command -Session $s { 1 }`, what a script writes. The two alternate
#                           call by call, -Calls of each (median, p90, p99 in us)
#   ssh_fanout              -Fanout host aliases (peer-1..N) at once: a runspace on SSHConnectionInfo for
#                           each (New-PSSession -HostName opens several hosts one by one, and has no
#                           -ThrottleLimit for ssh), OpenAsync() on all, then a call on each; wall ms,
#                           closing not counted (as in Econtext's fan-out); and `Invoke-Command -HostName
#                           (all) { 1 }` (connects, calls and closes, in parallel) as a script would;
#                           connect_and_call_median_ms is the better of the two, "used" says which
#   child_*                 the remote pwsh (-sshs) of the open session: $PID inside it; VmHWM from
#                           /proc/PID/status, private (Private_Clean + Private_Dirty) and shared from
#                           /proc/PID/smaps_rollup, read by a call on that session after the calls
#   ssh.file_push/fetch     with -FileMib N > 0: Copy-Item -ToSession / -FromSession of an N MiB random
#                           file (MiB/s), then the child's memory again
# stdout: one JSON line; stderr: progress.
param(
    [int]$Connects = 10,
    [int]$Calls = 5000,
    [int]$Fanout = 20,
    [int]$FileMib = 0
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

function Say([string]$text) { [Console]::Error.WriteLine("pwsh-bench: $text") }
function Median([double[]]$v) {
    $s = [double[]]($v | Sort-Object)
    $n = $s.Count
    if ($n % 2) { $s[($n - 1) / 2] } else { ($s[$n / 2 - 1] + $s[$n / 2]) / 2 }
}
function Percentile([double[]]$v, [double]$p) {
    $s = [double[]]($v | Sort-Object)
    $s[[Math]::Min($s.Count - 1, [int][Math]::Ceiling($p / 100 * $s.Count) - 1)]
}
function Round1([double]$v, [int]$digits = 1) { [Math]::Round($v, $digits) }

$config = $env:PEERS_SSH_CONFIG
$hostName = if ($env:PEERS_HOST) { $env:PEERS_HOST } else { 'peer' }
if (-not $config -or -not (Test-Path $config)) {
    throw 'pwsh-bench: PEERS_SSH_CONFIG does not name an ssh config; run this from bench/run, or after eval "$(bench/loopback-sshd up)" with PEERS_PWSH set'
}
$realSsh = (Get-Command ssh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
if (-not $realSsh) { throw 'pwsh-bench: no ssh client on PATH (Debian: apt-get install -y openssh-client)' }
$shimDir = Join-Path ([IO.Path]::GetTempPath()) "econtext-pwsh-bench.$PID"
New-Item -ItemType Directory -Path $shimDir -Force | Out-Null
Set-Content -Path "$shimDir/ssh" -Value "#!/bin/sh`nexec '$realSsh' -F '$config' `"`$@`"`n" -NoNewline
chmod 755 "$shimDir/ssh"
$env:PATH = "$shimDir$([IO.Path]::PathSeparator)$env:PATH"

# What the remote pwsh holds, read inside it (the session's process is $PID there).
$memoryProbe = {
    $m = [ordered]@{ pid = $PID }
    foreach ($line in [IO.File]::ReadAllLines("/proc/$PID/status")) {
        if ($line -match '^(VmHWM|VmRSS):\s+(\d+) kB') { $m[$Matches[1]] = [long]$Matches[2] }
    }
    foreach ($line in [IO.File]::ReadAllLines("/proc/$PID/smaps_rollup")) {
        if ($line -match '^(Rss|Pss|Shared_Clean|Shared_Dirty|Private_Clean|Private_Dirty|Anonymous):\s+(\d+) kB') {
            $m[$Matches[1].ToLowerInvariant()] = [long]$Matches[2]
        }
    }
    $m['private'] = $m['private_clean'] + $m['private_dirty']
    $m
}
function Memory($session) {
    $r = Invoke-Command -Session $session -ScriptBlock $memoryProbe
    $o = [ordered]@{}
    foreach ($k in 'pid', 'VmHWM', 'VmRSS', 'rss', 'pss', 'private', 'private_clean', 'private_dirty', 'shared_clean', 'shared_dirty', 'anonymous') { $o[$k] = $r.$k }
    $o
}

$result = [ordered]@{ version = "PowerShell $($PSVersionTable.PSVersion) remoting over ssh"; pwsh_version = "$($PSVersionTable.PSVersion)" }
try {
    Say "warm-up connect to $hostName"
    Invoke-Command -HostName $hostName -ScriptBlock { 1 } | Out-Null

    $connectMs = [Collections.Generic.List[double]]::new()
    $sessionMs = [Collections.Generic.List[double]]::new()
    for ($i = 0; $i -lt $Connects; $i++) {
        $w = [Diagnostics.Stopwatch]::StartNew()
        $one = Invoke-Command -HostName $hostName -ScriptBlock { 1 }
        $connectMs.Add($w.Elapsed.TotalMilliseconds)
        if ($one -ne 1) { throw "Invoke-Command -HostName $hostName { 1 } answered '$one'" }
        $w = [Diagnostics.Stopwatch]::StartNew()
        $s1 = New-PSSession -HostName $hostName
        $one = Invoke-Command -Session $s1 -ScriptBlock { 1 }
        $sessionMs.Add($w.Elapsed.TotalMilliseconds)
        Remove-PSSession $s1
        if ($one -ne 1) { throw "New-PSSession -HostName $hostName, Invoke-Command { 1 } answered '$one'" }
    }
    $icMedian = Median $connectMs
    $sessionMedian = Median $sessionMs
    $result.ssh_connect_first_call = [ordered]@{
        median_ms = Round1 ([Math]::Min($icMedian, $sessionMedian))
        used = if ($icMedian -le $sessionMedian) { 'invoke_command_hostname' } else { 'new_pssession' }
        invoke_command_hostname = [ordered]@{
            median_ms = Round1 $icMedian
            runs_ms = @($connectMs | ForEach-Object { Round1 $_ })
            how = 'Invoke-Command -HostName { 1 }: ssh connect, remote pwsh -sshs start, runspace open, one call, close'
        }
        new_pssession = [ordered]@{
            median_ms = Round1 $sessionMedian
            runs_ms = @($sessionMs | ForEach-Object { Round1 $_ })
            how = 'New-PSSession -HostName, then Invoke-Command -Session { 1 }; Remove-PSSession not counted'
        }
    }
    Say "connect + first call: median $(Round1 $icMedian) ms (Invoke-Command -HostName), $(Round1 $sessionMedian) ms (New-PSSession + Invoke-Command -Session), $Connects of each"

    $s = New-PSSession -HostName $hostName
    $warm = [Math]::Min(500, $Calls)
    $ps = [powershell]::Create()
    $ps.Runspace = $s.Runspace
    [void]$ps.AddScript('1')
    for ($i = 0; $i -lt $warm; $i++) { [void]$ps.Invoke(); $null = Invoke-Command -Session $s -ScriptBlock { 1 } }
    # The two ways alternate call by call, so a busy moment of the machine falls on both alike.
    $rtt = [double[]]::new($Calls)
    $ic = [double[]]::new($Calls)
    for ($i = 0; $i -lt $Calls; $i++) {
        $w = [Diagnostics.Stopwatch]::StartNew()
        [void]$ps.Invoke()
        $rtt[$i] = $w.Elapsed.TotalMicroseconds
        $w = [Diagnostics.Stopwatch]::StartNew()
        $null = Invoke-Command -Session $s -ScriptBlock { 1 }
        $ic[$i] = $w.Elapsed.TotalMicroseconds
    }
    $ps.Dispose()
    $direct = [ordered]@{
        median_us = Round1 (Median $rtt); p90_us = Round1 (Percentile $rtt 90); p99_us = Round1 (Percentile $rtt 99); n = $Calls
        how = "[powershell] on the PSSession's runspace, AddScript('1') once, Invoke() per call"
    }
    $viaCmdlet = [ordered]@{
        median_us = Round1 (Median $ic); p90_us = Round1 (Percentile $ic 90); p99_us = Round1 (Percentile $ic 99); n = $Calls
        how = 'Invoke-Command -Session $s { 1 }'
    }
    # PowerShell's cheaper way stands in the table; both are kept, and they alternated call by call.
    $cheaper = if ($direct.median_us -le $viaCmdlet.median_us) { 'powershell_invoke_rtt' } else { 'invoke_command_rtt' }
    $best = if ($cheaper -eq 'powershell_invoke_rtt') { $direct } else { $viaCmdlet }
    $result.ssh = [ordered]@{
        call_rtt = [ordered]@{ median_us = $best.median_us; p90_us = $best.p90_us; p99_us = $best.p99_us; n = $Calls; used = $cheaper }
        powershell_invoke_rtt = $direct
        invoke_command_rtt = $viaCmdlet
    }
    Say "round trip: median $($direct.median_us) us ([powershell].Invoke), $($viaCmdlet.median_us) us (Invoke-Command -Session)"
    $result.child_mem_kib = [ordered]@{ after_calls = Memory $s }
    $result.child_peak_rss_kib = $result.child_mem_kib.after_calls.VmHWM
    $result.child_private_kib = $result.child_mem_kib.after_calls.private

    if ($FileMib -gt 0) {
        $src = Join-Path ([IO.Path]::GetTempPath()) "econtext-pwsh-bench-push.$PID.bin"
        $dst = "$src.copy"
        $back = "$src.back"
        $chunk = [byte[]]::new(1MB)
        $f = [IO.File]::Create($src)
        try { for ($i = 0; $i -lt $FileMib; $i++) { [Random]::Shared.NextBytes($chunk); $f.Write($chunk, 0, $chunk.Length) } } finally { $f.Dispose() }
        try {
            $w = [Diagnostics.Stopwatch]::StartNew()
            Copy-Item -Path $src -Destination $dst -ToSession $s
            $pushS = $w.Elapsed.TotalSeconds
            $w = [Diagnostics.Stopwatch]::StartNew()
            Copy-Item -Path $dst -Destination $back -FromSession $s
            $fetchS = $w.Elapsed.TotalSeconds
            if ((Get-Item $back).Length -ne $FileMib * 1MB) { throw "Copy-Item -FromSession brought back $((Get-Item $back).Length) bytes of $($FileMib * 1MB)" }
        } finally {
            Remove-Item -Force -ErrorAction SilentlyContinue $src, $dst, $back
        }
        $result.ssh.file_push = [ordered]@{ mib_per_s = Round1 ($FileMib / $pushS); mib = $FileMib; how = 'Copy-Item -ToSession' }
        $result.ssh.file_fetch = [ordered]@{ mib_per_s = Round1 ($FileMib / $fetchS); mib = $FileMib; how = 'Copy-Item -FromSession' }
        $result.child_mem_kib.after_transfers = Memory $s
        Say "file: push $($result.ssh.file_push.mib_per_s) MiB/s, fetch $($result.ssh.file_fetch.mib_per_s) MiB/s ($FileMib MiB)"
    }
    Remove-PSSession $s

    if ($Fanout -gt 0) {
        $hosts = 1..$Fanout | ForEach-Object { "$hostName-$_" }
        # New-PSSession -HostName with several hosts opens them one after the other (and has no
        # -ThrottleLimit for ssh), so the sessions are opened the way it does each one, but all at
        # once: a runspace per host on an SSHConnectionInfo, OpenAsync() on all, then a call on each.
        $w = [Diagnostics.Stopwatch]::StartNew()
        $runspaces = foreach ($h in $hosts) {
            $rs = [runspacefactory]::CreateRunspace([Management.Automation.Runspaces.SSHConnectionInfo]::new($null, $h, $null))
            $rs.OpenAsync()
            $rs
        }
        while (@($runspaces | Where-Object { $_.RunspaceStateInfo.State -eq 'Opening' -or $_.RunspaceStateInfo.State -eq 'BeforeOpen' }).Count) { Start-Sleep -Milliseconds 2 }
        $pending = foreach ($rs in $runspaces) {
            if ($rs.RunspaceStateInfo.State -ne 'Opened') { throw "the session to $($rs.ConnectionInfo.ComputerName) did not open: $($rs.RunspaceStateInfo.Reason)" }
            $p = [powershell]::Create(); $p.Runspace = $rs; [void]$p.AddScript('1')
            [pscustomobject]@{ ps = $p; handle = $p.BeginInvoke() }
        }
        $got = 0
        foreach ($c in $pending) { $got += @($c.ps.EndInvoke($c.handle)).Count; $c.ps.Dispose() }
        $fanMs = $w.Elapsed.TotalMilliseconds
        foreach ($rs in $runspaces) { $rs.Dispose() }
        if ($got -ne $Fanout) { throw "$($Fanout - $got) of $Fanout sessions did not answer the fan-out call" }
        # What a script writes for the same: connect, call and close each, PowerShell's own throttle (32).
        $w = [Diagnostics.Stopwatch]::StartNew()
        $answers = Invoke-Command -HostName $hosts -ScriptBlock { 1 }
        $icFanMs = $w.Elapsed.TotalMilliseconds
        if (@($answers).Count -ne $Fanout) { throw "$($Fanout - @($answers).Count) of $Fanout hosts did not answer Invoke-Command -HostName (all) { 1 }" }
        $result.ssh_fanout = [ordered]@{
            contexts = $Fanout
            # PowerShell's better figure of the two stands in the table; both are kept.
            connect_and_call_median_ms = Round1 ([Math]::Min($fanMs, $icFanMs))
            used = if ($fanMs -le $icFanMs) { 'runspaces_ms' } else { 'invoke_command_hostname_ms' }
            runspaces_ms = Round1 $fanMs
            runspaces_how = "a runspace per host alias $hostName-1..$Fanout on SSHConnectionInfo (what New-PSSession -HostName opens, but all at once: New-PSSession opens several one by one), OpenAsync() on all, then one call on each; closing not counted"
            invoke_command_hostname_ms = Round1 $icFanMs
            invoke_command_hostname_how = 'Invoke-Command -HostName (all) { 1 }: connect, call and close each, in parallel (default throttle 32)'
        }
        Say "fan-out: $Fanout sessions opened at once + a call each: $($result.ssh_fanout.runspaces_ms) ms; Invoke-Command -HostName (all): $($result.ssh_fanout.invoke_command_hostname_ms) ms"
    }
} finally {
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $shimDir
}
[Console]::Out.WriteLine(($result | ConvertTo-Json -Compress -Depth 8))
