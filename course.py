"""Set up and run the course with nothing but Python (3.11 or newer) installed.

    python course.py lab       open the course in JupyterLab (offline, no keys needed)
    python course.py test      lint, type-check, then run every test: helpers, exchange, notebooks
    python course.py lint      only ruff and mypy (what `test` runs first)
    python course.py doctor    check your setup (versions, environment, keys masked, hosts, clock)
    python course.py exchange  run the local exchange from a shell (add --help for its options)
    python course.py outputs   re-run every notebook and store its outputs (what nbval compares)
    python course.py progress  list every exercise as done, attempted or not started
    python course.py instructor  write instructor/: the notebooks with every answer filled in
    python course.py bench     run the benchmarks in benchmarks/ and print their numbers

Each command first creates (or reuses) a virtual environment in ``.venv`` and
installs ``requirements.txt`` into it. The install is skipped when neither
``requirements.txt`` nor ``pyproject.toml`` changed since the last one, so a
second run starts at once. A ``.venv`` made by another Python version is rebuilt.
Works the same on Windows, macOS and Linux: no make, no shell scripts.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

# The pinned pandas, numpy and matplotlib need Python 3.11; pyproject.toml says the same.
MINIMUM_PYTHON = (3, 11)

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-requirements"
NOTEBOOKS = ROOT / "notebooks"


def venv_python() -> Path:
    """The interpreter inside ``.venv`` (``Scripts`` on Windows, ``bin`` elsewhere)."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def requirements_digest() -> str:
    """A fingerprint of what would be installed; a change triggers a fresh install."""
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def unsupported_python() -> str | None:
    """One line saying why this Python cannot run the course, or ``None`` when it can."""
    if sys.version_info[:2] >= MINIMUM_PYTHON:
        return None
    wanted = ".".join(map(str, MINIMUM_PYTHON))
    return (f"The course needs Python {wanted} or newer; this is Python {sys.version.split()[0]} "
            f"({sys.executable}). Install Python {wanted}+ and run this command with it.")


def venv_version() -> str | None:
    """The ``major.minor`` Python version ``.venv`` was made with, read from its ``pyvenv.cfg``."""
    cfg = VENV / "pyvenv.cfg"
    if not cfg.exists():
        return None
    match = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+)", cfg.read_text(errors="replace"), re.M)
    return match.group(1) if match else None


def quiet_jupyterlab() -> None:
    """Turn off JupyterLab's news pop-up for this ``.venv`` (the course runs offline)."""
    labconfig = VENV / "etc" / "jupyter" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    page_config = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (labconfig / "page_config.json").write_text(json.dumps(page_config, indent=2) + "\n")


def setup() -> Path:
    """Create ``.venv`` if needed and install the requirements unless already current."""
    python = venv_python()
    this_python = "{}.{}".format(*sys.version_info[:2])
    made_with = venv_version()
    if python.exists() and made_with not in (None, this_python):
        print(f"{VENV} was made with Python {made_with}; rebuilding it for Python {this_python} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    elif not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    wanted = requirements_digest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("Installing the course's packages (first run only; a few minutes). pip lists each one:", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
             "-r", str(ROOT / "requirements.txt")],
            cwd=ROOT, check=True,
        )
        quiet_jupyterlab()
        STAMP.write_text(wanted)
        print("Installed.", flush=True)
    return python


def local_environment() -> dict[str, str]:
    """The environment for tests and output regeneration: always the local exchange."""
    env = dict(os.environ)
    env["BYBIT_ENV"] = "local"
    env.pop("BYBIT_LOCAL_URL", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def run(python: Path, *args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(python), *args], cwd=ROOT, env=env).returncode


def lab_url(python: Path, pid: int) -> str | None:
    """The address (with its token) of the JupyterLab server with process id ``pid``, once it listens."""
    listing = subprocess.run([str(python), "-m", "jupyter", "server", "list", "--json"],
                             capture_output=True, text=True, cwd=ROOT).stdout
    for line in listing.splitlines():
        try:
            server = json.loads(line)
        except ValueError:
            continue
        if server.get("pid") == pid:
            return f"{server['url'].rstrip('/')}/lab/tree/notebooks/00_start_here.ipynb?token={server['token']}"
    return None


def lab(python: Path, extra: list[str]) -> int:
    # Serve the whole folder (so helpers/ and the README are one click away) and open the first notebook.
    target = [f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb"]
    if getattr(os, "geteuid", lambda: 1)() == 0:  # containers often run as root; Jupyter refuses that by default
        extra = ["--allow-root", *extra]
    server = subprocess.Popen([str(python), "-m", "jupyter", "lab", *target, *extra], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            url = lab_url(python, server.pid)
        if url:
            print(f"\n  The course is open at:\n\n    {url}\n\n  (paste it into a browser if none opened; "
                  "Ctrl+C here stops JupyterLab)\n", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()


def lint(python: Path, extra: list[str]) -> int:
    """ruff (style, imports, likely bugs) then mypy (types); both read pyproject.toml."""
    status = run(python, "-m", "ruff", "check", ".", *extra)
    return run(python, "-m", "mypy") or status


def test(python: Path, extra: list[str]) -> int:
    """The whole suite: lint first, then pytest. With pytest arguments (``-k ...``) only pytest runs."""
    lint_status = 0 if extra else lint(python, [])
    # The suite mostly waits (on sockets, and on the rate-limit lesson's windows), so two
    # workers per core overlap those waits; more would only crowd a small machine.
    workers = str(min(4, 2 * (os.cpu_count() or 1)))
    return run(
        python, "-m", "pytest",
        # The sanitizer, kernel and cell timeout are in pyproject.toml, so a hand-run
        # `pytest --nbval notebooks/` compares outputs exactly the same way.
        # Notebooks first: each runs whole on one worker, and the long ones should not start last.
        "-n", workers, "--dist", "loadfile", "--nbval",
        "notebooks", "tests", *extra,
        env=local_environment(),
    ) or lint_status


def doctor(python: Path, extra: list[str]) -> int:
    return run(python, "-m", "helpers.doctor", *extra)


def exchange(python: Path, extra: list[str]) -> int:
    return run(python, "-m", "local_exchange", *extra)


def outputs(python: Path, extra: list[str]) -> int:
    return run(python, str(NOTEBOOKS / "build.py"), *extra, env=local_environment())


def progress(python: Path, extra: list[str]) -> int:
    return run(python, "-m", "helpers.progress", *extra)


def instructor(python: Path, extra: list[str]) -> int:
    return run(python, str(NOTEBOOKS / "instructor.py"), *extra)


def bench(python: Path, extra: list[str]) -> int:
    status = 0
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        print(f"\n== {script.name} ==", flush=True)
        status |= run(python, str(script), *extra)
    return status


COMMANDS = {"lab": lab, "test": test, "lint": lint, "doctor": doctor, "exchange": exchange, "outputs": outputs,
            "progress": progress, "instructor": instructor, "bench": bench}


def main(argv: list[str]) -> int:
    problem = unsupported_python()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    python = setup()
    return COMMANDS[argv[0]](python, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
