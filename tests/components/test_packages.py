"""The functions' third-party package (hookgate/components/packages.py): built from uv.lock only
when a
provider needs it, byte for byte the same on every build, and importable by the runtime's
Python with the handlers (built for this machine's architecture, so a missing native library
shows up here)."""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hookgate.components import packages
from local.mockrun import MockedStack
from tests.components.mockstack import _with, run_stack

HANDLERS = Path(__file__).resolve().parents[2] / "hookgate" / "handlers"
MACHINE = "x86_64"


def runtime_python() -> tuple[str, tuple[int, int]]:
    """A CPython 3.13 (the functions' runtime) on this machine, and its version: on PATH, a
    pyenv version, or one uv knows (`uv python find`; uv can only download Pythons from GitHub,
    so none is fetched). Without one, this interpreter and its own version: the package is then
    built for it from the same lock, so the build and import path is still proven on this
    machine; the runtime's wheel choice is `test_the_lock_gives_manylinux2014_wheels...`."""
    candidates = [shutil.which("python3.13") or ""]
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in root.glob("versions/3.13*/bin/python3.13"))
    uv = Path(sys.prefix) / ".uv" / "bin" / "uv"
    if uv.exists():
        found = subprocess.run(  # noqa: S603 - the uv make installed
            [str(uv), "python", "find", "--no-python-downloads", "3.13"],
            capture_output=True,
            text=True,
            check=False,
        )
        candidates.append(found.stdout.strip() if found.returncode == 0 else "")
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:  # noqa: S603
            return candidate, packages.RUNTIME_PYTHON
    return sys.executable, (sys.version_info.major, sys.version_info.minor)


def test_the_lock_gives_manylinux2014_wheels_for_the_runtime() -> None:
    chosen = [w.filename for w in packages.locked_wheels(["cryptography"])]
    assert chosen == [
        "cffi-2.1.1-cp313-cp313-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "cryptography-50.0.2-cp311-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "pycparser-3.12-py3-none-any.whl",
    ]


def test_the_same_pins_build_the_same_bytes(tmp_path: Path) -> None:
    built = [packages.build(["cryptography"], build_dir=tmp_path / name) for name in ("one", "two")]

    def inventory(root: Path) -> dict[str, tuple[str, float]]:
        return {
            p.relative_to(root).as_posix(): (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime,
            )
            for p in packages.files(root)
        }

    first, second = (inventory(root) for root in built)
    assert first == second
    assert built[0].name == built[1].name  # named by what was chosen
    assert {mtime for _, mtime in first.values()} == {packages.FIXED_MTIME}
    assert "cryptography/__init__.py" in first


def test_the_build_is_under_the_working_directory_not_the_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed hookgate builds under the program's directory (where Pulumi runs it),
    never inside site-packages."""
    monkeypatch.chdir(tmp_path)
    built = packages.build(["pycparser"])
    assert built.is_relative_to(tmp_path / ".build" / "packages")
    assert (built / "pycparser" / "__init__.py").exists()
    assert not packages.LOCK_FILE.parent.joinpath(".build").exists()


def test_a_wheel_that_does_not_match_the_lock_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    text = packages.LOCK_FILE.read_text()
    [wheel] = [w for w in packages.locked_wheels(["pycparser"])]
    lock.write_text(text.replace(wheel.sha256, "0" * 64))
    with pytest.raises(packages.PackageError, match="does not match its SHA-256"):
        packages.build(["pycparser"], build_dir=tmp_path / "build", lock_file=lock)


def test_the_runtime_python_imports_the_package_and_verifies_with_it() -> None:
    """The real verify path with the built package alone: isolated mode, no site-packages."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw().hex()
    body, timestamp = b'{"id": "1", "type": 2}', "1795885200"
    signature = key.sign(timestamp.encode() + body).hex()
    python, version = runtime_python()
    built = packages.build(["cryptography"], architecture=MACHINE, python=version)
    code = f"""
import sys, json
sys.path[:0] = [{str(built)!r}, {str(HANDLERS)!r}]
from webhooks import providers
options = {{"scheme": "discord", "secret_arn": "a", "public_key": {public!r}}}
p = providers.parse(json.dumps({{"d": options}}))["d"]
headers = {{"x-signature-ed25519": {signature!r}, "x-signature-timestamp": {timestamp!r}}}
body = {body!r}
print(p.verify(headers, body, (), {timestamp}), p.verify(headers, body + b" ", (), {timestamp}))
import cryptography
print(cryptography.__file__)
"""
    done = subprocess.run(  # noqa: S603 - the runtime's Python, our code
        [python, "-I", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    verdicts, location = done.stdout.splitlines()
    assert verdicts == "None invalid signature"
    assert location.startswith(str(built))


def _archive(stack: MockedStack) -> list[str]:
    ingest = stack.one("aws:lambda/function:Function", "webhooks-api-function")
    return sorted(ingest.inputs["code"].assets)


def test_a_stack_with_a_public_key_provider_ships_cryptography_and_one_without_does_not() -> None:
    key = base64.b16encode(bytes(32)).decode().lower()
    config = _with("dev", providers={"discord": {"scheme": "discord", "publicKey": key}})
    with_provider = _archive(run_stack("dev", config=config))
    without = _archive(run_stack("dev"))
    assert "cryptography/__init__.py" in with_provider
    stack = run_stack("dev", config=config)
    code = stack.one("aws:lambda/function:Function", "webhooks-api-function").inputs["code"]
    assert not any(Path(asset.path).is_absolute() for asset in code.assets.values())
    assert not any(re.match(r"(cryptography|cffi|pycparser)[/-]", name) for name in without)
    assert set(without) < set(with_provider)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_stack_without_public_key_providers_builds_and_downloads_nothing(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a package was built or a wheel fetched")

    monkeypatch.setattr(packages, "build", refuse)
    monkeypatch.setattr("urllib.request.urlopen", refuse)
    archive = _archive(run_stack(stack))
    assert "webhooks/receiver.py" in archive
    assert not any(name.startswith("cryptography/") for name in archive)
