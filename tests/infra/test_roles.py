"""The app's identity holds exactly the roles it needs, never a role that manages access unfenced."""

from __future__ import annotations

from tests.infra.bicep import ROLE_IDS, app_identity_parameters, bicep_files, resource, role_assignments

PRIVILEGED = ("Owner", "User Access Administrator", "Contributor")


def app_grants() -> set[tuple[str, str, str | None]]:
    app_parameters = app_identity_parameters()
    return {
        (grant.file, grant.role, grant.scope)
        for grant in role_assignments()
        if (grant.file, grant.principal) in app_parameters
    }


def test_main_hands_the_app_identity_to_these_modules() -> None:
    assert app_identity_parameters() == {
        ("app/api.bicep", "identityPrincipalId"),
        ("app/app-access.bicep", "appPrincipalId"),
        ("app/landing-zone.bicep", "appPrincipalId"),
        ("app/outcome-topic.bicep", "appPrincipalId"),
        ("app/purview-access.bicep", "appPrincipalId"),
    }


def test_app_identity_holds_exactly_these_roles() -> None:
    assert app_grants() == {
        # Per landing-zone subscription.
        ("app/landing-zone.bicep", "Reader", None),
        ("app/landing-zone.bicep", "Tag Contributor", None),
        ("app/landing-zone.bicep", "Resource Policy Contributor", None),
        ("app/landing-zone.bicep", "custom:groupWriterRole", None),
        ("app/landing-zone.bicep", "Role Based Access Control Administrator", None),
        # Its own resources.
        ("app/app-access.bicep", "Storage Blob Data Owner", "storage"),
        ("app/app-access.bicep", "Storage Table Data Contributor", "ledger"),
        ("app/app-access.bicep", "Storage Table Data Contributor", "runs"),
        ("app/app-access.bicep", "Storage Queue Data Contributor", "reconcile"),
        ("app/app-access.bicep", "Storage Queue Data Contributor", "poison"),
        ("app/app-access.bicep", "Monitoring Metrics Publisher", "applicationInsights"),
        # The Purview account, when there is one.
        ("app/purview-access.bicep", "Reader", "account"),
        # The outcome events' topic, when the deployment creates it: publishing there only.
        ("app/outcome-topic.bicep", "EventGrid Data Sender", "topic"),
    }


def test_app_identity_holds_no_owner_user_access_administrator_or_contributor() -> None:
    assert {role for _, role, _ in app_grants()} & set(PRIVILEGED) == set()


def test_no_template_names_a_privileged_role_id() -> None:
    for path in bicep_files():
        text = path.read_text(encoding="utf-8").lower()
        assert [name for name in PRIVILEGED if ROLE_IDS[name] in text] == [], path.name


def test_every_grant_in_the_templates_is_one_of_these() -> None:
    assert sorted((grant.file, grant.role, grant.principal) for grant in role_assignments()) == sorted(
        [
            ("app/app-access.bicep", "Monitoring Metrics Publisher", "appPrincipalId"),
            ("app/app-access.bicep", "Storage Blob Data Owner", "appPrincipalId"),
            ("app/app-access.bicep", "Storage Blob Data Reader", "operatorPrincipalId"),
            ("app/app-access.bicep", "Storage Table Data Contributor", "appPrincipalId"),
            ("app/app-access.bicep", "Storage Table Data Contributor", "appPrincipalId"),
            ("app/app-access.bicep", "Storage Queue Data Contributor", "appPrincipalId"),
            ("app/app-access.bicep", "Storage Queue Data Contributor", "appPrincipalId"),
            ("app/dead-letter-writer.bicep", "Storage Blob Data Contributor", "topicPrincipalId"),
            ("app/landing-zone.bicep", "Reader", "appPrincipalId"),
            ("app/landing-zone.bicep", "Reader", "purviewPrincipalId"),
            ("app/landing-zone.bicep", "Resource Policy Contributor", "appPrincipalId"),
            ("app/landing-zone.bicep", "Role Based Access Control Administrator", "appPrincipalId"),
            ("app/landing-zone.bicep", "Tag Contributor", "appPrincipalId"),
            ("app/landing-zone.bicep", "custom:groupWriterRole", "appPrincipalId"),
            ("app/outcome-topic.bicep", "EventGrid Data Sender", "appPrincipalId"),
            ("app/purview-access.bicep", "Reader", "appPrincipalId"),
        ]
    )


def test_custom_role_may_only_read_and_write_resource_groups() -> None:
    properties = resource("app/landing-zone.bicep", "groupWriterRole")["properties"]

    assert properties["type"] == "CustomRole"
    assert properties["permissions"] == [
        {
            "actions": [
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Resources/subscriptions/resourceGroups/write",
            ],
            "notActions": [],
            "dataActions": [],
            "notDataActions": [],
        }
    ]


def test_topics_and_operator_reach_only_the_dead_letter_container() -> None:
    grants = {(grant.file, grant.role): grant.scope for grant in role_assignments()}

    assert grants[("app/dead-letter-writer.bicep", "Storage Blob Data Contributor")] == "container"
    assert grants[("app/app-access.bicep", "Storage Blob Data Reader")] == "deadLetters"
    assert (
        resource("app/app-access.bicep", "deadLetters")["name"]
        == "${storageAccountName}/default/${deadLetterContainerName}"
    )
