"""The Lambda deployment package: the handler sources, and nothing a test run leaves behind."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from hookgate import HANDLERS_DIR
from hookgate.components.packages import files as built_files

# What Lambda imports. `__pycache__` from local runs would change the archive's hash on every
# machine (a spurious code update in each `pulumi preview`) and ship stale bytecode.
PACKAGED_SUFFIXES = (".py",)


def handler_archive(
    packages: Path | None = None, directory: Path = HANDLERS_DIR
) -> pulumi.AssetArchive:
    """Every `.py` file below `directory` (the handlers this package ships), keyed by its path
    inside the zip (POSIX, sorted), and every file of the built `packages` directory
    (components/packages.py) beside them."""
    root = directory
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.suffix in PACKAGED_SUFFIXES and "__pycache__" not in path.parts
    )
    if not files:
        raise pulumi.RunError(f"no handler sources under {root.resolve()}")
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        path.relative_to(root).as_posix(): pulumi.FileAsset(os.path.relpath(path)) for path in files
    }
    if packages is not None:
        for path in built_files(packages):
            key = path.relative_to(packages).as_posix()
            if key in assets:
                raise pulumi.RunError(f"{key} is both a handler source and a package file")
            # Relative, as the handler sources: the state then names no machine's checkout.
            assets[key] = pulumi.FileAsset(os.path.relpath(path))
    return pulumi.AssetArchive(assets)
