"""The package as pip installs it (a wheel, not this checkout): the files it reads at run time are inside."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_templates_static_files_and_the_migration_template(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--disable-pip-version-check", str(ROOT), "-w", str(tmp_path)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("helios_dash-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = {f"helios_dash/{path.relative_to(ROOT / 'helios_dash').as_posix()}"
              for folder in ("templates", "static") for path in (ROOT / "helios_dash" / folder).rglob("*")
              if path.is_file()}
    needed |= {"helios_dash/migrations/script.py.mako", "helios_dash/client/__init__.py"}
    assert needed - names == set()
    assert "helios_dash/templates/login.html" in needed  # the walk above found the real files
