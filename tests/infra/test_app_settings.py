"""Every app setting the code reads is set by the deployment (or is on the documented optional list)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from shared.settings import Settings, TelemetrySettings, reconcile_schedule
from tests.infra.bicep import ROOT, template, variable

# Read by the code but deliberately not set by infra/app/api.bicep (docs/deploy.md lists them too).
OPTIONAL_SETTINGS: Mapping[str, str] = {
    "GOVERNANCE_CONFIG": "unset: the app reads the governance.yaml deployed with it, the file the hook read",
    "AzureWebJobsStorage": "a connection string, for local development only; the deployment uses identities",
    "AzureWebJobsStorage__accountName": "an alternative to __tableServiceUri, which the deployment sets",
}
# Read by the Azure SDK's DefaultAzureCredential rather than by the app's code.
SDK_SETTINGS = {"AZURE_CLIENT_ID", "AZURE_TOKEN_CREDENTIALS"}
SETTING_NAME = re.compile(
    r"^(?:DPGOV_[A-Z0-9_]+|GOVERNANCE_CONFIG|AzureWebJobsStorage(?:__\w+)?|APPLICATIONINSIGHTS_[A-Z_]+_STRING)$"
)
CODE = [ROOT / "function_app.py", *sorted((ROOT / "functions").rglob("*.py")), *sorted((ROOT / "shared").rglob("*.py"))]


class RecordingEnvironment(Mapping[str, str]):
    """An empty environment that remembers every name the code looks up (``get`` goes through here)."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings_read_at_run_time() -> set[str]:
    env = RecordingEnvironment()
    Settings.from_environment(env)
    reconcile_schedule(env)
    TelemetrySettings.from_environment(env)
    return env.read


def setting_names_in_code(paths: list[Path]) -> set[str]:
    """Every string in the code that is an app setting's name, and the host storage prefix's f-strings."""
    names: set[str] = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_NAME.fullmatch(node.value):
                names.add(node.value)
            if isinstance(node, ast.JoinedStr):
                parts = [part.value for part in node.values if isinstance(part, ast.Constant)]
                for part in parts:
                    if isinstance(part, str) and re.fullmatch(r"__\w+", part):
                        names.add(f"AzureWebJobsStorage{part}")
    return names


def test_environment_is_read_only_in_shared_settings() -> None:
    # The operator CLI (not deployed: .funcignore) points its own process at a config or the
    # emulator by setting the environment the engine then reads through shared/settings.py.
    deployed = [path for path in CODE if "shared/cli/" not in path.relative_to(ROOT).as_posix()]
    readers = sorted(
        path.relative_to(ROOT).as_posix()
        for path in deployed
        if re.search(r"os\.environ|os\.getenv", path.read_text(encoding="utf-8"))
    )

    assert readers == ["shared/settings.py"]


def test_the_scan_and_the_recording_find_the_same_settings() -> None:
    assert setting_names_in_code(CODE) == settings_read_at_run_time()


def test_every_setting_the_code_reads_is_set_by_the_bicep() -> None:
    deployed = set(variable("app/api.bicep", "appSettings"))
    read = setting_names_in_code(CODE) | settings_read_at_run_time() | SDK_SETTINGS

    assert read - deployed == set(OPTIONAL_SETTINGS)


def test_every_dpgov_setting_the_bicep_sets_is_read_by_the_code() -> None:
    deployed = {name for name in variable("app/api.bicep", "appSettings") if name.startswith("DPGOV_")}

    assert deployed == {name for name in settings_read_at_run_time() if name.startswith("DPGOV_")}


def test_dpgov_settings_come_from_parameters_or_the_cloud() -> None:
    settings = variable("app/api.bicep", "appSettings")
    declared = set(template("app/api.bicep")["parameters"]) | set(template("app/api.bicep")["variables"])
    for name, value in settings.items():
        if not name.startswith("DPGOV_"):
            continue
        source = value
        if isinstance(value, dict) and value["function"]["type"] == "string":
            source = value["function"]["parameters"]["value_to_convert"]  # string(maxConcurrency)
        if name == "DPGOV_ARM_ENDPOINT":
            assert source == {"function": {"type": "environment", "property_name": "resourceManager"}}
        else:
            assert source in declared, name


def test_credentials_are_the_user_assigned_managed_identity_only() -> None:
    settings = variable("app/api.bicep", "appSettings")

    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["AZURE_TOKEN_CREDENTIALS"] == "ManagedIdentityCredential"
    assert settings["DPGOV_IDENTITY_OBJECT_ID"] == "identityPrincipalId"
    assert "AzureWebJobsStorage" not in settings


def test_host_storage_is_reached_by_service_uris() -> None:
    settings = variable("app/api.bicep", "appSettings")

    assert settings["AzureWebJobsStorage__blobServiceUri"] == "blobEndpoint"
    assert settings["AzureWebJobsStorage__queueServiceUri"] == "queueEndpoint"
    assert settings["AzureWebJobsStorage__tableServiceUri"] == "tableEndpoint"


def test_optional_settings_are_documented_in_deploy_md() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")

    assert [name for name in OPTIONAL_SETTINGS if f"`{name}`" not in text] == []
