"""docs/configuration.md's reference and Pulumi.yaml's `config:` declarations are the ones the
settings' declarations generate, in a form Pulumi's project schema accepts."""

from __future__ import annotations

from pathlib import Path

import yaml

from hookgate.components import config_reference
from hookgate.components.config_table import declared
from hookgate.components.settings import SECTIONS, TOP_LEVEL_KEYS
from tests.components.mockstack import PROJECT_DIR

FIX = f"run `{config_reference.COMMAND}`"
# Pulumi's project schema, ConfigTypeDeclaration (sdk/go/common/workspace/project.json).
DECLARATION_KEYS = {"type", "items", "description", "secret", "default", "value"}
TYPES = {"string": str, "integer": int, "boolean": bool}


def test_the_reference_in_the_docs_is_generated() -> None:
    page = (PROJECT_DIR / config_reference.DOCS).read_text()
    assert config_reference.reference_page(PROJECT_DIR) == page, FIX
    for section in SECTIONS:
        for _, declaration in declared(section):
            assert f"| `{section.NAME}.{declaration.key}` |" in page


def test_the_project_files_config_declarations_are_generated() -> None:
    text = (PROJECT_DIR / config_reference.PROJECT).read_text()
    assert config_reference.project_file(PROJECT_DIR) == text, FIX


def test_the_project_file_declares_every_key_as_pulumi_accepts_it() -> None:
    project = yaml.safe_load((PROJECT_DIR / config_reference.PROJECT).read_text())
    # `toolchain: uv` runs the program from the project's virtual environment
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "uv", "virtualenv": ".venv"},
    }
    config = project["config"]
    assert list(config) == list(TOP_LEVEL_KEYS)
    for key, declaration in config.items():
        assert set(declaration) <= DECLARATION_KEYS, key
        assert declaration["description"], key
        if "type" in declaration:
            kind = TYPES[declaration["type"]]
            assert "default" not in declaration or isinstance(declaration["default"], kind)
        else:  # an object: untyped, optional ones default to unset
            assert declaration.get("default", {}) == {}, key
    # required keys: what the program cannot run without
    assert [k for k, d in config.items() if "default" not in d] == ["environment", "providers"]


def test_the_check_fails_when_a_file_drifts(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    (tmp_path / "docs").mkdir()
    page = (PROJECT_DIR / config_reference.DOCS).read_text()
    edited = page.replace("SNS e-mail subscription |", "SNS e-mail |")
    assert edited != page
    (tmp_path / config_reference.DOCS).write_text(edited)
    assert config_reference.main(["--check", "--root", str(tmp_path)]) == 1
    assert config_reference.main(["--write", "--root", str(tmp_path)]) == 0
    assert config_reference.main(["--check", "--root", str(tmp_path)]) == 0
    assert (tmp_path / config_reference.DOCS).read_text() == page
