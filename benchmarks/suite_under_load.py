"""Run the course's test command again and again while other processes keep the CPUs busy.

    python benchmarks/suite_under_load.py --busy 2 --runs 10

A test suite that passes on a quiet machine and fails on a busy one depends on
how fast the machine is. This script starts ``--busy`` processes that burn CPU
(pure Python loops, nothing else), runs the test command ``--runs`` times, and
prints for every run whether it passed and how long it took, then a summary.
It needs only Python, and works the same on Windows, macOS and Linux.

The exit code is 0 when every run passed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def burn(stop: multiprocessing.synchronize.Event) -> None:
    """Keep one CPU busy until ``stop`` is set (checked every few million additions)."""
    total = 0
    while not stop.is_set():
        for i in range(2_000_000):
            total += i


def run_once(command: list[str], log: Path | None) -> tuple[bool, float, str]:
    """Run ``command`` once; whether it passed, the seconds it took, and its last output line.

    The command runs in its own process group, so Ctrl+C here also stops the test
    workers and notebook kernels it started (not only the command itself).
    """
    if os.name == "nt":
        group: dict = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        group = {"start_new_session": True}
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, **group)
    try:
        output, _ = process.communicate()
    except KeyboardInterrupt:
        if os.name == "nt":
            process.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            os.killpg(process.pid, signal.SIGINT)
        process.wait()
        raise
    seconds = time.monotonic() - started
    if log is not None:
        log.write_text(output)
    lines = [line for line in output.splitlines() if line.strip()]
    return process.returncode == 0, seconds, (lines[-1] if lines else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2, help="CPU-burning processes beside the tests (default 2)")
    parser.add_argument("--runs", type=int, default=10, help="how many times to run the test command (default 10)")
    parser.add_argument("--logs", type=Path, default=None,
                        help="a folder to keep each run's full output in (run-01.log, ...)")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command to run (default: python course.py test -q); put it after --")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] or [sys.executable, str(ROOT / "course.py"), "test", "-q"]
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)

    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.busy)]
    for process in burners:
        process.start()
    print(f"{args.busy} busy process(es) started; running {' '.join(command)} {args.runs} time(s)", flush=True)

    results: list[tuple[bool, float]] = []
    try:
        for n in range(1, args.runs + 1):
            log = args.logs / f"run-{n:02d}.log" if args.logs is not None else None
            passed, seconds, last = run_once(command, log)
            results.append((passed, seconds))
            print(f"run {n:2d}: {'pass' if passed else 'FAIL'}  {seconds:6.1f} s  {last}", flush=True)
    finally:
        stop.set()
        for process in burners:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()

    passed = sum(ok for ok, _ in results)
    durations = [s for _, s in results]
    if durations:
        print(f"\n{passed} of {len(results)} runs passed with {args.busy} busy process(es); "
              f"seconds: min {min(durations):.1f}, median {statistics.median(durations):.1f}, "
              f"max {max(durations):.1f}")
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
