"""A normal (non-editable) install, as the README's systemd unit implies: `demo` and `sandbox
serve --write-config` work from another folder, with the example mappings the package carries.

The package is built and installed from a copy of the source (``pip install --no-deps``, build
isolation on: the wheel holds only what pyproject.toml ships); its dependencies are borrowed from
the running interpreter's site-packages through a ``.pth`` file, so the test needs no network
beyond what building the wheel does.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONNECTOR_CONFIG")}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the connector installed from a copy of the source; its bin folder."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "connector", source / "connector", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=_clean_env())
    python = venv / "bin" / "python"
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies: this interpreter's, every site-packages folder it reads (a venv made
    # with --system-site-packages reads its base's too); a path line in a .pth is appended to
    # sys.path, so the installed connector in the venv's own site-packages comes first
    borrowed = "".join(f"{folder}\n" for folder in site.getsitepackages())
    Path(venv_site, "_test_dependencies.pth").write_text(borrowed)
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return venv / "bin"


def test_the_installed_package_carries_what_demo_needs(installed: Path, tmp_path: Path):
    where = subprocess.run(
        [str(installed / "python"), "-c", "import connector; print(connector.__file__)"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
        check=True,
    ).stdout
    assert where.startswith(str(installed.parent)), where  # not the source tree
    demo = subprocess.run(
        [str(installed / "connector"), "demo", "--workdir", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr and "FileNotFoundError" not in demo.stderr
    config = (tmp_path / "work" / "config.toml").read_text(encoding="utf-8")
    assert str(installed.parent) in config  # the packaged example mappings


def test_sandbox_serve_writes_a_config_from_an_installed_package(installed: Path, tmp_path: Path):
    proc = subprocess.Popen(
        [str(installed / "connector"), "sandbox", "serve", "--write-config", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Asetukset näille hiekkalaatikoille") or "Ctrl-C" in line:
                break
        # Finnish, the default language of people's output
        assert any(line.startswith("Asetukset näille hiekkalaatikoille") for line in lines), lines
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    check = subprocess.run(
        [str(installed / "connector"), "check", "--config", str(tmp_path / "r" / "config.toml")],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stdout + check.stderr
