"""Who is served at the window (一窗受理): the person, and the company they act for, identified at the counter.

The hall's counter checks the ID card (and a company's letter of authorisation) and keeps whom it
identified in the clerk's session; an intake page — one item's, or a bundle's — serves only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from govhall.cases import queries
from govhall.cases.constants import SESSION_INTAKE_ENTITY, SESSION_INTAKE_PERSON


@dataclass(frozen=True)
class WindowSubject:
    person: Any  # identity NaturalPerson
    entity: Any  # identity LegalEntity, or None
    next_url: str  # the desk page to return to (the hall's counter), or ""


def window_subject(request: HttpRequest) -> WindowSubject | None:
    """The person (and company) the counter identified, if the page was opened for them; else None."""
    given = request.GET.get("person") or request.POST.get("person") or ""
    if not given or given != request.session.get(SESSION_INTAKE_PERSON):
        return None
    person = queries.get_person_for_intake(given)
    entity = queries.get_entity_for_intake(request.session.get(SESSION_INTAKE_ENTITY) or "")
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not next_url.startswith("/desk/") or "//" in next_url:
        next_url = ""
    return WindowSubject(person, entity, next_url)


def identified_since(request: HttpRequest, subject: WindowSubject) -> bool:
    """Whether the counter identified another company (or none) since the posted form was opened."""
    opened_for = request.POST.get("entity", "")
    return request.method == "POST" and opened_for != (str(subject.entity.public_id) if subject.entity else "")
