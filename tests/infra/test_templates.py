"""The templates checkov scans are templates it can read, and they build what docs/deploy.md says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.infra.bicep import INFRA, accessor, bicep_files, module_params, relative, resource, template, variable


@pytest.mark.parametrize("path", bicep_files(), ids=relative)
def test_every_template_parses_with_checkovs_bicep_parser(path: Path) -> None:
    # checkov reports an unparsable file as a parsing error, skips its resources and still exits 0.
    parsed = template(relative(path))

    assert parsed.get("resources") or parsed.get("modules")


def test_main_deploys_at_subscription_scope() -> None:
    assert template("main.bicep")["globals"]["scope"]["value"] == "subscription"


def test_every_local_module_path_exists() -> None:
    for path in bicep_files():
        for module in template(relative(path)).get("modules", {}).values():
            if module["type"] == "local":
                assert (path.parent / module["detail"]["path"]).is_file(), module["detail"]["path"]


def test_registry_modules_are_verified_modules_pinned_to_a_version() -> None:
    registry = {
        module["detail"]["path"]: module["detail"]["tag"]
        for path in bicep_files()
        for module in template(relative(path)).get("modules", {}).values()
        if module["type"] != "local"
    }

    assert registry == {
        "avm/res/managed-identity/user-assigned-identity": "0.4.1",
        "avm/res/operational-insights/workspace": "0.7.0",
        "avm/res/insights/component": "0.4.1",
        "avm/res/web/serverfarm": "0.1.1",
    }


def test_plan_is_flex_consumption_on_linux() -> None:
    params = module_params("main.bicep", "plan")

    assert params["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert params["reserved"] is True


def test_app_runs_python_3_11_with_its_user_assigned_identity() -> None:
    site = resource("app/api.bicep", "site")
    config = site["properties"]["functionAppConfig"]

    assert site["kind"] == "functionapp,linux"
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert site["identity"]["type"] == "UserAssigned"
    assert config["deployment"]["storage"]["type"] == "blobContainer"
    assert config["deployment"]["storage"]["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }
    assert site["properties"]["httpsOnly"] is True


def test_site_carries_the_azd_service_name_of_azure_yaml() -> None:
    services = yaml.safe_load((INFRA.parent / "azure.yaml").read_text(encoding="utf-8"))["services"]

    assert list(services) == [variable("app/api.bicep", "serviceName")]
    assert services["api"] == {"project": ".", "language": "python", "host": "function"}


def test_publishing_passwords_are_off() -> None:
    for symbol in ("ftpCredentials", "scmCredentials"):
        assert resource("app/api.bicep", symbol)["properties"] == {"allow": False}


def test_storage_account_takes_entra_identities_only() -> None:
    properties = resource("app/storage.bicep", "account")["properties"]

    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True
    assert properties["minimumTlsVersion"] == "TLS1_2"


def test_storage_holds_the_ledger_table_and_both_containers() -> None:
    assert resource("app/storage.bicep", "ledger")["name"] == "ledgerTable"
    assert resource("app/storage.bicep", "deploymentContainer")["name"] == "deploymentContainerName"
    assert resource("app/storage.bicep", "deadLetterContainer")["name"] == "deadLetterContainerName"
    assert module_params("main.bicep", "storage")["ledgerTable"] == "ledgerTable"
    assert module_params("main.bicep", "api")["ledgerTable"] == "ledgerTable"


def test_application_insights_takes_entra_authentication_only() -> None:
    assert module_params("main.bicep", "monitoring")["disableLocalAuth"] is True
    assert (
        variable("app/api.bicep", "appSettings")["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
        == "ClientId=${identityClientId};Authorization=AAD"
    )


def test_system_topic_is_the_global_topic_of_the_landing_zone_subscription() -> None:
    topic = resource("app/system-topic.bicep", "topic")

    assert topic["location"] == "global"
    assert topic["identity"] == {"type": "SystemAssigned"}
    assert topic["properties"]["topicType"] == "Microsoft.Resources.Subscriptions"
    assert topic["properties"]["source"] == {
        "function": {"type": "subscription", "parameters": {"subscription_id": None}, "property_name": "id"}
    }


def test_landing_zone_modules_run_in_each_landing_zone_subscription() -> None:
    module = template("main.bicep")["modules"]["landingZones"]["config"]
    scope = module["config"]["scope"]["function"]

    assert accessor(module["loop_type"]["detail"]["array_name"]) == ["governance", "landingZones"]
    assert scope["type"] == "subscription"
    assert scope["parameters"]["subscription_id"]["operator"]["operands"] == {
        "operand_1": "zone",
        "operand_2": "subscriptionId",
    }
