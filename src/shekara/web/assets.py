"""Build the web console's vendor files: ``python -m shekara.web.assets``.

The map library (Leaflet), htmx and the chart library (Chart.js) come from the npm registry,
pinned in ``package.json`` and ``package-lock.json`` at the repository root. This runs ``npm ci``
when ``node_modules`` is missing and copies the files Shekara serves into
``src/shekara/web/static/vendor/`` (git-ignored). Nothing is loaded from a CDN at run time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"

# (path under node_modules, path under static/vendor); a folder is copied whole.
FILES: tuple[tuple[str, str], ...] = (
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("chart.js/dist/chart.umd.min.js", "chart.umd.min.js"),
)


class AssetError(RuntimeError):
    pass


def find_root(start: Path | None = None) -> Path:
    """The folder holding ``package.json``: the working directory or one of its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "package.json").is_file():
            return folder
    raise AssetError("package.json not found; run from the Shekara checkout")


def npm_ci(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm is not installed; install Node.js (Debian: apt-get install npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)


def missing() -> list[str]:
    """Vendor files not yet built."""
    return [dst for _src, dst in FILES if not (VENDOR_DIR / dst).exists()]


def build(root: Path | None = None, *, force_install: bool = False) -> list[Path]:
    """Install the npm packages if needed and copy their dist files; returns what was copied."""
    root = root or find_root()
    modules = root / "node_modules"
    if force_install or not all((modules / src).exists() for src, _dst in FILES):
        npm_ci(root)
    copied: list[Path] = []
    for src, dst in FILES:
        source, target = modules / src, VENDOR_DIR / dst
        if not source.exists():
            raise AssetError(f"{source} is missing after npm ci; check package.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        copied.append(target)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--force-install", action="store_true", help="run npm ci even if node_modules is present"
    )
    args = parser.parse_args(argv)
    try:
        copied = build(force_install=args.force_install)
    except (AssetError, subprocess.CalledProcessError) as e:
        sys.stderr.write(f"web assets: {e}\n")
        return 1
    sys.stdout.write(f"web assets: {len(copied)} files in {VENDOR_DIR}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
