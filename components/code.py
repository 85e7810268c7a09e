"""The Lambda deployment package: the handler sources, and nothing a test run leaves behind."""

from __future__ import annotations

from pathlib import Path

import pulumi

# What Lambda imports. `__pycache__` from local runs would change the archive's hash on every
# machine (a spurious code update in each `pulumi preview`) and ship stale bytecode.
PACKAGED_SUFFIXES = (".py",)


def handler_archive(directory: str) -> pulumi.AssetArchive:
    """Every `.py` file below `directory`, keyed by its path inside the zip (POSIX, sorted)."""
    root = Path(directory)
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.suffix in PACKAGED_SUFFIXES and "__pycache__" not in path.parts
    )
    if not files:
        raise pulumi.RunError(f"no handler sources under {root.resolve()}")
    return pulumi.AssetArchive(
        {path.relative_to(root).as_posix(): pulumi.FileAsset(str(path)) for path in files}
    )
