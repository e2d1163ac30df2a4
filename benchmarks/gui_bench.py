"""Time the GUI on a large repository: first rows, full states, memory, event-loop stalls.

    python benchmarks/gui_bench.py REPO [--modes warm,cold] [--repeat 3] [--record benchmarks/RESULTS.md]

Each run starts the real app (`uqgui.app.main`) offscreen in a fresh process on REPO and records:

- the time from process start (the parent's clock just before it spawns the child) and from
  `main()` entry to the first rows of the downstream pane and of the queue pane (the model has
  rows and the view has painted them), and to the full states (the divergence is shown);
- peak RSS of the app process (git subprocesses are reported apart);
- the longest event-loop stall, measured two ways: a watchdog thread that pings the loop with
  `call_soon_threadsafe` every 5 ms and times the answer, and a 5 ms QTimer whose longest gap is
  kept. The watchdog starts with the loop's first turn (what runs before it is start-up, counted
  in the time to first rows).

`cold` clears the identity cache first (`uq cache clear`): it changes REPO's cache, so point it at
a copy when others use the same repository. `warm` warms it with one `uq status` first.
The medians of the runs are printed as a Markdown table; `--record FILE` appends them with the
machine and date under the file's "GUI" section (other sections are left as they are).
"""

from __future__ import annotations

import time

T_TOP = time.time()  # as early as the child can read the clock: before any import

# Only what the app imports anyway: the child's time before main() should be the real `uqgui`
# script's (the parent's tools are imported where the parent uses them).
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

BENCH_FILE = Path(__file__).resolve()
ROOT = BENCH_FILE.parents[1]
# The app run imports this file as a module (from its .pyc): run as a script, Python compiled its
# 500 lines on every start (~6 ms counted as the app's start-up, which the `uqgui` script does not pay).
CHILD_STUB = (f"import sys; sys.path.insert(0, {str(BENCH_FILE.parent)!r}); import gui_bench; "
              "sys.exit(gui_bench.child_main(sys.argv[1:]))")
SPAWN_ENV = "UQGUI_BENCH_SPAWN"
PING_INTERVAL_S = 0.005
SETTLE_S = 1.0  # keep watching the loop this long after the states are shown
SECTION = "## GUI"

TARGETS = {
    "start_downstream_rows": "≤ 300 ms (warm)",
    "start_queue_rows": "≤ 300 ms (warm)",
    "peak_rss_mib": "< 200 MiB",
    "stall_ping_ms": "≤ 50 ms",
    "stall_timer_ms": "≤ 50 ms",
}
LABELS = {
    "start_downstream_rows": "process start → first downstream rows painted (ms)",
    "start_queue_rows": "process start → first queue rows painted (ms)",
    "main_downstream_rows": "main() → first downstream rows painted (ms)",
    "main_queue_rows": "main() → first queue rows painted (ms)",
    "start_states": "process start → all states shown (ms)",
    "start_imports": "process start → main() entry (imports) (ms)",
    "start_bare_window": "reference: process start → a bare PySide6 window painted (ms)",
    "peak_rss_mib": "peak RSS, app process (MiB)",
    "peak_worker_rss_mib": "peak RSS, core worker process (MiB)",
    "peak_child_rss_mib": "peak RSS, largest child process, git or worker (MiB)",
    "stall_ping_ms": "longest loop stall, watchdog thread (ms)",
    "stall_timer_ms": "longest gap of a 5 ms QTimer (ms)",
    "downstream_rows": "downstream rows",
    "rows_before_states": "runs showing downstream rows before their states",
}
METRICS = list(LABELS)


# -- the child: one app run ----------------------------------------------------------------
def child(out: Path, repo: Path, timeout: float, source: Path) -> int:
    """Run the app (uqgui imported from SOURCE) on REPO, measure, write the JSON result to OUT."""
    spawn = float(os.environ.get(SPAWN_ENV, T_TOP))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Never read or disturb the user's window state and recent list.
    os.environ["UQGUI_SETTINGS"] = str(out.with_name("uqgui.ini"))
    import resource
    import threading

    sys.path.insert(0, str(source))
    main_entry = time.time()
    from uqgui import app as uqapp

    marks: dict[str, float] = {}
    pings: list[tuple[float, float]] = []  # (when, latency) in seconds, when relative to main entry
    gaps: list[tuple[float, float]] = []
    counts: dict[str, int] = {"row_updates_before_states": 0}
    stop = threading.Event()

    def mark(name: str) -> None:
        marks.setdefault(name, time.time())

    def on_window(window: Any) -> None:
        # Called before the first paint and before the event loop exists (uqgui.app.main): asyncio
        # is not imported here, which would put its import back before the first paint.
        from PySide6.QtCore import QEvent, QObject, Qt, QTimer

        mark("window_shown")
        loops: list[Any] = []
        panes = {"downstream": (window.downstream_pane.view.model(), window.downstream_pane.view),
                 "queue": (window.queue_pane.view.model(), window.queue_pane.view)}

        class PaintSpy(QObject):
            """Marks the first paint of a view whose model has rows."""

            def __init__(self, name: str, model: Any) -> None:
                super().__init__(window)
                self.name, self.model = name, model

            def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt override)
                if event.type() == QEvent.Type.Paint and self.model.rowCount() > 0:
                    mark(f"{self.name}_painted")
                return False

        spies = []
        for name, (model, view) in panes.items():
            def rows_changed(*_args: Any, name: str = name, model: Any = model) -> None:
                if model.rowCount() > 0:
                    mark(f"{name}_rows")
                    if name == "downstream" and window.divergence is None:
                        counts["row_updates_before_states"] += 1
            for signal in (model.modelReset, model.rowsInserted, model.layoutChanged):
                signal.connect(rows_changed)
            spy = PaintSpy(name, model)
            view.viewport().installEventFilter(spy)
            spies.append(spy)
        window._bench_spies = spies

        timer = QTimer(window)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(int(PING_INTERVAL_S * 1000))
        last = [0.0]

        def tick() -> None:
            now = time.perf_counter()
            if last[0]:
                gaps.append((time.time() - main_entry, now - last[0]))
            last[0] = now

        timer.timeout.connect(tick)

        def pinger() -> None:
            while not stop.is_set():
                sent = time.perf_counter()
                answered = threading.Event()

                def pong(sent: float = sent, answered: threading.Event = answered) -> None:
                    pings.append((time.time() - main_entry, time.perf_counter() - sent))
                    answered.set()

                try:
                    loops[0].call_soon_threadsafe(pong)
                except RuntimeError:  # the loop is closing
                    return
                answered.wait(30)
                time.sleep(PING_INTERVAL_S)

        def loop_started() -> None:
            # A zero timer may fire in the app's processEvents() before the loop exists: wait for it.
            asyncio = sys.modules.get("asyncio")
            try:
                loop = asyncio.get_running_loop() if asyncio is not None else None
            except RuntimeError:
                loop = None
            if loop is None:
                QTimer.singleShot(1, loop_started)
                return
            mark("loop_started")
            loops.append(loop)
            timer.start()
            threading.Thread(target=pinger, name="bench-watchdog", daemon=True).start()

        def states_shown() -> None:
            if window.divergence is not None and "states" not in marks:
                mark("states")
                QTimer.singleShot(int(SETTLE_S * 1000), finish)

        def finish() -> None:
            if window.ops.busy:  # let the last jobs end: their stalls count too
                QTimer.singleShot(50, finish)
                return
            worker_pid = getattr(getattr(window, "worker", None), "pid", None)
            if worker_pid:
                try:
                    status_text = Path(f"/proc/{worker_pid}/status").read_text()
                    hwm = next(line for line in status_text.splitlines() if line.startswith("VmHWM:"))
                    counts["worker_hwm_kib"] = int(hwm.split()[1])
                except (OSError, StopIteration, ValueError):
                    pass
            stop.set()
            timer.stop()
            window.close()

        def give_up() -> None:
            marks["timeout"] = time.time()
            stop.set()
            window.close()

        window.divergence_loaded.connect(states_shown)
        QTimer.singleShot(int(timeout * 1000), give_up)
        QTimer.singleShot(0, loop_started)  # the loop's first turn

    if os.environ.get("UQGUI_BENCH_SWITCH"):  # experiments with the GIL switch interval
        sys.setswitchinterval(float(os.environ["UQGUI_BENCH_SWITCH"]))
    status = uqapp.main([str(repo)], on_window=on_window)
    stop.set()
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)

    def since(base: float, name: str) -> float | None:
        return round((marks[name] - base) * 1000, 1) if name in marks else None

    loop_start = marks.get("loop_started", main_entry) - main_entry
    ping_after = [lat for when, lat in pings if when >= loop_start]
    gap_after = [gap for when, gap in gaps]
    worst = sorted(pings, key=lambda p: -p[1])[:5]
    result = {
        "status": status,
        "timed_out": "timeout" in marks,
        "start_imports": round((main_entry - spawn) * 1000, 1),
        "start_downstream_rows": since(spawn, "downstream_painted"),
        "start_queue_rows": since(spawn, "queue_painted"),
        "main_downstream_rows": since(main_entry, "downstream_painted"),
        "main_queue_rows": since(main_entry, "queue_painted"),
        "main_downstream_model_rows": since(main_entry, "downstream_rows"),
        "main_queue_model_rows": since(main_entry, "queue_rows"),
        "main_window_shown": since(main_entry, "window_shown"),
        "main_loop_started": since(main_entry, "loop_started"),
        "start_states": since(spawn, "states"),
        "main_states": since(main_entry, "states"),
        "peak_rss_mib": round(self_usage.ru_maxrss / 1024, 1),
        "peak_child_rss_mib": round(child_usage.ru_maxrss / 1024, 1),
        "peak_worker_rss_mib": round(counts.get("worker_hwm_kib", 0) / 1024, 1) or None,
        "stall_ping_ms": round(max(ping_after, default=0.0) * 1000, 1),
        "stall_timer_ms": round(max(gap_after, default=0.0) * 1000, 1),
        "pings": len(ping_after),
        "worst_pings": [(round(w * 1000), round(lat * 1000, 1)) for w, lat in worst],
        "row_updates_before_states": counts["row_updates_before_states"],
        "pygit2_in_gui_process": "pygit2" in sys.modules,
    }
    import json

    out.write_text(json.dumps(result, indent=2))
    return 0


# -- the parent: runs, medians, the table ----------------------------------------------------
def uq(repo: Path, *args: str) -> None:
    """Run the uq CLI of this checkout on REPO."""
    import subprocess

    subprocess.run([sys.executable, "-m", "uqgui.cli", "--repo", str(repo), *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cpu_busy(seconds: float = 0.5) -> float:
    """The fraction of CPU time the whole machine spent busy over SECONDS (from /proc/stat)."""
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(limit: float, max_wait: float) -> float:
    """Wait (up to MAX_WAIT s) until other processes use less than LIMIT of the CPU; return the last reading.

    Stalls and start-up times measure this process against everything else on the machine: on a
    shared two-core machine another benchmark doubles them.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


# The machine's own speed, measured beside each app run: a process that imports PySide6's widgets,
# makes a QApplication and paints one QLabel. On this virtual machine it moved by 40% between hours
# with nothing else running; the app's figures moved with it.
BARE_WINDOW = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("uqgui")
class Spy(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "seen"):
            self.seen = time.time()
            print(round((self.seen - float(os.environ["UQGUI_BENCH_SPAWN"])) * 1000, 1))
            QTimer.singleShot(0, app.quit)
        return False
spy = Spy()
label.installEventFilter(spy)
label.show()
app.exec()
"""


def bare_window_ms() -> float | None:
    """Process start to the first paint of a bare PySide6 window, in ms (None if it failed)."""
    import subprocess

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env[SPAWN_ENV] = repr(time.time())
    proc = subprocess.run([sys.executable, "-c", BARE_WINDOW], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    try:
        return float(proc.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def one_run(repo: Path, mode: str, timeout: float, quiet: float = 1.0, max_wait: float = 0.0,
            source: Path = ROOT) -> dict[str, Any]:
    """Prepare the cache for MODE, start the app in a child process, return its measurements."""
    import json
    import subprocess
    import tempfile

    if mode == "cold":
        uq(repo, "cache", "clear")
    busy_before = wait_quiet(quiet, max_wait) if max_wait > 0 else cpu_busy(0.2)
    bare = bare_window_ms()
    stat_before = _cpu_ticks()
    own_before = os.times()
    with tempfile.TemporaryDirectory(prefix="uqgui-bench-") as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(source))
        env[SPAWN_ENV] = repr(time.time())
        proc = subprocess.run([sys.executable, "-c", CHILD_STUB, str(out), str(repo),
                               "--timeout", str(timeout), "--source", str(source)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout + 120, check=False)
        if not out.exists():
            raise SystemExit(f"the app run wrote nothing (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(out.read_text())
    result["start_bare_window"] = bare
    result["downstream_rows"] = downstream_count(repo)
    result["cpu_busy_before"] = round(busy_before, 2)
    # CPU the rest of the machine used while the app ran: the whole machine minus this run's tree.
    stat_after, own_after = _cpu_ticks(), os.times()
    hz = os.sysconf("SC_CLK_TCK")
    total = (stat_after[0] - stat_before[0]) / hz
    busy = (stat_after[0] - stat_after[1] - stat_before[0] + stat_before[1]) / hz
    ours = (own_after.children_user + own_after.children_system - own_before.children_user
            - own_before.children_system)
    result["others_cpu_share"] = round(max(0.0, busy - ours) / max(total, 1e-9), 2)
    return result


def _cpu_ticks() -> tuple[int, int]:
    """(all ticks, idle ticks) of the machine, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return (0, 0)
    return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)


_counts: dict[str, int] = {}


def downstream_count(repo: Path) -> int:
    """How many downstream-only commits the profile has (what the pane must list)."""
    import subprocess

    key = str(repo)
    if key not in _counts:
        def cfg(name: str) -> str:
            return subprocess.run(["git", f"--git-dir={repo}", "config", name], capture_output=True, text=True,
                                  check=True).stdout.strip()
        down, up = cfg("uq.master.downstream"), cfg("uq.master.upstream")
        out = subprocess.run(["git", f"--git-dir={repo}", "rev-list", "--no-merges", "--count", down, f"^{up}"],
                             capture_output=True, text=True, check=True).stdout
        _counts[key] = int(out)
    return _counts[key]


def median(values: list[Any]) -> Any:
    """The median of the numbers in VALUES (None when there are none)."""
    import statistics

    numbers = [v for v in values if isinstance(v, (int, float))]
    return round(statistics.median(numbers), 1) if numbers else None


def machine() -> str:
    """CPU model, cores, memory, OS, Python and Qt versions, in one line."""
    import platform
    import subprocess

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                           if line.startswith("MemTotal")))
        mem = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        mem = "?"
    qt = subprocess.run([sys.executable, "-c", "import PySide6; print(PySide6.__version__)"], capture_output=True,
                        text=True).stdout.strip()
    distro = ""
    try:
        distro = next(line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                      if line.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        distro = platform.platform()
    return (f"{cpu}, {os.cpu_count()} cores, {mem} RAM; {distro}; Python {platform.python_version()}, "
            f"PySide6 {qt}, offscreen")


def rows_before_states(run: dict[str, Any]) -> bool:
    """True when the run painted downstream rows before the states were in (a cold start should)."""
    rows, states = run.get("start_downstream_rows"), run.get("start_states")
    return rows is not None and states is not None and rows < states


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    """A Markdown table of the medians per mode."""
    modes = list(results)
    lines = ["| metric | " + " | ".join(f"{m} (median of {len(results[m])})" for m in modes) + " | target |",
             "| --- | " + " | ".join("---:" for _ in modes) + " | --- |"]
    for key in METRICS:
        cells = []
        for m in modes:
            if key == "rows_before_states":
                shown = sum(1 for r in results[m] if rows_before_states(r))
                cells.append(f"{shown}/{len(results[m])}")
                continue
            value = median([r.get(key) for r in results[m]])
            cells.append("—" if value is None else f"{value:,}")
        lines.append(f"| {LABELS[key]} | " + " | ".join(cells) + f" | {TARGETS.get(key, '')} |")
    return "\n".join(lines)


def record(path: Path, text: str) -> None:
    """Add TEXT at the end of PATH's GUI section (created at the end when missing); keep the rest as is."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + f"\n\n{SECTION}\n\n{text.rstrip()}\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        before, after = "".join(lines[:end]).rstrip("\n"), "".join(lines[end:])
        new = f"{before}\n\n{text.rstrip()}\n" + (f"\n{after}" if after else "")
    path.write_text(new, encoding="utf-8")


def compile_bytecode(source: Path) -> None:
    """Write SOURCE's .pyc files first, as an installed package has them (pip compiles on install).

    Without them (PYTHONDONTWRITEBYTECODE set, or a fresh edit) every run compiled the modules the
    window imports again: about 30 ms of each start-up that no installed copy pays.
    """
    import compileall

    compileall.compile_dir(str(source / "uqgui"), quiet=1)
    compileall.compile_file(str(BENCH_FILE), quiet=1)  # the child imports this file as a module


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    import argparse
    import json
    from datetime import datetime, timezone

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--modes", default="warm,cold", help="comma-separated: warm, cold (default both)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one app run may take")
    parser.add_argument("--record", type=Path, help="append the table to this Markdown file's GUI section")
    parser.add_argument("--note", default="", help="a line to record with the figures (what was measured)")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the source tree to import uqgui from (compare two versions; default: this checkout)")
    parser.add_argument("--json", action="store_true", help="print every run's raw figures too")
    parser.add_argument("--quiet", type=float, default=0.15,
                        help="wait until the machine's CPU is busier than this fraction no more (default 0.15)")
    parser.add_argument("--max-wait", type=float, default=60.0, help="seconds to wait for a quiet machine per run")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    compile_bytecode(args.source.resolve())
    if "warm" in modes:
        uq(repo, "status", "--json")
    results: dict[str, list[dict[str, Any]]] = {}
    for mode in modes:
        runs = []
        for n in range(args.repeat):
            result = one_run(repo, mode, args.timeout, args.quiet, args.max_wait, args.source.resolve())
            runs.append(result)
            print(f"{mode} run {n + 1}: first rows {result['start_downstream_rows']} / "
                  f"{result['start_queue_rows']} ms (a bare PySide6 window: {result['start_bare_window']} ms), "
                  f"states {result['start_states']} ms, stall {result['stall_ping_ms']} ms "
                  f"(worst pings at ms: {result['worst_pings'][:3]}), rss {result['peak_rss_mib']} MiB, "
                  f"machine busy before: {result['cpu_busy_before']:.0%}, other processes during: "
                  f"{result['others_cpu_share']:.0%}",
                  file=sys.stderr)
            if args.json:
                print(json.dumps(result), file=sys.stderr)
        results[mode] = runs
        if mode == "cold":  # leave the cache warm for whoever comes next
            uq(repo, "status", "--json")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = downstream_count(repo)
    heading = f"### {when}: {repo.name} ({rows:,} downstream-only commits)"
    body = table(results)
    text = f"{heading}\n\n{machine()}\n\n" + (f"{args.note}\n\n" if args.note else "") + body + "\n"
    print(text)
    if args.record is not None:
        record(args.record, text)
        print(f"recorded in {args.record}", file=sys.stderr)
    return 0


def child_main(rest: list[str]) -> int:
    """The app run (CHILD_STUB): OUT REPO [--timeout S] [--source DIR], parsed by hand, so nothing
    but the app's own imports comes before main()."""
    options = dict(zip(rest[2::2], rest[3::2]))
    return child(Path(rest[0]), Path(rest[1]).resolve(), float(options.get("--timeout", 600)),
                 Path(options.get("--source", ROOT)).resolve())


if __name__ == "__main__":
    sys.exit(main())
