#!/usr/bin/python3
# merge-rounds.py - one JSON line from the JSON lines of several rounds of the same benchmark
# (bench/run --rounds N): every number becomes the median of its rounds, lists of samples are joined
# (runs_ms of three rounds of 10 connects: 30 samples), text is taken from the first round that has
# it, and "rounds" says how many rounds there were. A round that lacks a key (a part that failed
# once) simply does not count for that key.
# usage: merge-rounds.py ROUND1.json [ROUND2.json ...]
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        lines = f.read().strip().splitlines()
    return json.loads(lines[-1])


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def merge(values):
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, dict) for v in present):
        keys = []
        for v in present:
            keys += [k for k in v if k not in keys]
        return {k: merge([v.get(k) for v in present]) for k in keys}
    if all(is_number(v) for v in present):
        m = statistics.median(present)
        if all(isinstance(v, int) for v in present) and float(m).is_integer():
            return int(m)
        return round(m, 2)
    if all(isinstance(v, list) for v in present):
        return [x for v in present for x in v]
    return present[0]


rounds = [load(p) for p in sys.argv[1:]]
out = merge(rounds)
out['rounds'] = len(rounds)
print(json.dumps(out))
