#!/usr/bin/env python3
"""Times `fluxtag check` against `git grep` on one tree, the runs of each case interleaved.

Usage: bench/paired.py FLUXTAG TREE [ROUNDS] [CHANGED_FILE]

Each round runs, in this order: `git grep -c '"$imagepolicy"'`, `fluxtag check` with a warm
analysis cache, the same after appending a comment line to CHANGED_FILE (the pre-commit case:
one file changed since the last run), and `fluxtag check --no-cache` (cold: every file parsed).
Interleaving makes every case see the same machine load, which on a shared machine moves a lot
between seconds; the ratios printed are medians of each round's own ratio to git grep. Wall
time, CPU time (user + system, to show how many cores a run kept busy) and peak resident memory
come from each process's own rusage. The tree is left as it was (the appended lines removed).
"""

import os
import statistics
import subprocess
import sys
import time


def run(argv, cwd, env):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    # 0: clean, 1: findings; anything else is a failed run and must not be timed.
    if code not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited with {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    fluxtag, tree = os.path.realpath(sys.argv[1]), sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    changed = sys.argv[4] if len(sys.argv) > 4 else None
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = os.path.join(os.path.realpath(tree), ".git", "bench-cache")
    check = [fluxtag, "check", "--root", ".", "--tags-from", "tags.json", "--format", "json"]
    cases = {
        "git grep": ["git", "grep", "-c", '"$imagepolicy"'],
        "check, warm cache": check,
        "check, one file changed": check,
        "check --no-cache (cold)": check + ["--no-cache"],
    }
    original = None
    if changed:
        with open(os.path.join(tree, changed), "rb") as f:
            original = f.read()
    results = {name: [] for name in cases}
    try:
        for _ in range(3):  # warm-up: page cache and analysis cache filled
            run(check, tree, env)
            run(cases["git grep"], tree, env)
        for n in range(rounds):
            for name, argv in cases.items():
                if name == "check, one file changed":
                    if not changed:
                        continue
                    with open(os.path.join(tree, changed), "ab") as f:
                        f.write(f"# bench edit {n}\n".encode())
                results[name].append(run(argv, tree, env))
            if changed:
                with open(os.path.join(tree, changed), "wb") as f:
                    f.write(original)
                run(check, tree, env)  # the next round's warm run sees a filled cache again
    finally:
        if changed and original is not None:
            with open(os.path.join(tree, changed), "wb") as f:
                f.write(original)
    grep = [wall for wall, _, _ in results["git grep"]]
    print(f"{'case':26} {'median wall':>12} {'min':>8} {'cpu/wall':>9} {'peak RSS':>9}"
          f" {'ratio to git grep (median of rounds)':>38}")
    for name, samples in results.items():
        if not samples:
            continue
        walls = [s[0] for s in samples]
        cpu = statistics.median(s[1] / s[0] for s in samples)
        rss = max(s[2] for s in samples) / 1024  # ru_maxrss is in kilobytes on Linux
        ratio = statistics.median(w / g for w, g in zip(walls, grep))
        print(f"{name:26} {statistics.median(walls) * 1000:9.1f} ms {min(walls) * 1000:5.1f} ms"
              f" {cpu:8.2f}x {rss:6.1f} MB {ratio:37.2f}x")


if __name__ == "__main__":
    main()
