"""Reads for the sharing API: what a client may see."""

from __future__ import annotations

from govhall.dossier.queries import Scope
from govhall.identity.queries import departments_below
from govhall.sharing.constants import KINDS_OF_SCOPE
from govhall.sharing.models import ClientAccess


def scope_for_client(access: ClientAccess, token_scopes: list[str]) -> Scope:
    """The records a client's token may read: its departments (and units below), its scopes' kinds."""
    roots = list(access.departments.values_list("pk", flat=True))
    kinds = frozenset(KINDS_OF_SCOPE[s] for s in token_scopes if s in KINDS_OF_SCOPE and s in access.scopes)
    return Scope(frozenset(departments_below(roots)), kinds)
