"""Set up and run the course with nothing but Python installed.

    python course.py lab       open the course in JupyterLab (offline, no keys needed)
    python course.py test      run every test: the helpers, the local exchange, every notebook
    python course.py outputs   re-run every notebook and store its outputs (what nbval compares)
    python course.py bench     run the benchmarks in benchmarks/ and print their numbers

Each command first creates (or reuses) a virtual environment in ``.venv`` and
installs ``requirements.txt`` into it. The install is skipped when neither
``requirements.txt`` nor ``pyproject.toml`` changed since the last one, so a
second run starts at once. Works the same on Windows, macOS and Linux: no make,
no shell scripts.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-requirements"
NOTEBOOKS = ROOT / "notebooks"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


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


def setup() -> Path:
    """Create ``.venv`` if needed and install the requirements unless already current."""
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    wanted = requirements_digest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("Installing the course's packages (first run only; a few minutes) ...", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
             "-r", str(ROOT / "requirements.txt")],
            cwd=ROOT, check=True,
        )
        STAMP.write_text(wanted)
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


def lab(python: Path, extra: list[str]) -> int:
    # Serve the whole folder (so helpers/ and the README are one click away) and open the first notebook.
    target = [f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb"]
    if getattr(os, "geteuid", lambda: 1)() == 0:  # containers often run as root; Jupyter refuses that by default
        extra = ["--allow-root", *extra]
    return run(python, "-m", "jupyter", "lab", *target, *extra)


def test(python: Path, extra: list[str]) -> int:
    workers = "2" if (os.cpu_count() or 1) >= 2 else "1"
    return run(
        python, "-m", "pytest",
        "-n", workers, "--dist", "loadscope",
        "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
        "--nbval-cell-timeout", "120",
        "tests", "notebooks", *extra,
        env=local_environment(),
    )


def outputs(python: Path, extra: list[str]) -> int:
    return run(python, str(NOTEBOOKS / "build.py"), *extra, env=local_environment())


def bench(python: Path, extra: list[str]) -> int:
    status = 0
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        print(f"\n== {script.name} ==", flush=True)
        status |= run(python, str(script), *extra)
    return status


COMMANDS = {"lab": lab, "test": test, "outputs": outputs, "bench": bench}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    python = setup()
    return COMMANDS[argv[0]](python, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
