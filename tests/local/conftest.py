"""Shared fixtures: one moto server per test module, and tiny throwaway handler directories."""

import textwrap
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.motoserver import FAKE_CREDENTIALS, MotoServer

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def aws(moto: MotoServer):
    """A factory of boto3 clients bound to the module's moto server."""

    def client(service: str):
        return boto3.client(
            service,
            endpoint_url=moto.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    return client


@pytest.fixture(scope="module")
def write_code():
    """Write handler modules into a directory: a tiny throwaway Lambda deployment package."""

    def write(directory: Path, modules: dict[str, str]) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, source in modules.items():
            (directory / f"{name}.py").write_text(textwrap.dedent(source))
        return directory

    return write


@pytest.fixture(scope="module")
def runtime_env(moto: MotoServer):
    """The environment the local stack gives a worker: declared variables plus the emulator."""

    def env(**declared: str) -> dict[str, str]:
        return {
            **declared,
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "LANG": "C.UTF-8",  # a UTF-8 locale, so Python adds no LC_CTYPE (PEP 538)
        }

    return env
