"""The deployment package holds what the Function App runs, and nothing else of the repository."""

from __future__ import annotations

import fnmatch

import pytest

from tests.infra.bicep import ROOT

SHIPPED = [
    "function_app.py",
    "functions/events.py",
    "functions/compliance_page.py",
    "functions/static/inventory.html",  # the compliance page, read by the app at first use
    "shared/settings.py",
    "shared/azure/clients.py",
    "shared/aspects/tags.py",
    "host.json",
    "requirements.txt",
    "governance.yaml",
]
KEPT_BACK = [
    "tests/infra/test_roles.py",
    "emulator/demo.py",
    "functions_host/host.py",
    "bench/__main__.py",
    "docs/deploy.md",
    "infra/main.bicep",
    "infra/governance.generated.json",
    "node_modules/azurite/package.json",
    "local.settings.json",
    ".azure/dev/.env",
    ".venv/bin/python",
    "shared/__pycache__/config.cpython-311.pyc",
    "governance.example.yaml",
    "requirements-dev.txt",
    "requirements-cli.txt",
    "shared/cli/app.py",
    "dpgov.egg-info/PKG-INFO",
    "azure.yaml",
]


def patterns() -> list[str]:
    lines = (ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """gitignore semantics, as far as .funcignore uses them: `dir/` and `*.glob/` at any depth,
    `a/b/` from the root, names and globs at any depth."""
    parts = path.split("/")
    for pattern in patterns():
        if pattern.endswith("/"):
            directory = pattern.rstrip("/")
            if "/" in directory:
                if path.startswith(directory + "/"):
                    return True
            elif any(fnmatch.fnmatch(part, directory) for part in parts[:-1]):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


@pytest.mark.parametrize("path", SHIPPED)
def test_what_the_app_runs_is_shipped(path: str) -> None:
    assert not ignored(path)


@pytest.mark.parametrize("path", KEPT_BACK)
def test_development_files_stay_behind(path: str) -> None:
    assert ignored(path)
