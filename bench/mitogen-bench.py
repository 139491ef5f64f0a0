#!/usr/bin/python3
# bench/mitogen-bench.py - Mitogen's side of Econtext's benchmark (bench/run).
#
# Runs the workloads Econtext.Bench runs, with Mitogen (Debian python3-mitogen 0.3.3, imported by the
# system /usr/bin/python3), against the loopback sshd bench/run has already brought up: it reads
# PEERS_SSH_CONFIG and PEERS_HOST and never starts an sshd of its own.
#
#   local_connect_first_call  router.local() + first call of a trivial function, then shutdown
#   ssh_connect_first_call    the same with router.ssh(compression=False)
#   local                     on one local context: call round trips, 1 MiB raw messages into a
#                             Receiver of the child, a --mib file pushed and one fetched through
#                             mitogen.service.FileService (see "Files" below), and the child's
#                             memory after boot, idle (after the calls) and after the files
#   ssh_compression_off       the same over ssh with compression=False, then (--file-mib N) an N MiB
#                             file pushed and fetched between real files on disk (big_file)
#   ssh                       the same over ssh with Mitogen's default compression=True
#   ssh_fanout                --fanout ssh contexts started at once from as many threads
#   parent_mem_kib            VmHWM/VmRSS of this process at the very end
#
# Files: Mitogen's own streaming file transfer is FileService (windowed, 128 KiB chunks; since 0.3.39
# the chunks go raw, before that pickled). It always streams from the context that runs the service
# to the one that calls FileService.get(). So
#   push  = the child calls FileService.get(parent, path, sink): the parent's service pool serves a
#           registered file, as ansible_mitogen does for every file it copies to a target;
#   fetch = the parent calls FileService.get(child, path, sink): the child's Dispatcher starts a
#           service pool on the first service call (mitogen.service.get_or_create_pool, 2 threads)
#           and serves the file; the parent holds parent authority in the child, so no register().
# The fetch is the same mechanism turned around, the honest equivalent of Econtext's FetchFileAsync;
# ansible_mitogen's own fetch_file reads the whole file into one message instead. The --mib rows
# write into a sink that keeps nothing (both directions); the --file-mib rows write real files.
#
# Memory of a child (idle, after_files): VmHWM and VmRSS from /proc/<pid>/status, and from
# /proc/<pid>/smaps_rollup Rss, private (Private_Clean + Private_Dirty, the USS: what the child
# alone costs) and shared (Shared_Clean + Shared_Dirty: the interpreter's files, shared with any
# other python). "idle" is after connect + the round-trip calls; "after_files" after the --mib raw
# messages, file push and file fetch (the child's VmHWM then is its peak over all of them).
#
# version names mitogen.__version__, where it was imported from, and the source's git commit:
# $MITOGEN_COMMIT if set, else `git rev-parse HEAD` in that directory, else 'unknown'.
#
# All timings are wall clock (time.perf_counter) taken in this process. The children run on this
# host (loopback), so their memory is read here from /proc, with the pid the child's own
# os.getpid(): nothing is loaded into a child to measure it.
#
# Progress goes to stderr, and exactly one JSON line to stdout.
#
# Mitogen ships this file to each child only up to the `if __name__ == '__main__':` line below, so
# everything a child runs is defined above it, and what is imported above it stays cheap.

import os
import time

import mitogen.core

MIB = 1024 * 1024


def noop():
    """The trivial call: the child does nothing and answers None."""
    return None


@mitogen.core.takes_router
def drain_messages(reply_to, count, per_message_timeout, router):
    """In the child: open a Receiver, hand its handle to the parent through the
    `reply_to` Sender, then take `count` raw messages off it. Answers the number
    of payload bytes that arrived, which is what tells the parent that the
    transfer is over."""
    inbox = mitogen.core.Receiver(router)
    try:
        reply_to.send(inbox.handle)
        received = 0
        for _ in range(count):
            received += len(inbox.get(timeout=per_message_timeout).data)
        return received
    finally:
        inbox.close()


class ByteCounter(object):
    """A write-only file object that keeps nothing: FileService.get() writes
    the chunks it receives into it, and it only adds up their lengths."""

    def __init__(self):
        self.total = 0

    def write(self, chunk):
        self.total += len(chunk)


def pull_file(server, path):
    """In the child: stream `path` from the FileService running in the context
    `server` (the parent) into a ByteCounter. Answers (ok, bytes received,
    size the service announced, seconds the child spent)."""
    import mitogen.service

    sink = ByteCounter()
    began = time.perf_counter()
    ok, metadata = mitogen.service.FileService.get(server, path, sink)
    return ok, sink.total, metadata['size'], time.perf_counter() - began


def pull_file_to(server, path, destination):
    """In the child: FileService.get() of `path` from `server` into the file
    `destination` (made or truncated). Answers (ok, bytes written, size the
    service announced)."""
    import mitogen.service

    with open(destination, 'wb') as sink:
        ok, metadata = mitogen.service.FileService.get(server, path, sink)
        written = sink.tell()
    return ok, written, metadata['size']


if __name__ == '__main__':
    import argparse
    import json
    import platform
    import shutil
    import statistics
    import subprocess
    import sys
    import tempfile
    import threading

    import mitogen
    import mitogen.master
    import mitogen.parent
    import mitogen.service

    # Upper bounds, so that a hung context ends the run with a message instead of hanging it.
    CONNECT_TIMEOUT_S = 60      # Mitogen's connect_timeout= for every context
    CALL_TIMEOUT_S = 60         # one call's answer
    SHUTDOWN_TIMEOUT_S = 30     # a context's disconnect after shutdown()
    MESSAGE_GAP_TIMEOUT_S = 60  # the child waiting for its next raw message
    TEARDOWN_TIMEOUT_S = 60     # service pool and broker stop at the very end
    RTT_WARMUP_CALLS = 200

    class BenchFailure(Exception):
        """A failure worth one line on stderr rather than a traceback."""

    def say(text):
        sys.stderr.write('mitogen-bench: %s\n' % (text,))
        sys.stderr.flush()

    def transfer_timeout_s(mib):
        # Generous: a transfer slower than 0.5 MiB/s on loopback means something is wrong.
        return 60 + 2 * mib

    def ms(seconds):
        return round(seconds * 1e3, 1)

    def us(seconds):
        return round(seconds * 1e6, 1)

    def percentile(samples, p):
        """Linear interpolation between the closest ranks (as Econtext.Bench's Stats does)."""
        ordered = sorted(samples)
        rank = (len(ordered) - 1) * p / 100.0
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    def memory_kib(pid):
        """VmHWM (peak resident set) and VmRSS of a process of this host from /proc/PID/status, and
        from /proc/PID/smaps_rollup its Rss, private (Private_Clean + Private_Dirty) and shared
        (Shared_Clean + Shared_Dirty) pages, in KiB. smaps_rollup needs Linux 4.14; without it the
        last three are None."""
        found = {}
        try:
            with open('/proc/%d/status' % pid) as status:
                for line in status:
                    name, _, value = line.partition(':')
                    if name in ('VmHWM', 'VmRSS'):
                        found[name] = int(value.split()[0])
        except OSError as e:
            raise BenchFailure('cannot read the memory of pid %d (%s); is the "remote" really this host?' % (pid, e))
        rollup = {}
        try:
            with open('/proc/%d/smaps_rollup' % pid) as smaps:
                for line in smaps:
                    name, _, value = line.partition(':')
                    if value.strip().endswith('kB'):
                        rollup[name] = int(value.split()[0])
        except OSError:
            pass

        def total(*names):
            return sum(rollup[n] for n in names) if all(n in rollup for n in names) else None

        return {'VmHWM': found.get('VmHWM'), 'VmRSS': found.get('VmRSS'), 'Rss': rollup.get('Rss'),
                'private': total('Private_Clean', 'Private_Dirty'), 'shared': total('Shared_Clean', 'Shared_Dirty')}

    def source_commit(directory):
        """The git commit of the Mitogen source in use: $MITOGEN_COMMIT, else git's, else 'unknown'."""
        if os.environ.get('MITOGEN_COMMIT'):
            return os.environ['MITOGEN_COMMIT']
        try:
            done = subprocess.run(['git', '-C', directory, 'rev-parse', '--show-toplevel', 'HEAD'],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return 'unknown'
        lines = done.stdout.split()
        # Only a repository whose top is that directory: not one that merely contains it.
        if done.returncode != 0 or len(lines) != 2 or os.path.realpath(lines[0]) != os.path.realpath(directory):
            return 'unknown'
        return lines[1]

    def describe(ctx):
        return getattr(ctx, 'name', None) or 'context %s' % (ctx.context_id,)

    def wait_answer(receiver, what, timeout):
        """The unpickled answer on `receiver`, or BenchFailure after `timeout` seconds."""
        try:
            return receiver.get(timeout=timeout).unpickle()
        except mitogen.core.TimeoutError:
            raise BenchFailure('%s: no answer within %d s (hung context?)' % (what, timeout))

    def call(ctx, fn, *args, **kwargs):
        """ctx.call(fn, *args) with a timeout (Mitogen 0.3.3's call() has none)."""
        timeout = kwargs.pop('timeout', CALL_TIMEOUT_S)
        try:
            return ctx.call_async(fn, *args).get(timeout=timeout).unpickle()
        except mitogen.core.TimeoutError:
            raise BenchFailure('%s() in %s: no answer within %d s (hung context?)'
                               % (fn.__name__, describe(ctx), timeout))

    def shut_down(contexts):
        """Ask every context to shut down at once, then wait for each to disconnect."""
        latches = [(ctx, ctx.shutdown()) for ctx in contexts]
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
        for ctx, latch in latches:
            try:
                latch.get(timeout=max(0.1, deadline - time.monotonic()))
            except mitogen.core.TimeoutError:
                raise BenchFailure('%s did not disconnect within %d s of shutdown()'
                                   % (describe(ctx), SHUTDOWN_TIMEOUT_S))

    def abandon(contexts):
        """On the way out after a failure: ask for shutdown but do not wait, so that the first
        error is the one reported; the broker's teardown disconnects whatever is left."""
        for ctx in contexts:
            try:
                ctx.shutdown()
            except Exception:
                pass

    def parse_args():
        def count(text):
            value = int(text)
            if value < 1:
                raise argparse.ArgumentTypeError('wants a whole number of 1 or more, got %r' % (text,))
            return value

        parser = argparse.ArgumentParser(
            description="Mitogen's figures for Econtext's bench/run, against the loopback sshd that "
                        "bench/run brings up (PEERS_SSH_CONFIG, PEERS_HOST). Progress on stderr, one "
                        "JSON line on stdout.")
        parser.add_argument('--connects', type=count, default=10, metavar='N',
                            help='local and ssh connects (each: connect + first call + shutdown) whose '
                                 'median is reported, after one unmeasured warm-up connect (default 10)')
        parser.add_argument('--calls', type=count, default=5000, metavar='N',
                            help='timed call round trips of a no-op on an established context, after %d '
                                 'untimed ones (default 5000)' % RTT_WARMUP_CALLS)
        parser.add_argument('--mib', type=count, default=100, metavar='N',
                            help='MiB sent as 1 MiB raw messages, and size of the file streamed by '
                                 'FileService, on each established context (default 100)')
        parser.add_argument('--fanout', type=count, default=20, metavar='N',
                            help='ssh contexts started at once, one thread each, to the host aliases '
                                 '$PEERS_HOST-1 .. $PEERS_HOST-N (default 20)')
        parser.add_argument('--fanout-reps', type=count, default=1, metavar='N',
                            help='times the fan-out is repeated; its figures are medians (default 1)')
        parser.add_argument('--file-mib', type=int, default=0, metavar='N',
                            help='over ssh (compression=False): an N MiB file pushed and fetched through '
                                 'FileService between real files, as Econtext.Bench --file-mib (default 0: skipped)')
        parser.add_argument('--python', default='/usr/bin/python3', metavar='PATH',
                            help="interpreter of the children, Mitogen's python_path= (default /usr/bin/python3)")
        parser.add_argument('--skip-compression-on', action='store_true',
                            help="skip the established-context run over ssh with Mitogen's default "
                                 "compression=True (the \"ssh\" key); compression=False is always run")
        return parser.parse_args()

    def peers_from_environment():
        config = os.environ.get('PEERS_SSH_CONFIG')
        host = os.environ.get('PEERS_HOST')
        if not config or not host:
            say('PEERS_SSH_CONFIG and PEERS_HOST are not set. Run this through bench/run, which brings '
                'up the loopback sshd it measures, or start that sshd first: eval "$(bench/loopback-sshd up)"')
            sys.exit(2)
        if not os.path.isfile(config):
            say('PEERS_SSH_CONFIG names %s, which is not a file; is the loopback sshd still up? '
                '(bench/run, or eval "$(bench/loopback-sshd up)")' % (config,))
            sys.exit(2)
        return config, host

    def choose_host_key_mode(config, host):
        """Make sure the sshd answers, and pick a check_host_keys= that cannot fail on it.

        First `ssh true` with StrictHostKeyChecking=accept-new, which records the loopback sshd's key
        in the known_hosts file the ssh_config names if it is not there yet (what Mitogen's 'accept'
        would do, without the pty 'accept' needs). Then the same with StrictHostKeyChecking=yes, which
        is what Mitogen's default 'enforce' runs: if that passes, 'enforce' is used; if not (say the
        config's known_hosts is /dev/null), 'ignore'."""
        def ssh_true(strict):
            argv = ['ssh', '-F', config, '-o', 'BatchMode yes', '-o', 'StrictHostKeyChecking ' + strict,
                    '-o', 'ConnectTimeout 15', host, 'true']
            try:
                return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True, timeout=45)
            except subprocess.TimeoutExpired:
                raise BenchFailure('`%s` did not finish within 45 s' % ' '.join(argv))

        probe = ssh_true('accept-new')
        if probe.returncode != 0:
            raise BenchFailure('ssh -F %s %s true failed (exit %d): %s; is the loopback sshd up?'
                               % (config, host, probe.returncode, probe.stderr.strip()))
        if ssh_true('yes').returncode == 0:
            return 'enforce'
        say("the host key of %s is not in a known_hosts file ssh reads; using check_host_keys='ignore'" % (host,))
        return 'ignore'

    def measure_connects(label, connect, n):
        """`n` times: connect, first call of noop(), shut down; one untimed warm-up before."""
        def once():
            began = time.perf_counter()
            ctx = connect()
            try:
                call(ctx, noop)
            except BaseException:
                abandon([ctx])
                raise
            took = time.perf_counter() - began
            shut_down([ctx])
            return took

        warmup = once()
        runs = [once() for _ in range(n)]
        say('%s connect + first call: median %.1f ms (%s)' % (label, ms(statistics.median(runs)),
                                                               ', '.join('%.1f' % ms(r) for r in runs)))
        return {'median_ms': ms(statistics.median(runs)), 'runs_ms': [ms(r) for r in runs],
                'min_ms': ms(min(runs)), 'warmup_ms': ms(warmup), 'n': n}

    def measure_established(label, router, ctx, args, blob, payload, warm):
        """Round trips, raw messages, FileService and the child's memory, on one context."""
        out = {}
        # The first call answered: the context is up; its pid is the child's own os.getpid().
        pid = call(ctx, os.getpid)
        boot_mem = memory_kib(pid)

        for _ in range(RTT_WARMUP_CALLS):
            call(ctx, noop)
        samples = []
        clock = time.perf_counter
        try:
            for _ in range(args.calls):
                began = clock()
                ctx.call_async(noop).get(timeout=CALL_TIMEOUT_S).unpickle()
                samples.append(clock() - began)
        except mitogen.core.TimeoutError:
            raise BenchFailure('%s: a timed noop() went unanswered for %d s (hung context?)' % (label, CALL_TIMEOUT_S))
        out['call_rtt'] = {'median_us': us(statistics.median(samples)), 'p90_us': us(percentile(samples, 90)),
                           'p99_us': us(percentile(samples, 99)), 'min_us': us(min(samples)), 'n': len(samples)}
        say('%s call RTT: median %.1f us, p99 %.1f us' % (label, out['call_rtt']['median_us'], out['call_rtt']['p99_us']))
        out['child_mem_idle_kib'] = memory_kib(pid)

        # Raw messages: the child's Receiver handle comes back through a Sender, then --mib messages
        # of 1 MiB each are sent to it without waiting; the clock stops when the child has counted
        # every byte and its answer is here.
        limit = transfer_timeout_s(args.mib)
        handle_box = mitogen.core.Receiver(router)
        try:
            counted = ctx.call_async(drain_messages, handle_box.to_sender(), args.mib, MESSAGE_GAP_TIMEOUT_S)
            child_handle = wait_answer(handle_box, 'the Receiver handle from %s' % describe(ctx), CALL_TIMEOUT_S)
        finally:
            handle_box.close()
        began = time.perf_counter()
        for _ in range(args.mib):
            ctx.send(mitogen.core.Message(data=blob, handle=child_handle))
        received = wait_answer(counted, 'drain_messages() in %s' % describe(ctx), limit)
        took = time.perf_counter() - began
        if received != args.mib * MIB:
            raise BenchFailure('%s: the child counted %d bytes of raw messages, %d were sent' % (label, received, args.mib * MIB))
        out['send_1mib_msgs'] = {'mib': args.mib, 'seconds': round(took, 3), 'mib_per_s': round(args.mib / took, 1)}
        say('%s 1 MiB raw messages: %.1f MiB/s' % (label, args.mib / took))

        # FileService: the child pulls the registered file from the parent's service pool. One small
        # untimed transfer each way first, so that neither timed one includes the child importing
        # mitogen.service or starting its service pool (Econtext's file rows warm up the same way).
        call(ctx, pull_file, router.myself(), warm)
        get_with_timeout(ctx, warm, ByteCounter(), CALL_TIMEOUT_S)
        began = time.perf_counter()
        ok, got, size, child_seconds = call(ctx, pull_file, router.myself(), payload, timeout=limit)
        took = time.perf_counter() - began
        if not ok or got != args.mib * MIB or size != args.mib * MIB:
            raise BenchFailure('%s: FileService transfer incomplete (ok=%r, %d of %d bytes)' % (label, ok, got, size))
        out['file_service'] = {'mib': args.mib, 'seconds': round(took, 3), 'mib_per_s': round(args.mib / took, 1),
                               'child_seconds': round(child_seconds, 3)}
        say('%s FileService push: %.1f MiB/s' % (label, args.mib / took))

        # The same the other way: this process pulls the file from the child's FileService (the
        # child is on this host, so it reads the same payload file), into a sink that keeps nothing.
        sink = ByteCounter()
        began = time.perf_counter()
        ok, metadata = get_with_timeout(ctx, payload, sink, limit)
        took = time.perf_counter() - began
        if not ok or sink.total != args.mib * MIB or metadata['size'] != args.mib * MIB:
            raise BenchFailure('%s: FileService fetch incomplete (ok=%r, %d of %d bytes)' % (label, ok, sink.total, metadata['size']))
        out['file_fetch'] = {'mib': args.mib, 'seconds': round(took, 3), 'mib_per_s': round(args.mib / took, 1)}
        say('%s FileService fetch: %.1f MiB/s' % (label, args.mib / took))

        out['child_mem_after_boot_kib'] = boot_mem
        out['child_mem_after_files_kib'] = memory_kib(pid)
        return out

    def get_with_timeout(ctx, path, sink, timeout):
        """FileService.get(ctx, path, sink) in this process, ended by BenchFailure after `timeout`
        seconds: get() itself waits for ever, so it runs in a thread and a stuck one is abandoned."""
        box = {}

        def fetch():
            try:
                box['answer'] = mitogen.service.FileService.get(ctx, path, sink)
            except BaseException as e:
                box['error'] = e

        worker = threading.Thread(target=fetch, name='fetch', daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise BenchFailure('FileService.get(%s, %s): not done within %d s (hung context?)' % (describe(ctx), path, timeout))
        if 'error' in box:
            raise box['error']
        return box['answer']

    def measure_big_file(label, router, ctx, source, mib, workdir):
        """An `mib` MiB file pushed to the child and fetched back, real files on disk both ways."""
        limit = transfer_timeout_s(mib)
        out = {'mib': mib}
        pid = call(ctx, os.getpid)
        pushed = os.path.join(workdir, 'pushed.bin')
        began = time.perf_counter()
        ok, written, size = call(ctx, pull_file_to, router.myself(), source, pushed, timeout=limit)
        took = time.perf_counter() - began
        if not ok or written != mib * MIB or size != mib * MIB or os.path.getsize(pushed) != mib * MIB:
            raise BenchFailure('%s: %d MiB push incomplete (ok=%r, %d of %d bytes)' % (label, mib, ok, written, mib * MIB))
        os.unlink(pushed)
        out['push_mib_per_s'] = round(mib / took, 1)
        out['push_seconds'] = round(took, 3)
        say('%s %d MiB file push: %.1f MiB/s' % (label, mib, mib / took))

        fetched = os.path.join(workdir, 'fetched.bin')
        began = time.perf_counter()
        with open(fetched, 'wb') as sink:
            ok, metadata = get_with_timeout(ctx, source, sink, limit)
            written = sink.tell()
        took = time.perf_counter() - began
        if not ok or written != mib * MIB or metadata['size'] != mib * MIB:
            raise BenchFailure('%s: %d MiB fetch incomplete (ok=%r, %d of %d bytes)' % (label, mib, ok, written, mib * MIB))
        os.unlink(fetched)
        out['fetch_mib_per_s'] = round(mib / took, 1)
        out['fetch_seconds'] = round(took, 3)
        say('%s %d MiB file fetch: %.1f MiB/s' % (label, mib, mib / took))
        out['child_mem_after_kib'] = memory_kib(pid)
        out['how'] = ('push: the child runs FileService.get(parent, path, open(dest, "wb")) on a registered urandom '
                      'file; fetch: this process runs FileService.get(child, path, open(dest, "wb")) against the '
                      "child's service pool; each timed around the whole transfer, destinations on this host's "
                      '%s, removed after' % (workdir,))
        return out

    def measure_fanout(router, ssh_options, host, n):
        """Start n ssh contexts together, one thread each, one call each. Answers (seconds from the
        start until the last of those calls answered, seconds for a second call on all of them)."""
        go = threading.Event()
        contexts = [None] * n
        answered_at = [None] * n
        errors = []

        def one(i):
            alias = '%s-%d' % (host, i + 1)
            try:
                if not go.wait(CONNECT_TIMEOUT_S):
                    return
                contexts[i] = router.ssh(**ssh_options(alias, compression=False))
                call(contexts[i], noop)
                answered_at[i] = time.perf_counter()
            except Exception as e:
                errors.append('%s: %s' % (alias, e))

        threads = [threading.Thread(target=one, args=(i,), name='fanout-%d' % (i + 1), daemon=True)
                   for i in range(n)]
        for thread in threads:
            thread.start()
        began = time.perf_counter()
        go.set()
        try:
            deadline = time.monotonic() + CONNECT_TIMEOUT_S + CALL_TIMEOUT_S + 10
            for thread in threads:
                thread.join(max(0.1, deadline - time.monotonic()))
            stuck = [t.name for t in threads if t.is_alive()]
            if stuck:
                raise BenchFailure('fan-out: %s still connecting after %d s' % (', '.join(stuck), CONNECT_TIMEOUT_S + CALL_TIMEOUT_S))
            if errors:
                raise BenchFailure('fan-out: %d of %d contexts failed, first: %s' % (len(errors), n, errors[0]))
            first = max(answered_at) - began

            began = time.perf_counter()
            pending = [(ctx, ctx.call_async(noop)) for ctx in contexts]
            for ctx, receiver in pending:
                wait_answer(receiver, 'second noop() in %s' % describe(ctx), CALL_TIMEOUT_S)
            second = time.perf_counter() - began
        except BaseException:
            abandon([ctx for ctx in contexts if ctx is not None])
            raise
        shut_down(contexts)
        return first, second

    def run(args, config, host):
        mode = choose_host_key_mode(config, host)

        def ssh_options(hostname, compression):
            return dict(hostname=hostname, ssh_args=['-F', config], python_path=args.python,
                        compression=compression, check_host_keys=mode, connect_timeout=CONNECT_TIMEOUT_S)

        def connect_local():
            return router.local(python_path=args.python, connect_timeout=CONNECT_TIMEOUT_S)

        def connect_ssh(compression):
            return router.ssh(**ssh_options(host, compression))

        version = '.'.join(str(p) for p in mitogen.__version__)
        source = os.path.dirname(os.path.dirname(os.path.abspath(mitogen.__file__)))
        commit = source_commit(source)
        result = {
            'tool': 'mitogen',
            'version': 'mitogen %s, python %s' % (version, platform.python_version()),
            'mitogen_version': version,
            'mitogen_source': source,
            'mitogen_commit': commit,
            'machine': '%d cpu, %s %s' % (os.cpu_count() or 0, platform.system(), platform.release()),
            'params': {'connects': args.connects, 'calls': args.calls, 'mib': args.mib, 'fanout': args.fanout,
                       'fanout_reps': args.fanout_reps, 'python': args.python,
                       'skip_compression_on': args.skip_compression_on, 'check_host_keys': mode,
                       'file_mib': args.file_mib},
        }
        workdir = tempfile.mkdtemp(prefix='mitogen-bench.')
        broker = mitogen.master.Broker()
        router = mitogen.master.Router(broker)
        pool = None
        try:
            result['local_connect_first_call'] = measure_connects('local', connect_local, args.connects)
            result['local_connect_first_call']['how'] = (
                'router.local(python_path=%s) + first call of a no-op defined in this script (so the call '
                'includes shipping the script\'s module to the child), then shutdown; median of --connects, '
                'after one untimed warm-up connect' % (args.python,))
            result['ssh_connect_first_call'] = measure_connects('ssh', lambda: connect_ssh(False), args.connects)
            result['ssh_connect_first_call']['how'] = (
                "router.ssh(hostname=$PEERS_HOST, ssh_args=['-F', $PEERS_SSH_CONFIG], compression=False, "
                "check_host_keys='%s') + first call of the same no-op, then shutdown; compression=False as in "
                "ssh_compression_off and ssh_fanout; median of --connects, after one untimed warm-up connect" % (mode,))

            # One incompressible file and one incompressible 1 MiB message, made once for all contexts.
            payload = os.path.join(workdir, 'payload.bin')
            with open(payload, 'wb') as f:
                for _ in range(args.mib):
                    f.write(os.urandom(MIB))
            blob = os.urandom(MIB)
            warm = os.path.join(workdir, 'warm.bin')
            with open(warm, 'wb') as f:
                f.write(os.urandom(MIB))
            big = None
            if args.file_mib > 0:
                big = os.path.join(workdir, 'big.bin')
                with open(big, 'wb') as f:
                    for _ in range(args.file_mib):
                        f.write(os.urandom(MIB))
            service = mitogen.service.FileService(router)
            for path in (payload, warm, big):
                if path:
                    service.register(path)
            # Two worker threads, Mitogen's own default for its service pool.
            pool = mitogen.service.Pool(router, services=[service], size=2)

            how_established = (
                'one context: call RTT of context.call_async(noop).get(timeout) (what call() does, plus a '
                'timeout) after %d untimed calls, percentiles interpolated; send_1mib_msgs: --mib raw '
                'mitogen.core.Message of 1 MiB (os.urandom) sent without waiting to a Receiver in the child, '
                'timed until the child answers that it counted every byte; file_service (push): the child runs '
                'FileService.get(parent, path, sink that discards) on a --mib MiB urandom file registered with '
                'the parent\'s service pool, timed around the call; file_fetch: this process runs '
                'FileService.get(child, path, sink that discards) against the child\'s service pool; one untimed '
                '1 MiB transfer each way before them; child memory from /proc/<child pid>/status and '
                'smaps_rollup after the first call (after_boot), after the timed calls (idle) and after the '
                'raw messages and both files (after_files)' % (RTT_WARMUP_CALLS,))
            runs = [('local', 'local', 'router.local()', connect_local),
                    ('ssh_compression_off', 'ssh(compression=False)', 'router.ssh(compression=False)',
                     lambda: connect_ssh(False)),
                    ('ssh', 'ssh(compression=True)', "router.ssh() with Mitogen's default compression=True",
                     lambda: connect_ssh(True))]
            if args.skip_compression_on:
                runs.pop()
            for key, label, transport, connect in runs:
                ctx = connect()
                try:
                    result[key] = measure_established(label, router, ctx, args, blob, payload, warm)
                    if big and key == 'ssh_compression_off':
                        result['big_file'] = measure_big_file(label, router, ctx, big, args.file_mib, workdir)
                        result['big_file']['transport'] = transport
                except BaseException:
                    abandon([ctx])
                    raise
                shut_down([ctx])
                result[key]['how'] = transport + ', ' + how_established
            if args.skip_compression_on:
                say("skipped the ssh run with compression=True (--skip-compression-on)")

            firsts, seconds = [], []
            for rep in range(args.fanout_reps):
                first, second = measure_fanout(router, ssh_options, host, args.fanout)
                firsts.append(first)
                seconds.append(second)
                say('fan-out of %d ssh contexts: connect + call %.1f ms, second call on all %.1f ms'
                    % (args.fanout, ms(first), ms(second)))
            result['ssh_fanout'] = {
                'contexts': args.fanout,
                'connect_and_call_median_ms': ms(statistics.median(firsts)),
                'runs_ms': [ms(s) for s in firsts],
                'second_call_ms': ms(statistics.median(seconds)),
                'second_call_runs_ms': [ms(s) for s in seconds],
                'how': 'one thread per context, all released together: router.ssh(hostname=$PEERS_HOST-i, '
                       'compression=False) + one noop call each, timed from the release until the last '
                       'call answered; then noop on all at once (call_async to every context, then wait '
                       'for every answer); then all shut down; medians of --fanout-reps',
            }
            result['parent_mem_kib'] = memory_kib(os.getpid())
        finally:
            # A stuck teardown must not hang the run either: give it TEARDOWN_TIMEOUT_S, then leave.
            watchdog = threading.Timer(TEARDOWN_TIMEOUT_S, lambda: (
                say('teardown (service pool, broker) did not finish within %d s; exiting' % TEARDOWN_TIMEOUT_S),
                os._exit(1)))
            watchdog.daemon = True
            watchdog.start()
            try:
                if pool is not None:
                    pool.stop(join=True)
                broker.shutdown()
                broker.join()
            finally:
                watchdog.cancel()
                shutil.rmtree(workdir, ignore_errors=True)
        return result

    def main():
        args = parse_args()
        config, host = peers_from_environment()
        try:
            result = run(args, config, host)
        except BenchFailure as e:
            say('FAILED: %s' % (e,))
            return 1
        except (mitogen.core.Error, OSError) as e:
            say('FAILED: %s: %s' % (type(e).__name__, e))
            return 1
        sys.stdout.write(json.dumps(result) + '\n')
        sys.stdout.flush()
        return 0

    sys.exit(main())
