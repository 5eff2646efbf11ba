"""azd preprovision hook: governance.yaml → infra/governance.generated.json, which main.bicep loads.

The deployment takes from the config what it must agree with: the landing zones (one set of grants
and one system topic per subscription) and the ABAC condition that fences the app's *Role Based
Access Control Administrator* right to ``rbac.allowed_roles`` and the principal types the config
grants to. The condition is ``shared.abac.rbac_condition``, the very text
``dpgov rbac-condition`` prints, so config and deployment cannot drift: the file is
written at every ``azd provision`` from the governance.yaml that ``azd deploy`` ships with the code.

    python -m infra.scripts.governance_params [CONFIG] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.abac import principal_types, rbac_condition
from shared.config import ConfigError, GovernanceConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / "governance.yaml"
OUTPUT = ROOT / "infra" / "governance.generated.json"


def governance_parameters(config: GovernanceConfig) -> dict[str, Any]:
    """What main.bicep reads from the config (keys are the Bicep's property names)."""
    return {
        "rbacCondition": rbac_condition(config),
        "allowedRoleIds": sorted(config.rbac.allowed_roles.values()),
        "principalTypes": principal_types(config),
        "landingZones": [{"name": zone.name, "subscriptionId": zone.subscription_id} for zone in config.landing_zones],
        "purviewRootCollection": config.purview_settings().root_collection,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.scripts.governance_params", description=__doc__)
    parser.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG, help="default: governance.yaml")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: infra/governance.generated.json")
    arguments = parser.parse_args(argv)
    if not arguments.config.is_file():
        print(
            f"{arguments.config} is missing: copy governance.example.yaml to governance.yaml and edit it; "
            "it is deployed with the code and decides the landing zones and grants",
            file=sys.stderr,
        )
        return 2
    try:
        document = governance_parameters(load_config(arguments.config))
    except (ConfigError, ValueError) as error:
        print(f"{arguments.config}: {error}", file=sys.stderr)
        return 2
    arguments.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    zones = ", ".join(zone["subscriptionId"] for zone in document["landingZones"])
    print(f"{arguments.output.name}: landing zones {zones}; the app may grant {len(document['allowedRoleIds'])} roles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
