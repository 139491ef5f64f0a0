#!/usr/bin/env bash
# bench/ansible-bench.sh - Ansible (ansible-core) on the private sshd of bench/loopback-sshd, measured
# with the keys Econtext's bench uses wherever Ansible has an analogue, so compare.py can print it
# beside Econtext and Mitogen. Called by bench/run on its sshd (starts one itself, and stops it, when
# PEERS_SSH_CONFIG is not set). Inventory and ssh settings as Mitogen's and Econtext's runs: the
# aliases peer, peer-1..N of the same sshd, `-F <its ssh_config>`,
# forks = N, an isolated ansible.cfg and ANSIBLE_HOME in a work dir under $PEERS_STATE.
#
# Modes:
#   cold : ANSIBLE_SSH_ARGS="-C -o ControlMaster=no", no pipelining: every ssh pays a handshake
#   pipe : ansible's ssh defaults (-C, ControlMaster=auto, ControlPersist=60s) + pipelining; a
#          warm-up run leaves the master connection that the timed runs reuse
# Measures (wall clock of whole ansible processes, perf_counter in a small python helper which also
# takes wait4()'s ru_maxrss of each run):
#   ssh_connect_first_call   `ansible all -i <1 host> -m command -a true`, cold
#   ssh.call_rtt             per task: (playbook of K=20 `command: true` tasks - playbook of K=1) / 19,
#                            one host, pipe mode; the two playbooks alternate run by run
#   ssh.file_push            `ansible -m copy` of a random file (fresh dest each run), cold:
#                            connects, ansible's start and the copy module's stat included;
#                            the same in pipe mode is reported as mib_per_s_warm
#   ssh_fanout               `ansible all -i <N hosts> -m command -a true`, forks=N, cold
#   master_peak_rss_kib      largest ru_maxrss of the fan-out runs: the biggest single process of
#                            the controller's tree (ansible itself or one of its forks)
#   child_peak_rss_kib       VmHWM of the remote python3 that runs the module: a `shell` task (the
#                            command module with a shell) reads /proc/$PPID/status, $PPID of its
#                            /bin/sh being that python3; pipe mode; max of 3 runs
#   child_idle_rss_kib, child_idle_private_kib
#                            the module's python3 at its exit (atexit in a sitecustomize put on its
#                            PYTHONPATH by an interpreter wrapper, ansible_python_interpreter=<work>/py-mem):
#                            VmHWM from /proc/self/status and Private_Clean + Private_Dirty from
#                            /proc/self/smaps_rollup, for `-m command -a true`; pipe mode; max of 3 runs
#   child_after_files_rss_kib, child_after_files_private_kib
#                            the same for `-m copy` of the ANSIBLE_FILE_MIB file (largest of the run's
#                            module processes: stat, then copy; the bytes themselves go by sftp); max of 3
#   local_connect_first_call `ansible all -i <localhost> -c local -m command -a true`
#   local.call_rtt           per task as above with connection=local
# stdout: one JSON line; stderr: progress; ansible's own output goes to <work dir>/ansible.log.
# Knobs: ANSIBLE_RUNS (5), ANSIBLE_TASK_RUNS (3 pairs of K=1 / K playbooks), ANSIBLE_TASKS (K, 20),
#        ANSIBLE_FANOUT (20), ANSIBLE_FANOUT_RUNS (3), ANSIBLE_FILE_MIB (100), ANSIBLE_FILE_RUNS (3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
own_sshd=0
if [ -z "${PEERS_SSH_CONFIG:-}" ]; then
    sshd_env=$("$here/loopback-sshd" up) || exit 1
    eval "$sshd_env"
    own_sshd=1
fi
for tool in ansible ansible-playbook; do
    command -v "$tool" >/dev/null || { echo "ansible-bench: $tool not installed (Debian: apt-get install -y ansible-core)" >&2; exit 3; }
done

RUNS=${ANSIBLE_RUNS:-5}
TASK_RUNS=${ANSIBLE_TASK_RUNS:-3}
N=${ANSIBLE_FANOUT:-20}
FANOUT_RUNS=${ANSIBLE_FANOUT_RUNS:-3}
FILE_MIB=${ANSIBLE_FILE_MIB:-100}
FILE_RUNS=${ANSIBLE_FILE_RUNS:-3}
K=${ANSIBLE_TASKS:-20}
PY=/usr/bin/python3

work=$(mktemp -d "$PEERS_STATE/ansible-econtext.XXXXXX")
mkdir -p "$work/home" "$work/local-tmp" "$work/remote-tmp" "$work/cp"
log=$work/ansible.log
runs=$work/runs.jsonl
: > "$runs"
echo "ansible-bench: work dir $work (ansible output in ansible.log)" >&2

close_masters() {
    local s
    for s in "$work"/cp/*; do
        [ -S "$s" ] && ssh -o ControlPath="$s" -O exit "$PEERS_HOST" >/dev/null 2>&1 || true
    done
}
trap 'close_masters; rm -f "$work/push-src.bin" "$work"/push-dest-*.bin; [ "$own_sshd" = 0 ] || "$here/loopback-sshd" down || true' EXIT

# ---- inventories, playbooks, config ----------------------------------------------------------
inventory() {  # inventory NAME HOSTS...
    local name=$1 h; shift
    {
        echo "[bench]"
        for h in "$@"; do echo "$h ansible_host=$PEERS_ADDR"; done
        echo
        echo "[bench:vars]"
        echo "ansible_port=$PEERS_PORT"
        echo "ansible_user=$PEERS_USER"
        echo "ansible_python_interpreter=/usr/bin/python3"
        echo "ansible_ssh_common_args='-F $PEERS_SSH_CONFIG'"
    } > "$work/$name.ini"
}
inventory inv-1 "$PEERS_HOST"
inventory "inv-$N" $(seq -f "$PEERS_HOST-%g" 1 "$N")
printf '%s\n' '[bench]' 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3' > "$work/inv-local.ini"
for k in 1 "$K"; do
    {
        echo "- hosts: all"
        echo "  gather_facts: false"
        echo "  tasks:"
        for i in $(seq 1 "$k"); do
            echo "    - name: task $i"
            echo "      command: 'true'"
        done
    } > "$work/play-$k.yml"
done
cat > "$work/ansible.cfg" <<EOF
[defaults]
forks = $N
host_key_checking = True
retry_files_enabled = False
local_tmp = $work/local-tmp
remote_tmp = $work/remote-tmp
[ssh_connection]
control_path_dir = $work/cp
EOF
export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_HOME="$work/home"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_DEPRECATION_WARNINGS=False
unset ANSIBLE_SSH_ARGS ANSIBLE_PIPELINING
cold=(env "ANSIBLE_SSH_ARGS=-C -o ControlMaster=no" ANSIBLE_PIPELINING=False)
pipe=(env ANSIBLE_PIPELINING=True)

# timed NAME KEEP PREPARE CMD...: one run; its wall time and ru_maxrss appended to runs.jsonl when
# KEEP=1 (0: a warm-up). PREPARE (a shell command, may be empty) runs untimed first.
cat > "$work/timed.py" <<'EOF'
import json, os, subprocess, sys, time
name, keep, prepare, cmd = sys.argv[1], sys.argv[2] == '1', sys.argv[3], sys.argv[4:]
log = open(os.environ['BENCH_LOG'], 'ab')
if prepare:
    subprocess.run(prepare, shell=True, check=True)
log.write(('\n==== %s: %s\n' % (name, ' '.join(cmd))).encode())
log.flush()
t0 = time.perf_counter()
p = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
ms = (time.perf_counter() - t0) * 1e3
p.returncode = os.waitstatus_to_exitcode(status)
if p.returncode != 0:
    sys.stderr.write('ansible-bench: %s failed (exit %s), see %s\n' % (name, p.returncode, os.environ['BENCH_LOG']))
    sys.exit(1)
if keep:
    with open(os.environ['BENCH_RUNS'], 'a') as f:
        f.write(json.dumps({'name': name, 'ms': round(ms, 1), 'maxrss_kib': ru.ru_maxrss}) + '\n')
EOF
export BENCH_LOG=$log BENCH_RUNS=$runs
timed() { "$PY" "$work/timed.py" "$@"; }

# ---- sanity: one cold ping of each inventory (also warms the page cache) ----------------------
timed sanity_ssh 0 '' "${cold[@]}" ansible all -i "$work/inv-1.ini" -m ping
timed sanity_local 0 '' ansible all -i "$work/inv-local.ini" -m ping

# ---- local: first call, per-task cost --------------------------------------------------------
echo "ansible-bench: local (connection=local)" >&2
timed local_first 0 '' ansible all -i "$work/inv-local.ini" -m command -a true
for _ in $(seq 1 "$RUNS"); do timed local_first 1 '' ansible all -i "$work/inv-local.ini" -m command -a true; done
timed local_k1 0 '' "${pipe[@]}" ansible-playbook -i "$work/inv-local.ini" "$work/play-1.yml"
timed "local_k$K" 0 '' "${pipe[@]}" ansible-playbook -i "$work/inv-local.ini" "$work/play-$K.yml"
for _ in $(seq 1 "$TASK_RUNS"); do
    timed local_k1 1 '' "${pipe[@]}" ansible-playbook -i "$work/inv-local.ini" "$work/play-1.yml"
    timed "local_k$K" 1 '' "${pipe[@]}" ansible-playbook -i "$work/inv-local.ini" "$work/play-$K.yml"
done

# ---- ssh, one host: cold first call --------------------------------------------------------
echo "ansible-bench: ssh, one host" >&2
for _ in $(seq 1 "$RUNS"); do timed ssh_first 1 '' "${cold[@]}" ansible all -i "$work/inv-1.ini" -m command -a true; done

# ---- ssh, one host, ControlPersist + pipelining: per-task cost, child RSS ---------------------
timed ssh_k1 0 '' "${pipe[@]}" ansible-playbook -i "$work/inv-1.ini" "$work/play-1.yml"
timed "ssh_k$K" 0 '' "${pipe[@]}" ansible-playbook -i "$work/inv-1.ini" "$work/play-$K.yml"
for _ in $(seq 1 "$TASK_RUNS"); do
    timed ssh_k1 1 '' "${pipe[@]}" ansible-playbook -i "$work/inv-1.ini" "$work/play-1.yml"
    timed "ssh_k$K" 1 '' "${pipe[@]}" ansible-playbook -i "$work/inv-1.ini" "$work/play-$K.yml"
done
child_rss=()
for _ in 1 2 3; do
    line=$("${pipe[@]}" ansible all -i "$work/inv-1.ini" -o -m shell \
        -a 'echo "child: $(cat /proc/$PPID/comm) $(grep VmHWM /proc/$PPID/status)"' 2>>"$log" | tee -a "$log") || true
    v=$(printf '%s\n' "$line" | sed -n 's/.*child: python3 VmHWM:[[:space:]]*\([0-9]*\) kB.*/\1/p' | head -n1)
    [ -n "$v" ] && child_rss+=("$v")
done
[ ${#child_rss[@]} -gt 0 ] || echo "ansible-bench: child RSS not read (parent of the task's shell was not python3?), see $log" >&2

# The module's python3 records its own memory when it exits (the same figures as the Mitogen and
# Econtext children: VmHWM, and the USS from smaps_rollup); the wrapper is the interpreter only for
# these runs, so every timed run above and below uses /usr/bin/python3 itself.
mkdir -p "$work/memhook"
cat > "$work/memhook/sitecustomize.py" <<'EOF'
import atexit, json, os


def _record():
    found = {}
    for path in ('/proc/self/status', '/proc/self/smaps_rollup'):
        try:
            with open(path) as f:
                for line in f:
                    name, _, value = line.partition(':')
                    if value.strip().endswith('kB'):
                        found[name] = int(value.split()[0])
        except OSError:
            pass
    private = found['Private_Clean'] + found['Private_Dirty'] if 'Private_Clean' in found and 'Private_Dirty' in found else None
    with open(os.environ['ECONTEXT_BENCH_MEM_OUT'], 'a') as f:
        f.write(json.dumps({'pid': os.getpid(), 'VmHWM': found.get('VmHWM'), 'private': private}) + '\n')


atexit.register(_record)
EOF
printf '#!/bin/sh\nPYTHONPATH=%s ECONTEXT_BENCH_MEM_OUT=%s exec %s "$@"\n' "$work/memhook" "$work/mem.jsonl" "$PY" > "$work/py-mem"
chmod +x "$work/py-mem"
# module_memory NAME ANSIBLE-ARGS...: three runs; appends "NAME VmHWM private" of the largest module
# process of each run to $work/mem.txt.
: > "$work/mem.txt"
module_memory() {
    local name=$1 i; shift
    for i in 1 2 3; do
        : > "$work/mem.jsonl"
        "${pipe[@]}" ansible all -i "$work/inv-1.ini" -e "ansible_python_interpreter=$work/py-mem" "$@" >>"$log" 2>&1 \
            || { echo "ansible-bench: $name memory run failed, see $log" >&2; continue; }
        "$PY" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["VmHWM"]]
if rows:
    r = max(rows, key=lambda r: r["VmHWM"])
    print(sys.argv[2], r["VmHWM"], r["private"])' "$work/mem.jsonl" "$name" >> "$work/mem.txt"
    done
}
module_memory idle -m command -a true

# ---- ssh file push: ansible -m copy, warm (pipe) then cold ---------------------------------------
echo "ansible-bench: ssh file push, $FILE_MIB MiB" >&2
head -c "${FILE_MIB}M" /dev/urandom > "$work/push-src.bin"
dest=$work/push-dest-$$.bin
copy_args="src=$work/push-src.bin dest=$dest force=yes"
for _ in $(seq 1 "$FILE_RUNS"); do timed push_warm 1 "rm -f $dest" "${pipe[@]}" ansible all -i "$work/inv-1.ini" -m copy -a "$copy_args"; done
rm -f "$dest"
module_memory after_files -m copy -a "$copy_args"
close_masters
for _ in $(seq 1 "$FILE_RUNS"); do timed push_cold 1 "rm -f $dest" "${cold[@]}" ansible all -i "$work/inv-1.ini" -m copy -a "$copy_args"; done
cmp -s "$work/push-src.bin" "$dest" || { echo "ansible-bench: pushed file differs from its source" >&2; exit 1; }
rm -f "$dest" "$work/push-src.bin"

# ---- ssh fan-out: N hosts, forks=N, cold ---------------------------------------------------------
echo "ansible-bench: ssh fan-out, $N hosts" >&2
for _ in $(seq 1 "$FANOUT_RUNS"); do timed fanout 1 '' "${cold[@]}" ansible all -i "$work/inv-$N.ini" -m command -a true; done

# ---- JSON ------------------------------------------------------------------------------------
"$PY" - "$runs" "$K" "$N" "$FILE_MIB" "$work" "${child_rss[@]}" <<'EOF'
import json, statistics, subprocess, sys
runs_path, k, n, mib, work, child = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6:]
memory = {}
for line in open(work + '/mem.txt'):
    name, hwm, private = line.split()
    memory.setdefault(name, []).append((int(hwm), None if private == 'None' else int(private)))
peak = lambda name, i: max((m[i] for m in memory.get(name, []) if m[i] is not None), default=None)
runs = {}
for line in open(runs_path):
    r = json.loads(line)
    runs.setdefault(r['name'], []).append(r)
ms = lambda name: [r['ms'] for r in runs.get(name, [])]
med = lambda name: round(statistics.median(ms(name)), 1) if ms(name) else None

def per_task(prefix):
    one, many = med(prefix + '_k1'), med('%s_k%d' % (prefix, k))
    return {'median_us': round((many - one) / (k - 1) * 1e3), 'n': len(ms(prefix + '_k1')),
            'playbook_k1_median_ms': one, 'playbook_k%d_median_ms' % k: many,
            'how': 'per task: (playbook of %d command tasks - playbook of 1) / %d' % (k, k - 1)}

version = subprocess.run(['ansible', '--version'], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
out = {
    'tool': 'ansible', 'version': version, 'work_dir': work,
    'local_connect_first_call': {'median_ms': med('local_first'), 'runs_ms': ms('local_first'),
                                 'how': 'ansible -c local -m command -a true, whole process'},
    'local': {'call_rtt': per_task('local')},
    'ssh_connect_first_call': {'median_ms': med('ssh_first'), 'runs_ms': ms('ssh_first'),
                               'how': 'ansible -m command -a true, one host, ControlMaster=no'},
    'ssh': {
        'call_rtt': dict(per_task('ssh'), how='per task, ControlPersist + pipelining: (playbook of %d command tasks - playbook of 1) / %d' % (k, k - 1)),
        'file_push': {
            'mib_per_s': round(mib / (med('push_cold') / 1e3), 1), 'mib': mib, 'runs_ms': ms('push_cold'),
            'mib_per_s_warm': round(mib / (med('push_warm') / 1e3), 1), 'runs_warm_ms': ms('push_warm'),
            'how': 'whole ansible -m copy run, fresh dest: cold (ControlMaster=no, connects and ansible start included); warm = ControlPersist + pipelining',
        },
    },
    'ssh_fanout': {'contexts': n, 'connect_and_call_median_ms': med('fanout'), 'runs_ms': ms('fanout'),
                   'how': 'ansible -m command -a true, %d hosts, forks=%d, ControlMaster=no' % (n, n)},
    'master_peak_rss_kib': max((r['maxrss_kib'] for r in runs.get('fanout', [])), default=None),
    'master_peak_rss_how': 'largest ru_maxrss (wait4) of the fan-out runs: biggest single process of the controller tree',
    'child_peak_rss_kib': max(int(v) for v in child) if child else None,
    'child_peak_rss_how': 'VmHWM of the remote python3 running the module (shell task reading /proc/$PPID/status), pipelining, max of %d' % len(child),
    'child_idle_rss_kib': peak('idle', 0), 'child_idle_private_kib': peak('idle', 1),
    'child_after_files_rss_kib': peak('after_files', 0), 'child_after_files_private_kib': peak('after_files', 1),
    'child_mem_how': 'the module\'s python3 at its exit (atexit hook), VmHWM and smaps_rollup Private_Clean + Private_Dirty, '
                     'pipelining; idle: -m command -a true; after files: -m copy of the %d MiB file (largest module process '
                     'of the run); max of %d and %d runs' % (mib, len(memory.get('idle', [])), len(memory.get('after_files', []))),
}
print(json.dumps(out))
EOF
