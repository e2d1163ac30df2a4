"""How fast could any exact cold `uq status` be? The git work it cannot avoid, timed beside `git cherry`.

    python benchmarks/floor.py REPO [--profile master] [--repeat 3]

An exact answer (every downstream-only commit against ALL of upstream, patch-ids identical to
`git patch-id --stable`) has to, at the least:

1. walk every upstream commit and learn the paths it touches (its tree diff);
2. learn the paths the downstream-only commits touch (finding which commits those are is not
   counted: a single walk could share it with the first);
3. read file contents for each upstream commit whose set of paths equals a downstream commit's
   (equal patch-ids imply equal path sets; deciding whether the hunks are equal needs the
   contents, whatever does the diffing): here only the files as the commit leaves them, the
   least that could tell a candidate apart, and both sides of each such downstream commit.

This runs each step with git's own quickest command (CPU time of the git process, best of
REPEAT) and prints their sum, and that sum spread perfectly over the machine's cores, against
`git cherry`. No Python work, no diffing, no hashing and no storing is counted: the real floor
is higher.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from pathlib import Path


def cpu_of(cmd: list[str], stdin: bytes | None = None) -> tuple[float, bytes]:
    """CPU seconds (user + system) of CMD, a child process, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, input=stdin, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def best_cpu(repeat: int, cmd: list[str], stdin: bytes | None = None) -> tuple[float, bytes]:
    """The least CPU time of REPEAT runs of CMD, and its output."""
    runs = [cpu_of(cmd, stdin) for _ in range(repeat)]
    return min(r[0] for r in runs), runs[0][1]


def touched(log_output: bytes) -> dict[str, frozenset[bytes]]:
    """Commit id -> the set of paths it touches, from `git log --format=%x00%H --name-only` output."""
    found: dict[str, frozenset[bytes]] = {}
    for record in log_output.split(b"\0")[1:]:
        lines = record.split(b"\n")
        found[lines[0].decode()] = frozenset(line for line in lines[1:] if line)
    return found


def new_side_and_both(git: list[str], ids: list[str], sides: tuple[int, ...]) -> list[str]:
    """The blob ids of IDS' changed files: column 2 is the file before a commit, 3 after it."""
    raw = subprocess.run([*git, "diff-tree", "--stdin", "-r", "--root", "--raw", "--no-abbrev", "--no-renames"],
                         input=("\n".join(ids) + "\n").encode(), capture_output=True, check=True).stdout
    blobs = []
    for line in raw.decode().splitlines():
        if line.startswith(":"):
            fields = line.split()
            blobs += [fields[n] for n in sides if fields[n].strip("0")]
    return blobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--profile", default="master")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    git = ["git", f"--git-dir={args.repo}"]

    def config(key: str) -> str:
        return subprocess.run([*git, "config", f"uq.{args.profile}.{key}"], capture_output=True, text=True,
                              check=True).stdout.strip()

    down, up = config("downstream"), config("upstream")
    walk = ["log", "--no-merges", "--format=%x00%H", "--name-only", "--no-renames"]
    cherry, _ = best_cpu(args.repeat, [*git, "cherry", up, down])
    up_cpu, up_out = best_cpu(args.repeat, [*git, *walk, up])
    _, listed = cpu_of([*git, "rev-list", "--no-merges", down, f"^{up}"])
    down_cpu, down_out = best_cpu(args.repeat, [*git, "diff-tree", "--stdin", "-r", "--root", "--format=%x00%H",
                                                "--name-only", "--no-renames"], listed)
    up_paths, down_paths = touched(up_out), touched(down_out)
    wanted = set(down_paths.values())
    candidates = [c for c, paths in up_paths.items() if paths in wanted]
    probes = [c for c, paths in down_paths.items() if paths in set(up_paths.values())]
    blobs = new_side_and_both(git, candidates, sides=(3,)) + new_side_and_both(git, probes, sides=(2, 3))
    blob_cpu, _ = best_cpu(args.repeat, [*git, "cat-file", "--batch"], ("\n".join(blobs) + "\n").encode())
    total = up_cpu + down_cpu + blob_cpu
    cores = os.cpu_count() or 1
    print(f"git cherry: {cherry:.2f} s CPU")
    print(f"1. upstream walk with touched paths ({len(up_paths)} commits): {up_cpu:.2f} s")
    print(f"2. touched paths of the {len(down_paths)} downstream-only commits: {down_cpu:.2f} s")
    print(f"3. files after {len(candidates)} upstream commits, before and after {len(probes)} downstream ones, "
          f"with colliding paths ({len(blobs)} blobs): {blob_cpu:.2f} s")
    print(f"sum: {total:.2f} s CPU; over {cores} cores at best {total / cores:.2f} s = "
          f"{total / cores / cherry:.2f}x git cherry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
