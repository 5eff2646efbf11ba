"""azure.yaml's hooks run the scripts that keep the deployment in step with the config and the code."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from infra.scripts.event_subscriptions import FLAG, commands
from tests.infra.bicep import INFRA, ROOT, load_json, parameter, template

HOOKS = {
    "preprovision": ["governance_params"],
    "postprovision": ["purview_roles"],
    "postdeploy": ["event_subscriptions", "enable"],
    "postdown": ["event_subscriptions", "reset"],
}
RUNNERS = {"posix": ("sh", "sh ./infra/scripts/hook.sh"), "windows": ("pwsh", "./infra/scripts/hook.ps1")}


def azure_yaml() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    return document


def test_hooks_run_these_scripts_on_every_platform() -> None:
    hooks = azure_yaml()["hooks"]

    assert set(hooks) == set(HOOKS)
    for hook, arguments in HOOKS.items():
        for platform, (shell, runner) in RUNNERS.items():
            assert hooks[hook][platform]["shell"] == shell
            assert hooks[hook][platform]["run"] == " ".join([runner, *arguments])
        assert (INFRA / "scripts" / f"{arguments[0]}.py").is_file()


def test_only_the_purview_grant_may_fail_without_stopping_azd() -> None:
    hooks = azure_yaml()["hooks"]

    assert {name for name, hook in hooks.items() if hook["posix"]["continueOnError"]} == {"postprovision"}


def test_azd_uses_the_bicep_in_infra() -> None:
    assert azure_yaml()["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}


def test_postdeploy_turns_the_event_subscriptions_on_and_provisions_again() -> None:
    assert commands("enable", {"AZURE_ENV_NAME": "prod", FLAG: "false"}) == [
        ["azd", "env", "set", "DPGOV_EVENT_SUBSCRIPTIONS", "true", "-e", "prod"],
        ["azd", "provision", "--no-prompt", "-e", "prod"],
    ]


def test_postdeploy_does_nothing_once_the_subscriptions_are_provisioned() -> None:
    assert commands("enable", {"AZURE_ENV_NAME": "prod", FLAG: "true"}) == []


def test_postdown_turns_the_event_subscriptions_off() -> None:
    assert commands("reset", {"AZURE_ENV_NAME": "prod", FLAG: "true"}) == [
        ["azd", "env", "set", "DPGOV_EVENT_SUBSCRIPTIONS", "false", "-e", "prod"]
    ]


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        commands("toggle", {})


def test_event_subscriptions_are_created_only_when_the_flag_is_on() -> None:
    events = template("main.bicep")["modules"]["events"]["config"]

    assert events["condition"] == "eventSubscriptions"
    assert parameter("main.bicep", "eventSubscriptions")["default"] is False
    assert load_json("main.parameters.json")["parameters"]["eventSubscriptions"] == {"value": f"${{{FLAG}=false}}"}


def _bicep_default(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_parameters_file_defaults_are_the_bicep_defaults() -> None:
    mapped = load_json("main.parameters.json")["parameters"]
    for name, entry in mapped.items():
        match = re.fullmatch(r"\$\{(\w+)(?:=(.*))?\}", entry["value"])
        assert match, name
        if match[2] is not None:
            assert match[2] == _bicep_default(parameter("main.bicep", name)["default"]), name


def test_parameters_file_fills_every_parameter_without_a_default() -> None:
    mapped = set(load_json("main.parameters.json")["parameters"])
    declared = template("main.bicep")["parameters"]

    assert mapped <= set(declared)
    assert {name for name, spec in declared.items() if spec["default"] is None} <= mapped
