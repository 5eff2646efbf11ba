"""RBAC, Policy and PolicyInsights state: the records of ``Microsoft.Authorization`` and
``Microsoft.PolicyInsights``, and the directory their checks consult."""

from .state import AccessState

__all__ = ["AccessState"]
