"""`notalone lite build OUT`: the course as a static JupyterLite site that works offline in any browser.

Everything comes from the ordinary registries and is cached (default ~/.cache/notalone-lite):
the Pyodide runtime from the npm package `pyodide` at the version the kernel expects, pure-Python
wheels from PyPI, PyYAML built as a pure wheel from its source, and this project's `widgets`
package as a wheel made here. The site's Pyodide lock lists only these packages, so a lesson loads
only what it needs and the kernel never asks PyPI (the fallback is switched off).
Content is checked here (schemas need jsonschema, which cannot run in Pyodide); the student kernel skips it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("NOTALONE_LITE_CACHE", Path.home() / ".cache" / "notalone-lite"))
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
RUNTIME_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide.js", "package.json"]
# From Pyodide's own lock (their versions): what the kernel and IPython need.
LOCK_ROOTS = ["micropip", "ipython", "jedi", "traitlets", "pygments"]
# Not in Pyodide's lock: pure wheels from PyPI at the version installed here (the JupyterLab path's),
# or the newest when not installed. name -> (import names, dependencies)
EXTRA_PACKAGES = {
    "comm": (["comm"], ["traitlets"]),
    "jupyterlab-widgets": (["jupyterlab_widgets"], []),
    "ipywidgets": (["ipywidgets"], ["comm", "ipython", "jupyterlab-widgets", "traitlets", "widgetsnbextension"]),
    "publicsuffixlist": (["publicsuffixlist"], []),
    "confusable-homoglyphs": (["confusable_homoglyphs"], []),
}
PYYAML_VERSION = "6.0.3"  # built as a pure wheel (PyPI has only compiled ones)
WIDGETS_DIST = "notalone-widgets"


class LiteError(Exception):
    """A build step failed; the message says which and why."""


def _run(command: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise LiteError(f"{what} failed ({' '.join(command[:4])} ...):\n{(result.stderr or result.stdout)[-2000:]}")
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pyodide_version() -> str:
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return PYODIDE_VERSION


def fetch_pyodide(cache: Path, version: str) -> Path:
    """The npm package `pyodide@version`, unpacked in the cache; returns its package/ folder."""
    folder = cache / f"pyodide-{version}"
    if (folder / "package" / "pyodide-lock.json").exists():
        return folder / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise LiteError("npm is needed to fetch Pyodide's runtime (Debian: apt-get install npm)")
    cache.mkdir(parents=True, exist_ok=True)
    _run([npm, "pack", f"pyodide@{version}", "--silent", "--pack-destination", str(cache)], f"npm pack pyodide@{version}")
    tarball = cache / f"pyodide-{version}.tgz"
    scratch = Path(tempfile.mkdtemp(dir=cache))
    with tarfile.open(tarball) as archive:
        archive.extractall(scratch, filter="data")
    scratch.rename(folder)
    tarball.unlink()
    return folder / "package"


def _pip_download(requirement: str, wheels: Path) -> Path:
    name, _, version = requirement.partition("==")
    normalized = name.replace("-", "_").lower()
    found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(normalized + "-")
             and (not version or p.name.split("-")[1] == version) and p.name.endswith("-none-any.whl")]
    if found:
        return sorted(found)[-1]
    before = set(wheels.glob("*.whl"))
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "--python-version", "3.14",
          "--platform", "any", "--dest", str(wheels), requirement], f"downloading the pure wheel of {requirement}")
    new = sorted(set(wheels.glob("*.whl")) - before) or sorted(p for p in wheels.glob("*.whl") if p.name.lower().startswith(normalized + "-"))
    if not new or not new[-1].name.endswith("-none-any.whl"):
        raise LiteError(f"{requirement}: PyPI has no pure-Python (py3-none-any) wheel, which Pyodide needs")
    return new[-1]


def pure_pyyaml(wheels: Path) -> Path:
    target = wheels / f"pyyaml-{PYYAML_VERSION}-py3-none-any.whl"
    if not target.exists():
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-cache-dir", "--no-deps", "--no-binary", "pyyaml",
              "--wheel-dir", str(wheels), f"pyyaml=={PYYAML_VERSION}"], "building PyYAML as a pure wheel",
             env={**os.environ, "PYYAML_FORCE_LIBYAML": "0"})
    if not target.exists():
        raise LiteError(f"building PyYAML {PYYAML_VERSION} did not give {target.name}")
    return target


def widgets_wheel(root: Path, destination: Path) -> Path:
    """This project's `widgets` package (with its schemas, locales and data) as a pure wheel."""
    version = _installed_version("not-alone") or "0.1.0"
    dist = WIDGETS_DIST.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for path in sorted((root / "widgets").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".json", ".yaml"}:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {WIDGETS_DIST}\nVersion: {version}\n"
                                 "Summary: Not Alone's lesson widgets, for JupyterLite\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: notalone-lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue().encode()
    target = destination / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return target


def _closure(packages: dict, roots: list[str]) -> list[str]:
    seen, todo = [], list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise LiteError(f"Pyodide's lock has no package {name!r}")
        seen.append(name)
        todo += [d.lower().replace("_", "-") for d in packages[name].get("depends", [])]
    return sorted(seen)


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _entry(name: str, wheel: Path, imports: list[str], depends: list[str]) -> dict:
    return {"name": name, "version": wheel.name.split("-")[1], "file_name": wheel.name, "install_dir": "site",
            "sha256": _sha256(wheel), "package_type": "package", "imports": imports, "depends": depends,
            "unvendored_tests": False}


def stage_pyodide(root: Path, target: Path, cache: Path) -> dict:
    """Runtime, wheels and a lock listing only them, in `target` (the lite dir's static/pyodide/)."""
    runtime = fetch_pyodide(cache, pyodide_version())
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    lock = json.loads((runtime / "pyodide-lock.json").read_text(encoding="utf-8"))
    original = {name.lower(): entry for name, entry in lock["packages"].items()}
    target.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copy2(runtime / name, target / name)
    packages = {}
    for name in _closure(original, LOCK_ROOTS):
        entry = dict(original[name])
        if not entry["file_name"].endswith("-none-any.whl"):
            raise LiteError(f"{name} in Pyodide's lock is compiled ({entry['file_name']}); only pure wheels can come from PyPI")
        wheel = _pip_download(f"{entry['name']}=={entry['version']}", wheels)
        entry.update(file_name=wheel.name, sha256=_sha256(wheel), depends=[d.lower().replace("_", "-") for d in entry["depends"]])
        shutil.copy2(wheel, target / wheel.name)
        packages[name] = entry
    for name, (imports, depends) in EXTRA_PACKAGES.items():
        version = _installed_version(name)
        wheel = _pip_download(f"{name}=={version}" if version else name, wheels)
        shutil.copy2(wheel, target / wheel.name)
        packages[name] = _entry(name, wheel, imports, depends)
    shim = sorted((_kernel_extension() / "static" / "pypi").glob("widgetsnbextension-4.*-py3-none-any.whl"))[-1]
    shutil.copy2(shim, target / shim.name)
    packages["widgetsnbextension"] = _entry("widgetsnbextension", shim, ["widgetsnbextension"], [])
    yaml_wheel = pure_pyyaml(wheels)
    shutil.copy2(yaml_wheel, target / yaml_wheel.name)
    packages["pyyaml"] = _entry("pyyaml", yaml_wheel, ["yaml"], [])
    ours = widgets_wheel(root, target)
    packages[WIDGETS_DIST] = _entry(WIDGETS_DIST, ours, ["widgets"],
                                    ["ipywidgets", "pyyaml", "publicsuffixlist", "confusable-homoglyphs"])
    lock["packages"] = dict(sorted(packages.items()))
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1), encoding="utf-8")
    return lock


def _kernel_extension() -> Path:
    for base in [Path(sys.prefix), Path(sys.base_prefix), Path.home() / ".local"]:
        folder = base / "share" / "jupyter" / "labextensions" / "@jupyterlite" / "pyodide-kernel-extension"
        if folder.exists():
            return folder
    raise LiteError("the JupyterLite Pyodide kernel is not installed: pip install -e . (it brings jupyterlite-pyodide-kernel and jupyterlab_widgets)")


def _widgets_extension() -> Path:
    folder = _kernel_extension().parent.parent / "@jupyter-widgets" / "jupyterlab-manager"
    if not folder.exists():
        raise LiteError(f"{folder}: the widget extension is missing: pip install -e . (it brings jupyterlite-pyodide-kernel and jupyterlab_widgets)")
    return folder


def site_config() -> dict:
    """jupyter-lite.json: the kernel never asks PyPI; nothing is fetched from elsewhere."""
    return {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "appName": "Not Alone · Không một mình",
        "exposeAppInBrowser": True,
        "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}},
        "disabledExtensions": ["@jupyterlab/apputils-extension:announcements"],
    }}


SETTINGS = {
    # Every cell rendered, as in the JupyterLab path: lessons are short, and the chat stays live off-screen.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Markdown Preview"}},
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
}

# The site opens on the table of contents. The built index.html stays (the apps read their settings from it).
OPEN_CONTENTS = '<script>window.location.replace("lab/index.html?path=README.md")</script>'


def open_on_contents(index: Path) -> None:
    text = index.read_text(encoding="utf-8")
    if "<head>" not in text:
        raise LiteError(f"{index}: no <head> to add the redirect to the table of contents")
    index.write_text(text.replace("<head>", "<head>\n" + OPEN_CONTENTS, 1), encoding="utf-8")


def stage_contents(root: Path, contents: Path, course: Path | None) -> list[str]:
    """The lessons (both languages), knowledge checks and, from a course, its released assignments."""
    shutil.copytree(root / "lessons", contents, ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__", "notalone-progress*.json", "manifest.yaml", "facts.yaml", "glossary.yaml"))
    assignments = []
    if course is not None:
        release = Path(course) / "release"
        if not release.is_dir():
            raise LiteError(f"{course}: no release/ folder; run `notalone release ASSIGNMENT` in the course first")
        for folder in sorted(p for p in release.iterdir() if p.is_dir()):
            shutil.copytree(folder, contents / "assignments" / folder.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "notalone-progress*.json"))
            assignments.append(folder.name)
        if assignments:
            links = " · ".join(f"[{name}](assignments/{name}/)" for name in assignments)
            with (contents / "README.md").open("a", encoding="utf-8") as readme:
                readme.write(f"\n## Assignments · Bài tập\n\n{links}\n")
    return assignments


def check_content(root: Path) -> None:
    """The site gets no schema checks in the browser, so every content file is checked here."""
    from .course import check_course, format_problems

    # Content files only: notebook conventions are `notalone check`'s business, not the site's.
    errors = [p for p in check_course(root) if p.severity == "error" and not str(p.file).endswith(".ipynb")]
    if errors:
        raise LiteError("the course content has errors; fix them first (`notalone check`):\n" + format_problems(errors))


def build(out: Path, *, root: Path, course: Path | None = None, cache: Path = CACHE, check: bool = True) -> dict:
    """Build the site in `out` (replaced). Returns a summary: packages, size in bytes, assignments."""
    out, cache = Path(out).resolve(), Path(cache)
    if check:
        check_content(root)
    with tempfile.TemporaryDirectory(prefix="notalone-lite-") as scratch:
        lite_dir, contents = Path(scratch) / "lite", Path(scratch) / "contents"
        lite_dir.mkdir()
        lock = stage_pyodide(root, lite_dir / "static" / "pyodide", cache)
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(site_config(), indent=1), encoding="utf-8")
        (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=1), encoding="utf-8")
        assignments = stage_contents(root, contents, course)
        if out.exists():
            shutil.rmtree(out)
        _run([sys.executable, "-m", "jupyterlite_core", "build", "--no-sourcemaps", "--no-libarchive", "--ignore-sys-prefix",
              # only the kernel and the widgets: not nbgrader's or Notebook's extensions from this environment
              f"--LiteBuildConfig.federated_extensions={_kernel_extension()}",
              f"--LiteBuildConfig.federated_extensions={_widgets_extension()}",
              "--lite-dir", str(lite_dir), "--contents", str(contents), "--output-dir", str(out)],
             "jupyter lite build", cwd=scratch)
    open_on_contents(out / "index.html")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"packages": sorted(lock["packages"]), "bytes": size, "assignments": assignments}


def add_arguments(parser) -> None:
    commands = parser.add_subparsers(dest="lite_command", required=True)
    build_parser = commands.add_parser("build", help="build the offline site in OUT (serve it with `python -m http.server`)",
                                       description="Build every lesson, in both languages, as a static JupyterLite site "
                                                   "that runs in the browser with nothing to install and no network.")
    build_parser.add_argument("out", type=Path)
    build_parser.add_argument("--course", type=Path, help="also include the released assignments of this course (its release/ folder)")
    build_parser.add_argument("--cache", type=Path, default=CACHE, help=f"download cache (default {CACHE})")
    build_parser.add_argument("--root", type=Path, help="repository folder (default: the one containing this directory)")


def run(args) -> int:
    from .cli import _repo_root

    root = (args.root or _repo_root(Path.cwd())).resolve()
    try:
        import jupyterlite_core  # noqa: F401
        import jupyterlite_pyodide_kernel  # noqa: F401
    except ImportError:
        print("notalone lite build: JupyterLite is not installed here. Install the lite extra: "
              "pip install -e '.[lite]' in the checkout (or pip install 'not_alone-*.whl[lite]').", file=sys.stderr)
        return 2
    try:
        summary = build(args.out, root=root, course=args.course, cache=args.cache)
    except LiteError as error:
        print(f"notalone lite build: {error}", file=sys.stderr)
        return 1
    print(f"built {args.out}: {summary['bytes'] / 2**20:.1f} MB, {len(summary['packages'])} Python packages"
          + (f", assignments: {', '.join(summary['assignments'])}" if summary["assignments"] else ""))
    print(f"serve it offline with: python -m http.server --directory {args.out}   (then open http://localhost:8000/)")
    return 0
