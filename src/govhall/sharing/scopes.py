"""django-oauth-toolkit scopes backend: a client may only obtain the scopes it was granted."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

from govhall.sharing.constants import ClientScope


def _granted(application: Any) -> list[str]:
    access = getattr(application, "access", None) if application is not None else None
    if access is None or not access.is_active:
        return []
    return [scope for scope in access.scopes if scope in ClientScope.values]


class ClientScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return {scope.value: str(scope.label) for scope in ClientScope}

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return _granted(application)

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        # A token asked for without a scope carries everything the client was granted:
        return _granted(application)
