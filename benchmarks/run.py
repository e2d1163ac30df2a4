"""Time `uq status --json` cold and warm against git on the same repository, in the same run.

    python benchmarks/run.py REPO [--profile master] [--repeat 3] [--record benchmarks/RESULTS.md]

Prints wall time and peak memory (max RSS of the process tree) of each command and the ratios
to `git cherry`, and checks uq's answer against the generator's truth file (REPO.truth.json)
when there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass
class Timing:
    """Wall time and peak resident memory of one command line (a pipeline counts its largest process)."""

    label: str
    seconds: float
    peak_mib: float
    output_lines: int


def run_measured(label: str, commands: list[list[str]]) -> tuple[Timing, bytes]:
    """Run COMMANDS as a pipeline; return wall time and the largest max-RSS among its processes."""
    start = time.perf_counter()
    procs: list[subprocess.Popen[bytes]] = []
    stdin = None
    for i, cmd in enumerate(commands):
        last = i == len(commands) - 1
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if stdin is not None:
            stdin.close()
        stdin = proc.stdout if not last else None
        procs.append(proc)
    out = procs[-1].stdout.read() if procs[-1].stdout else b""
    peak = 0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss)
        if proc.returncode != 0:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"{label}: {' '.join(proc.args)} failed ({proc.returncode}): {err[-2000:]}")  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    return Timing(label, seconds, peak / 1024, out.count(b"\n")), out


def best_of(repeat: int, label: str, commands: list[list[str]], before: list[str] | None = None) -> tuple[Timing, bytes]:
    """The fastest of REPEAT runs (running BEFORE ahead of each, untimed)."""
    best: tuple[Timing, bytes] | None = None
    for _ in range(repeat):
        if before:
            subprocess.run(before, check=True, capture_output=True)
        timing, out = run_measured(label, commands)
        if best is None or timing.seconds < best[0].seconds:
            best = (timing, out)
    assert best is not None
    return best


def git_config(repo: Path, key: str) -> str:
    """One value of the repository's config."""
    return subprocess.run(["git", f"--git-dir={repo}", "config", key], capture_output=True, text=True, check=True).stdout.strip()


def check_truth(repo: Path, answer: dict) -> str:
    """Compare uq's answer with the generator's truth file; return a one-line verdict."""
    truth_path = Path(str(repo).rstrip("/") + ".truth.json")
    if not truth_path.exists():
        return "no truth file"
    truth = json.loads(truth_path.read_text())
    states = {c["id"]: c for c in answer["commits"]}
    problems = []
    for key, want in (("landed_exact", "landed"), ("landed_morphed", "landed"), ("queued", "queued")):
        items = truth.get(key, [])
        ids = [i["downstream"] if isinstance(i, dict) else i for i in items]
        wrong = [i for i in ids if states.get(i, {}).get("state") != want]
        if wrong:
            problems.append(f"{len(wrong)}/{len(ids)} {key} not reported {want}")
    return "matches truth" if not problems else "; ".join(problems)


def main() -> int:
    """Run the comparison and print (and optionally record) the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--profile", default="master")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best counts")
    parser.add_argument("--skip-full-patch-id", action="store_true", help="skip the slow full git patch-id pass")
    parser.add_argument("--record", type=Path, help="append the figures to this Markdown file")
    args = parser.parse_args()

    repo = args.repo.resolve()
    uq = shutil.which("uq") or str(Path(sys.executable).parent / "uq")
    up = git_config(repo, f"uq.{args.profile}.upstream")
    down = git_config(repo, f"uq.{args.profile}.downstream")
    git = ["git", f"--git-dir={repo}"]
    counts = {
        "upstream non-merge commits": subprocess.run(git + ["rev-list", "--count", "--no-merges", up], capture_output=True, text=True).stdout.strip(),
        "downstream-only commits": subprocess.run(git + ["rev-list", "--count", "--no-merges", down, f"^{up}"], capture_output=True, text=True).stdout.strip(),
    }

    status = [uq, "--repo", str(repo), "status", "--json", "--profile", args.profile]
    clear = [uq, "--repo", str(repo), "cache", "clear"]
    rows: list[Timing] = []
    cherry, _ = best_of(args.repeat, "git cherry", [git + ["cherry", up, down]])
    rows.append(cherry)
    rows.append(best_of(args.repeat, "git log --cherry-pick --right-only --no-merges",
                        [git + ["log", "--cherry-pick", "--right-only", "--no-merges", "--format=%H", f"{up}...{down}"]])[0])
    if not args.skip_full_patch_id:
        rows.append(best_of(1, "git log -p upstream | git patch-id --stable",
                            [git + ["log", "-p", "--no-merges", up], git + ["patch-id", "--stable"]])[0])
    cold, _ = best_of(args.repeat, "uq status --json (cold)", [status], before=clear)
    rows.append(cold)
    warm, out = best_of(args.repeat, "uq status --json (warm)", [status])
    rows.append(warm)
    answer = json.loads(out)
    verdict = check_truth(repo, answer)

    lines = [
        f"### {date.today().isoformat()} — {platform.node()} ({os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()})",
        "",
        f"Repository: `{repo.name}`; " + "; ".join(f"{k}: {v}" for k, v in counts.items()) + ".",
        f"uq summary: {json.dumps(answer['summary'])}; check: {verdict}.",
        "",
        "| command | wall (s) | vs git cherry | peak RSS (MiB) | output lines |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row.label} | {row.seconds:.2f} | {row.seconds / cherry.seconds:.2f}x | {row.peak_mib:.0f} | {row.output_lines} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        with args.record.open("a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
