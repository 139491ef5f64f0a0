#!/usr/bin/python3
# compare.py - merge Econtext's bench JSON with the peers' (mitogen-bench.py, ansible-bench.sh) into
# one JSON line with the keys of issue 7 (econtext at the top level, peers under "mitogen." and
# "ansible."), and print a side-by-side table to stderr. The newest Mitogen (bench/run's MITOGEN_SRC)
# goes under "mitogen_new." with the same keys as "mitogen." (Debian's 0.3.3), and the ratios the
# issue-22 targets take against it under "vs_mitogen_new." (econtext) and "mitogen.vs_mitogen_new.".
# usage: compare.py ECONTEXT_JSON [MITOGEN_JSON] [ANSIBLE_JSON (from bench/ansible-bench.sh)] [WHY_NO_ANSIBLE]
# PowerShell remoting over ssh (bench/pwsh-bench.ps1) goes under "pwsh." and gets the last column.
#                   [--peer mitogen_new=JSON] [--note mitogen_new=WHY_EMPTY] [--peer pwsh=JSON] [--note pwsh=WHY_EMPTY]
import json
import sys


def load(path):
    if not path:
        return None
    try:
        with open(path) as f:
            lines = f.read().strip().splitlines()
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def get(d, dotted):
    for part in dotted.split('.'):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


# Positional arguments as before; --peer NAME=JSON and --note NAME=WHY for the peers added since.
positional, peer_paths, peer_notes = [], {}, {}
argv = sys.argv[1:]
while argv:
    a = argv.pop(0)
    if a in ('--peer', '--note') and argv:
        name, _, value = argv.pop(0).partition('=')
        (peer_paths if a == '--peer' else peer_notes)[name] = value
    else:
        positional.append(a)
positional += [''] * (4 - len(positional))
econtext = load(positional[0])
mitogen = load(positional[1])
ansible = load(positional[2])
mitogen_new = load(peer_paths.get('mitogen_new'))
pwsh = load(peer_paths.get('pwsh'))
# why the ansible column is empty (bench/run passes it as the 4th argument), printed under the table
ansible_note = positional[3]
out = dict(econtext)


def mitogen_figures(raw):
    """The figures of one mitogen-bench.py run under the keys of issue 7 (the same for either version).
    Memory: the local context's child, as Econtext's child_peak_rss_kib; *_rss_kib is VmRSS (resident at
    that moment, as Econtext's), *_private_kib the USS (smaps_rollup Private_Clean + Private_Dirty) at that moment."""
    ssh = lambda key: get(raw, 'ssh_compression_off.' + key) or get(raw, 'ssh.' + key)
    return {
        'version': raw.get('mitogen_version'),
        'commit': raw.get('mitogen_commit'),
        'local_connect_first_call': {'median_ms': get(raw, 'local_connect_first_call.median_ms')},
        'local': {'call_rtt': get(raw, 'local.call_rtt'), 'send_1mib_msgs': get(raw, 'local.send_1mib_msgs')},
        'ssh_connect_first_call': {'median_ms': get(raw, 'ssh_connect_first_call.median_ms')},
        'ssh': {'call_rtt': ssh('call_rtt'), 'send_1mib_msgs': ssh('send_1mib_msgs'),
                'file_push': ssh('file_service'), 'file_fetch': ssh('file_fetch')},
        'big_file': get(raw, 'big_file'),
        'ssh_fanout': get(raw, 'ssh_fanout'),
        'child_peak_rss_kib': get(raw, 'local.child_mem_after_boot_kib.VmHWM'),
        'child_idle_rss_kib': get(raw, 'local.child_mem_idle_kib.VmRSS'),
        'child_idle_private_kib': get(raw, 'local.child_mem_idle_kib.private'),
        'child_after_files_rss_kib': get(raw, 'local.child_mem_after_files_kib.VmRSS'),
        'child_after_files_private_kib': get(raw, 'local.child_mem_after_files_kib.private'),
        'master_peak_rss_kib': get(raw, 'parent_mem_kib.VmHWM'),
        'rounds': raw.get('rounds', 1),
    }


if mitogen:
    out['mitogen'] = mitogen_figures(mitogen)
if mitogen_new:
    out['mitogen_new'] = mitogen_figures(mitogen_new)
if ansible:
    out['ansible'] = ansible


def ratio(a, b):
    return round(a / b, 2) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


# The issue-22 targets that take the newest Mitogen as reference, for econtext and for 0.3.3:
# (name, key in econtext's JSON, key in a mitogen_figures() dict). Speeds: > 1 is ahead; memory and
# time: < 1 is ahead.
VS_MITOGEN_NEW = [
    ('ssh_file_push', 'ssh.file_push.mib_per_s', 'ssh.file_push.mib_per_s'),
    ('ssh_file_fetch', 'ssh.file_fetch.mib_per_s', 'ssh.file_fetch.mib_per_s'),
    ('big_file_push', 'files.big_file.econtext_push_mib_per_s', 'big_file.push_mib_per_s'),
    ('big_file_fetch', 'files.big_file.econtext_fetch_mib_per_s', 'big_file.fetch_mib_per_s'),
    ('child_idle_private', 'child_idle_private_kib', 'child_idle_private_kib'),
    ('child_after_files_private', 'child_after_files_private_kib', 'child_after_files_private_kib'),
    ('ssh_fanout', 'ssh_fanout.connect_and_call_median_ms', 'ssh_fanout.connect_and_call_median_ms'),
]
if mitogen_new:
    reference = out['mitogen_new']
    out['vs_mitogen_new'] = {n: ratio(get(out, e), get(reference, m)) for n, e, m in VS_MITOGEN_NEW}
    if mitogen:
        out['mitogen']['vs_mitogen_new'] = {n: ratio(get(out['mitogen'], m), get(reference, m)) for n, e, m in VS_MITOGEN_NEW}
if pwsh:
    out['pwsh'] = pwsh
print(json.dumps(out))

# The PowerShell column: econtext key of a row -> pwsh key (bench/pwsh-bench.ps1); other rows get '-'.
PWSH_KEYS = {
    'ssh_connect_first_call.median_ms': 'pwsh.ssh_connect_first_call.median_ms',
    'ssh.call_rtt.median_us': 'pwsh.ssh.call_rtt.median_us',
    'ssh.file_push.mib_per_s': 'pwsh.ssh.file_push.mib_per_s',
    'ssh.file_fetch.mib_per_s': 'pwsh.ssh.file_fetch.mib_per_s',
    'ssh_fanout.connect_and_call_median_ms': 'pwsh.ssh_fanout.connect_and_call_median_ms',
    'ssh_fanout.contexts': 'pwsh.ssh_fanout.contexts',
    'child_peak_rss_kib': 'pwsh.child_peak_rss_kib',
    'child_mem_local_kib.makeup_after_calls.private': 'pwsh.child_private_kib',
    'child_idle_rss_kib': 'pwsh.child_mem_kib.after_calls.VmRSS',
    'child_idle_private_kib': 'pwsh.child_private_kib',
    'child_after_files_rss_kib': 'pwsh.child_mem_kib.after_transfers.VmRSS',
    'child_after_files_private_kib': 'pwsh.child_mem_kib.after_transfers.private',
}

# (label, econtext key, mitogen key, ansible key, floor key[, format or (formats per column)])
rows = [
    ('local connect + first call (ms)', 'local_connect_first_call.median_ms', 'mitogen.local_connect_first_call.median_ms', 'ansible.local_connect_first_call.median_ms', 'floor_dotnet_start_ms'),
    ('local call RTT median (us) (ansible: per task, see note; floor: 64 bytes echoed by cat)', 'local.call_rtt.median_us', 'mitogen.local.call_rtt.median_us', 'ansible.local.call_rtt.median_us', 'floor_local_echo_rtt_us'),
    ('  econtext: local RTT / echo, per block (median (min–max))', 'local_rtt_over_echo', None, None, None, '%.2f'),
    ('local call RTT p99 (us)', 'local.call_rtt.p99_us', 'mitogen.local.call_rtt.p99_us', None, None),
    ('local 1 MiB raw messages (MiB/s)', 'local.send_1mib_msgs.mib_per_s', 'mitogen.local.send_1mib_msgs.mib_per_s', None, None),
    ('ssh connect + first call (ms)', 'ssh_connect_first_call.median_ms', 'mitogen.ssh_connect_first_call.median_ms', 'ansible.ssh_connect_first_call.median_ms', 'floor.ssh_true_ms'),
    ('  econtext: ssh connect / ssh true, per pair', 'ssh_connect_over_ssh_true', None, None, None, '%.2f'),
    ('ssh connect + first call, KexAlgorithms=curve25519-sha256 (ms) (floor: ssh true with it)', 'ssh_connect_first_call_curve25519.median_ms', None, None, 'floor.ssh_true_curve25519_ms'),
    ('  econtext: the same / ssh true, both curve25519, per pair', 'ssh_connect_curve25519_over_ssh_true_curve25519', None, None, None, '%.2f'),
    ('  floor: what the default kex costs, ssh true minus ssh true curve25519, per pair (ms)', None, None, None, 'floor.kex_cost_ms'),
    ('ssh call RTT median (us) (ansible: per task, see note; floor: 64 bytes echoed by cat over ssh)', 'ssh.call_rtt.median_us', 'mitogen.ssh.call_rtt.median_us', 'ansible.ssh.call_rtt.median_us', 'floor.ssh_echo_rtt_us'),
    ('  econtext: ssh RTT / ssh echo, per block', 'ssh_rtt_over_echo', None, None, None, '%.2f'),
    ('ssh 1 MiB raw messages (MiB/s)', 'ssh.send_1mib_msgs.mib_per_s', 'mitogen.ssh.send_1mib_msgs.mib_per_s', None, 'floor.ssh_pipe_mib_per_s'),
    ('ssh file push (MiB/s) (mitogen: FileService; ansible: whole -m copy run, connects included)', 'ssh.file_push.mib_per_s', 'mitogen.ssh.file_push.mib_per_s', 'ansible.ssh.file_push.mib_per_s', 'floor.ssh_pipe_mib_per_s'),
    ('ssh file fetch (MiB/s) (mitogen: FileService served by the child)', 'ssh.file_fetch.mib_per_s', 'mitogen.ssh.file_fetch.mib_per_s', None, None),
    ('  floor: the same ssh pipe into a reader that enlarges its pipe to 1 MiB as our child does, not cat (MiB/s)', None, None, None, 'floor.ssh_pipe_big_reader_mib_per_s'),
    ('ssh fan-out, connect + call (ms)', 'ssh_fanout.connect_and_call_median_ms', 'mitogen.ssh_fanout.connect_and_call_median_ms', 'ansible.ssh_fanout.connect_and_call_median_ms', 'floor.ssh_true_parallel_ms'),
    ('  econtext: fan-out / parallel ssh true, per rep', 'ssh_fanout_over_parallel_ssh_true', None, None, None, '%.2f'),
    ('ssh fan-out, KexAlgorithms=curve25519-sha256 (ms) (floor: parallel ssh true with it)', 'ssh_fanout_curve25519.connect_and_call_median_ms', None, None, 'floor.ssh_true_parallel_curve25519_ms'),
    ('  econtext: the same / parallel ssh true, both curve25519, per rep', 'ssh_fanout_curve25519_over_parallel_ssh_true_curve25519', None, None, None, '%.2f'),
    ('  floor: what the default kex costs the parallel ssh true (ms)', None, None, None, 'floor.kex_cost_parallel_ms'),
    ('  contexts (hosts) in the fan-out', 'ssh_fanout.contexts', 'mitogen.ssh_fanout.contexts', 'ansible.ssh_fanout.contexts', None),
    ('child peak RSS (KiB)', 'child_peak_rss_kib', 'mitogen.child_peak_rss_kib', 'ansible.child_peak_rss_kib', None),
    ('  econtext child now: private; shared with other processes (KiB) (econtext; -; -; shared; PowerShell: private)', 'child_mem_local_kib.makeup_after_calls.private', None, None, 'child_mem_local_kib.makeup_after_calls.shared_clean', '%d'),
    ('child idle RSS (KiB) (ssh child after connect + calls, readings settled)', 'child_idle_rss_kib', 'mitogen.child_idle_rss_kib', 'ansible.child_idle_rss_kib', None, '%d'),
    ('child idle private (USS, KiB)', 'child_idle_private_kib', 'mitogen.child_idle_private_kib', 'ansible.child_idle_private_kib', None, '%d'),
    ('child RSS after the --mib file push + fetch (KiB)', 'child_after_files_rss_kib', 'mitogen.child_after_files_rss_kib', 'ansible.child_after_files_rss_kib', None, '%d'),
    ('child private after the --mib file push + fetch (KiB)', 'child_after_files_private_kib', 'mitogen.child_after_files_private_kib', 'ansible.child_after_files_private_kib', None, '%d'),
    ('child idle RSS after the big file (KiB) (econtext; mitogen; ansible; econtext before it)', 'child_idle_after_1gib_rss_kib', 'mitogen.child_idle_after_1gib_rss_kib', 'ansible.child_idle_after_1gib_rss_kib', 'child_idle_before_1gib_rss_kib', '%d'),
    ('child idle private after the big file (KiB) (econtext; mitogen; ansible; econtext before it)', 'child_idle_after_1gib_private_kib', 'mitogen.child_idle_after_1gib_private_kib', 'ansible.child_idle_after_1gib_private_kib', 'child_idle_before_1gib_private_kib', '%d'),
    ('  econtext: idle after / idle before the big file, private (target <= 1.2); MiB moved', 'child_idle_after_1gib_over_before_private', None, None, 'child_idle_after_1gib_transferred_mib', ('%.2f', '%.2f', '%.2f', '%d')),
    ('master peak RSS (KiB) (ansible: largest controller process, fan-out)', 'master_peak_rss_kib', 'mitogen.master_peak_rss_kib', 'ansible.master_peak_rss_kib', None),
    ('  econtext: peak at the end (1 GiB file, 100 local contexts, bare host... too)', 'master_peak_rss_all_kib', None, None, None),
]

# Files (issue 5): the other columns hold the OpenSSH tools run with the same ssh config and cipher,
# named in each label as (econtext; mitogen column; floor column); the ansible column stays '-'.
tool_rows = []
mib = get(out, 'files.big_file.mib')
big = 'files.big_file.'
if mib is not None and get(out, big + 'skipped') is None:
    tool_rows += [
        ('ssh file push %s MiB (MiB/s) (PushFileAsync; scp; ssh cat >/dev/null)' % mib,
         big + 'econtext_push_mib_per_s', big + 'scp_push_mib_per_s', big + 'ssh_pipe_mib_per_s'),
        ('  push / ssh pipe (econtext; scp)', big + 'ratio_push_to_pipe', big + 'ratio_scp_push_to_pipe', None, '%.2f'),
        ('  ssh cat >file, and push / that (econtext; -; ssh cat >file MiB/s)', big + 'ratio_push_to_pipe_to_file', None, big + 'ssh_pipe_to_file_mib_per_s', ('%.2f', '%.2f', '%.1f')),
        ('  push beside Mitogen\'s FileService, %s MiB file to file (econtext; mitogen)' % (get(out, 'mitogen_new.big_file.mib') or get(out, 'mitogen.big_file.mib')),
         big + 'econtext_push_mib_per_s', 'mitogen.big_file.push_mib_per_s', None),
        ('ssh file fetch %s MiB (MiB/s) (FetchFileAsync; scp; ssh cat file >/dev/null)' % mib,
         big + 'econtext_fetch_mib_per_s', big + 'scp_fetch_mib_per_s', big + 'ssh_pipe_back_mib_per_s'),
        ('  fetch / ssh pipe back (econtext; scp)', big + 'ratio_fetch_to_pipe_back', big + 'ratio_scp_fetch_to_pipe_back', None, '%.2f'),
        ('  ssh cat file >file, and fetch / that (econtext; -; ssh cat file >file MiB/s)', big + 'ratio_fetch_to_pipe_back_to_file', None, big + 'ssh_pipe_back_to_file_mib_per_s', ('%.2f', '%.2f', '%.1f')),
        ('  fetch beside Mitogen\'s FileService served by the child, file to file (econtext; mitogen)',
         big + 'econtext_fetch_mib_per_s', 'mitogen.big_file.fetch_mib_per_s', None),
        ('child peak RSS during the push (KiB) (peak; -; before the push)', big + 'push_memory_kib.child_peak', None, big + 'push_memory_kib.child_before'),
        ('master peak RSS during the push (KiB) (peak; -; before the push)', big + 'push_memory_kib.master_peak', None, big + 'push_memory_kib.master_before'),
    ]
elif mib is not None:
    tool_rows.append(('ssh file push %s MiB: %s' % (mib, get(out, big + 'skipped')), None, None, None))
if get(out, 'files.error') is not None:
    tool_rows.append(('files: failed (%s)' % get(out, 'files.error').replace('|', '/').splitlines()[0], None, None, None))
count = get(out, 'files.small_files.files')
small = 'files.small_files.'
if count is not None:
    tool_rows += [
        ('ssh push %s small files, best of %s (s) (PushDirectoryAsync; scp -r; rsync -a)' % (count, get(out, small + 'reps')),
         small + 'econtext_push_s', small + 'scp_r_s', small + 'rsync_a_s', '%.3f'),
        ('  again, unchanged (s) (SkipIfSame; rsync -a; rsync -ac)',
         small + 'econtext_push_unchanged_s', small + 'rsync_a_unchanged_s', small + 'rsync_ac_unchanged_s', '%.3f'),
    ]
    if get(out, small + 'rsync') == 'not installed':
        tool_rows.append(('  rsync: not installed', None, None, None))

bare = 'bare_host.'
if get(out, bare + 'first_connection_ms') is not None:
    tool_rows += [
        ('bare host (no .NET): first connection, runtime sent (ms) (econtext; -; ssh connect + first call)',
         bare + 'first_connection_ms', None, 'ssh_connect_first_call.median_ms'),
        ('  same, in a process that had not packed the runtime yet (ms)', bare + 'first_connection_packing_too_ms', None, None),
        ('  runtime bytes sent; bytes in the cache on the target', bare + 'runtime_bytes_sent', None, bare + 'cache_bytes_on_target'),
        ('  next connection, cached runtime (ms)', bare + 'next_connection_ms', None, None),
    ]
elif get(out, 'bare_host') is not None:
    tool_rows.append(('bare host: %s' % (get(out, bare + 'skipped') or get(out, bare + 'error')), None, None, None))


for label, e, m, f, *fmt in tool_rows:
    if fmt and isinstance(fmt[0], tuple):
        fmt = [(fmt[0][0], fmt[0][1], '%.1f', fmt[0][2])]
    rows.append((label, e, m, None, f, *fmt))

# The issue-22 targets against the newest Mitogen: econtext / newest and 0.3.3 / newest.
if mitogen_new:
    rows += [
        ('vs the newest Mitogen (econtext; 0.3.3): ssh file push %s MiB, speed ratio (target >= 1)' % get(out, 'ssh.file_push.mib'),
         'vs_mitogen_new.ssh_file_push', 'mitogen.vs_mitogen_new.ssh_file_push', None, None, '%.2f'),
        ('  ssh file fetch, speed ratio', 'vs_mitogen_new.ssh_file_fetch', 'mitogen.vs_mitogen_new.ssh_file_fetch', None, None, '%.2f'),
        ('  big file push, file to file, speed ratio (target >= 1)', 'vs_mitogen_new.big_file_push', 'mitogen.vs_mitogen_new.big_file_push', None, None, '%.2f'),
        ('  big file fetch, file to file, speed ratio', 'vs_mitogen_new.big_file_fetch', 'mitogen.vs_mitogen_new.big_file_fetch', None, None, '%.2f'),
        ('  child private memory idle, ratio (target <= 1)', 'vs_mitogen_new.child_idle_private', 'mitogen.vs_mitogen_new.child_idle_private', None, None, '%.2f'),
        ('  child private memory after files, ratio', 'vs_mitogen_new.child_after_files_private', 'mitogen.vs_mitogen_new.child_after_files_private', None, None, '%.2f'),
        ('  ssh fan-out %s hosts, time ratio (target < 1)' % get(out, 'ssh_fanout.contexts'),
         'vs_mitogen_new.ssh_fanout', 'mitogen.vs_mitogen_new.ssh_fanout', None, None, '%.2f'),
    ]


def cell(v, fmt='%.1f', spread=None):
    """A figure, and its spread where the bench gave one: "162.6 (150.0–180.0)" (p10–p90 of the
    samples, or min–max of a ratio taken pair by pair)."""
    if v is None:
        return '-'
    text = fmt % v if isinstance(v, float) or (isinstance(v, int) and fmt != '%.1f') else str(v)
    if isinstance(spread, dict):
        low, high = spread.get('p10', spread.get('min')), spread.get('p90', spread.get('max'))
        if low is not None and high is not None:
            text += ' (%s–%s)' % (fmt % low, fmt % high)
    return text


def version_of(figures, fallback):
    return 'Mitogen %s' % figures['version'] if figures and figures.get('version') else fallback


# The table's columns, left to right: (header, the cell's key for a row (label, e, m, a, f[, fmt]),
# which of the row's four formats (e, m, a, f) it takes). The newest Mitogen's JSON has Mitogen's keys
# under "mitogen_new.", so its column derives each key from the Mitogen column's. A peer of its own
# adds an entry here (deriving its key from another column's, or from a dict of econtext key -> its
# key), plus its JSON under its own prefix above; the rows stay as they are.
def under(prefix, key, new_prefix):
    return new_prefix + key[len(prefix):] if key and key.startswith(prefix) else None


columns = [
    ('econtext', lambda row: row[1], 0),
    ('%s (files: the tool named)' % version_of(out.get('mitogen'), 'Mitogen 0.3.3'), lambda row: row[2], 1),
    (version_of(out.get('mitogen_new'), 'Mitogen, newest (MITOGEN_SRC)'), lambda row: under('mitogen.', row[2], 'mitogen_new.'), 1),
    ('ansible', lambda row: row[3], 2),
    ('floor (files: the tool named)', lambda row: row[4], 3),
    ('PowerShell %s remoting' % (pwsh.get('pwsh_version') if pwsh else '7.6.10'), lambda row: PWSH_KEYS.get(row[1]), 0),
]
sys.stderr.write('| metric | %s |\n|---|%s\n' % (' | '.join(c[0] for c in columns), '---|' * len(columns)))
for row in rows:
    fmt = row[5] if len(row) > 5 else '%.1f'
    fmt = fmt if isinstance(fmt, tuple) else (fmt, fmt, fmt, fmt)
    keys = [key(row) for _, key, _ in columns]
    sys.stderr.write('| %s | %s |\n' % (row[0], ' | '.join(
        cell(get(out, k) if k else None, fmt[c[2]], get(out, k + '_spread') if k else None) for k, c in zip(keys, columns))))


# What the ansible column is, and why some of its cells stay '-'.
notes = ['rounds (each figure the median of its rounds, run interleaved): econtext %s, mitogen %s, newest mitogen %s, ansible %s.' % (
    out.get('rounds', 1), get(out, 'mitogen.rounds') if mitogen else '-', get(out, 'mitogen_new.rounds') if mitogen_new else '-',
    ansible.get('rounds', 1) if ansible else '-')]
notes.append('spread: "median (p10–p90)" of all samples; for a ratio, "median (min–max)" of the ratios taken pair by pair or block by block, '
             'ours and the floor back to back (load average %s before the ssh part, %s after; kex: %s by default).' % (
                 get(out, 'floor.loadavg_before'), get(out, 'floor.loadavg_after'), get(out, 'floor.kex_default')))
if mitogen_new:
    notes.append('newest Mitogen: %s, commit %s, from %s; the children load its modules from this master.' % (
        get(out, 'mitogen_new.version'), get(out, 'mitogen_new.commit'), mitogen_new.get('mitogen_source')))
elif peer_notes.get('mitogen_new'):
    notes.append('newest Mitogen column empty: %s' % peer_notes['mitogen_new'])
if mitogen or mitogen_new:
    notes.append('mitogen child memory: the local context\'s python child, /proc/PID/status VmRSS and '
                 'smaps_rollup Private_Clean + Private_Dirty, after the timed calls (idle) and after the --mib raw '
                 'messages, FileService push and fetch (after files); file rows: FileService, fetch served by the child.')
if out.get('master_peak_rss_how'):
    notes.append('econtext master peak RSS: %s.' % out['master_peak_rss_how'])
if ansible:
    k = get(ansible, 'ssh.call_rtt.how') or ''
    notes += [
        'ansible column: %s, same sshd, inventory aliases and ssh_config as Mitogen; whole ansible processes timed.' % ansible.get('version', 'ansible'),
        'ansible connect + first call: `ansible all -m command -a true` (one host; ssh: ControlMaster=no), start of the ansible process included.',
        'ansible call RTT: no per-call API; the cost of one more task: %s (median playbooks %s ms and %s ms).' % (
            k.replace('per task, ', ''), get(ansible, 'ssh.call_rtt.playbook_k1_median_ms'),
            next((v for kk, v in (get(ansible, 'ssh.call_rtt') or {}).items() if kk.startswith('playbook_k') and kk != 'playbook_k1_median_ms'), None)),
        'ansible file push: %s MiB, whole `ansible -m copy` (fresh dest) with ControlMaster=no: connects, start and the module runs included; '
        'with ControlPersist + pipelining: %s MiB/s.' % (get(ansible, 'ssh.file_push.mib'), get(ansible, 'ssh.file_push.mib_per_s_warm')),
        'ansible fan-out: %s hosts, forks=%s, ControlMaster=no. master peak RSS: %s.' % (
            get(ansible, 'ssh_fanout.contexts'), get(ansible, 'ssh_fanout.contexts'), ansible.get('master_peak_rss_how')),
        'ansible child peak RSS: %s.' % ansible.get('child_peak_rss_how'),
        'ansible "-": p99 (a per-task cost is a difference of two medians, it has no per-call distribution); '
        '1 MiB raw messages (ansible has no message channel to a running remote process); file rows (the OpenSSH tools stand there).',
    ]
elif ansible_note:
    notes.append('ansible column empty: %s' % ansible_note)
if pwsh:
    ic = get(pwsh, 'ssh.invoke_command_rtt') or {}
    notes += [
        'PowerShell column: %s, %s round(s), same sshd (Subsystem powershell: pwsh -sshs -nologo), ssh_config and host aliases; '
        'ssh found by PowerShell is a shim running ssh -F with that config.' % (pwsh.get('version'), pwsh.get('rounds', 1)),
        'PowerShell connect + first call: the better (%s) of Invoke-Command -HostName { 1 } with its close (%s ms) and '
        'New-PSSession + Invoke-Command -Session, close not counted (%s ms), alternating run by run.' % (
            get(pwsh, 'ssh_connect_first_call.used'), get(pwsh, 'ssh_connect_first_call.invoke_command_hostname.median_ms'),
            get(pwsh, 'ssh_connect_first_call.new_pssession.median_ms')),
        'PowerShell call RTT: the cheaper of two ways (%s): [powershell].Invoke() on the session\'s runspace %s us median, '
        'Invoke-Command -Session %s us median (p99 %s us), alternating call by call.' % (
            get(pwsh, 'ssh.call_rtt.used'), get(pwsh, 'ssh.powershell_invoke_rtt.median_us'), ic.get('median_us'), ic.get('p99_us')),
        'PowerShell fan-out: the better (%s) of runspaces opened at once and called (%s ms) and Invoke-Command -HostName (all) { 1 } '
        'with its close (%s ms); New-PSSession -HostName opens several hosts one by one.' % (
            get(pwsh, 'ssh_fanout.used'), get(pwsh, 'ssh_fanout.runspaces_ms'), get(pwsh, 'ssh_fanout.invoke_command_hostname_ms')),
        'PowerShell child: the remote pwsh -sshs of the session ($PID there), VmHWM and smaps_rollup read by a call on it after the '
        'timed calls: peak %s KiB, private %s KiB, shared clean %s KiB; after Copy-Item: peak %s KiB, private %s KiB.' % (
            get(pwsh, 'child_mem_kib.after_calls.VmHWM'), get(pwsh, 'child_mem_kib.after_calls.private'),
            get(pwsh, 'child_mem_kib.after_calls.shared_clean'), get(pwsh, 'child_mem_kib.after_transfers.VmHWM'),
            get(pwsh, 'child_mem_kib.after_transfers.private')),
        'PowerShell files: Copy-Item -ToSession %s MiB/s, -FromSession %s MiB/s (%s MiB).' % (
            get(pwsh, 'ssh.file_push.mib_per_s'), get(pwsh, 'ssh.file_fetch.mib_per_s'), get(pwsh, 'ssh.file_push.mib')),
    ]
elif peer_notes.get('pwsh'):
    notes.append('PowerShell column empty: %s' % peer_notes['pwsh'])
for n in notes:
    sys.stderr.write('note: %s\n' % n)
