"""Third-party packages of the functions, built reproducibly from `uv.lock` (docs/design.md,
"Public-key senders: packaging").

`handlers/` is standard library + boto3. A provider whose scheme verifies a public-key signature
needs `cryptography` (the scheme module lists it in `REQUIRES`); only then does the functions'
package gain it, with its locked dependencies (`cffi`, `pycparser`):

- the wheels are the lock's own files for the functions' runtime: CPython 3.13, manylinux2014
  (glibc 2.17, below Amazon Linux 2023's 2.34) for the functions' architecture, chosen as pip
  ranks tags for `--only-binary=:all: --platform manylinux2014_<arch> --python-version 3.13
  --implementation cp`, and each one checked against the lock's SHA-256 before it is used;
- they are unpacked in sorted order with a fixed modification time into a directory named by
  the hash of what was chosen, so the same pins give the same files on any machine and Pulumi
  (which hashes an archive's contents) sees no change between runs;
- a stack whose providers need nothing gets exactly the archive it had before.

The downloads read the URLs the lock records (the registry the lock was resolved from); `pip`
itself is not needed, and is not installed in `.venv` (uv builds it).
"""

from __future__ import annotations

import hashlib
import io
import os
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK_FILE = REPO / "uv.lock"
BUILD_DIR = REPO / ".build" / "packages"
RUNTIME_PYTHON = (3, 13)
"""The functions' Python (components/function.py's runtime `python3.13`)."""
RUNTIME_ARCHITECTURE = "aarch64"
"""The functions' architecture (`arm64`, components/function.py)."""
FIXED_MTIME = 315_532_800  # 1980-01-01, the earliest time a zip entry can hold
DOWNLOAD_TIMEOUT_SECONDS = 60
# Markers of the lock's dependency edges that hold on CPython (the only runtime): anything else
# in a marker stops the build rather than being guessed.
_CPYTHON_MARKERS = frozenset(
    {"platform_python_implementation != 'PyPy'", "implementation_name != 'PyPy'"}
)


class PackageError(Exception):
    """The lock cannot give a package for the runtime, or a wheel does not match its hash."""


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]


def _rank(filename: str, architecture: str, python: tuple[int, int]) -> int | None:
    """pip's preference for this wheel on CPython `python`, manylinux2014 `architecture`
    (lower is better), or None when it does not install there."""
    _, _, pythons, abis, platforms = filename.removesuffix(".whl").rsplit("-", 4)
    allowed = {"any", f"manylinux2014_{architecture}", f"manylinux_2_17_{architecture}"}
    if not allowed & set(platforms.split(".")):
        return None
    cp = f"cp{python[0]}{python[1]}"
    best = None
    for tag in pythons.split("."):
        for abi in abis.split("."):
            if tag == cp and abi == cp:
                rank = 0
            elif abi == "abi3" and tag.startswith("cp3") and int(tag[3:]) <= python[1]:
                rank = 100 - int(tag[3:])
            elif tag in ("py3", f"py{python[0]}{python[1]}") and abi == "none":
                rank = 1000
            else:
                continue
            best = rank if best is None else min(best, rank)
    return best


def locked_wheels(
    requirements: Iterable[str],
    *,
    lock_file: Path = LOCK_FILE,
    architecture: str = RUNTIME_ARCHITECTURE,
    python: tuple[int, int] = RUNTIME_PYTHON,
) -> list[Wheel]:
    """The wheels of `requirements` and their locked dependencies for the runtime, by name."""
    packages = {p["name"]: p for p in tomllib.loads(lock_file.read_text())["package"]}
    chosen: dict[str, Wheel] = {}
    pending = sorted(set(requirements))
    while pending:
        name = pending.pop()
        if name in chosen:
            continue
        package = packages.get(name)
        if package is None:
            raise PackageError(f"{name} is not in {lock_file.name}")
        ranked = [
            (rank, wheel["url"], wheel["hash"])
            for wheel in package.get("wheels", [])
            if (rank := _rank(wheel["url"].rsplit("/", 1)[1], architecture, python)) is not None
        ]
        if not ranked:
            raise PackageError(
                f"{lock_file.name} has no {name} wheel for CPython {python[0]}.{python[1]}"
                f" manylinux2014_{architecture}"
            )
        _, url, digest = min(ranked)
        chosen[name] = Wheel(name, package["version"], url, digest.removeprefix("sha256:"))
        for dependency in package.get("dependencies", []):
            marker = dependency.get("marker")
            if marker is not None and marker not in _CPYTHON_MARKERS:
                raise PackageError(f"{name} -> {dependency['name']}: marker {marker!r} unknown")
            pending.append(dependency["name"])
    return [chosen[name] for name in sorted(chosen)]


def _download(wheel: Wheel, cache: Path) -> bytes:
    """The wheel's bytes (kept in `cache`), refused unless they hash to the lock's SHA-256."""
    path = cache / wheel.filename
    if path.exists():
        data = path.read_bytes()
    else:
        with urllib.request.urlopen(wheel.url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as answer:  # noqa: S310 - the lock's https URL
            data = answer.read()
    if hashlib.sha256(data).hexdigest() != wheel.sha256:
        raise PackageError(f"{wheel.filename} does not match its SHA-256 in the lock")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def build(
    requirements: Iterable[str],
    *,
    architecture: str = RUNTIME_ARCHITECTURE,
    python: tuple[int, int] = RUNTIME_PYTHON,
    build_dir: Path = BUILD_DIR,
    lock_file: Path = LOCK_FILE,
) -> Path:
    """The directory holding `requirements` unpacked for the runtime (built once per choice)."""
    wheels = locked_wheels(
        requirements, lock_file=lock_file, architecture=architecture, python=python
    )
    key = hashlib.sha256("\n".join(f"{w.filename} {w.sha256}" for w in wheels).encode())
    target = build_dir / f"cp{python[0]}{python[1]}-{architecture}-{key.hexdigest()[:16]}"
    if (target / ".complete").exists():
        return target
    for wheel in wheels:
        with zipfile.ZipFile(io.BytesIO(_download(wheel, build_dir / "wheels"))) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith("/"):
                    continue
                path = target / name
                if target.resolve() not in path.resolve().parents:
                    raise PackageError(f"{wheel.filename}: entry {name!r} leaves its directory")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(archive.read(name))
                os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    (target / ".complete").write_text("\n".join(w.filename for w in wheels) + "\n")
    return target


def for_schemes(scheme_names: Iterable[str]) -> Path | None:
    """The built packages the providers of these schemes need, or None when they need none
    (the functions' package is then the handler sources alone, as before)."""
    from webhooks import schemes

    required = sorted({package for name in scheme_names for package in schemes.requires(name)})
    return build(required) if required else None


def files(directory: Path) -> list[Path]:
    """The built files in sorted order (not the build's own marker)."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != ".complete")
