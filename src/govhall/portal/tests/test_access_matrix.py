"""Who may open what: every staff URL and API operation × every kind of account × an object
inside and outside the account's units.

The routes are read from the URL configuration, so a new staff page or API operation that
is not in ``MATRIX`` fails ``test_every_staff_and_api_route_is_in_the_matrix``: whoever adds
a view says here who may use it, and the other tests then hold the view to it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from govhall.archives import actions as archive_actions
from govhall.archives.models import ArchivalPackage, DisposalList
from govhall.audit.models import AuditRecord
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import (
    frank,  # noqa: F401 - fixtures
    pdf_bytes,
)
from govhall.catalog import actions as catalog_actions
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.complaints import actions as complaint_actions
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.delivery.constants import DeliveryStatus, Method, ShipmentStatus
from govhall.delivery.models import Delivery, Shipment
from govhall.halls.models import Booking, Hall
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.inspections import actions as inspection_actions
from govhall.inspections.constants import PlanKind
from govhall.inspections.models import Draw, Inspection, InspectionPlan, Inspector
from govhall.licences import actions as licence_actions
from govhall.licences.models import Licence, LicenceCopy
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    FORM,
    approved_case,
    felling_type,
    forest_right_type,
    licensed_felling,
)
from govhall.office import actions as office_actions
from govhall.office.models import Document, Evidence, Task
from govhall.payments.constants import DifferenceKind, OrderStatus
from govhall.payments.models import Difference, PaymentOrder, Refund, StatementRun
from govhall.proactive.models import Entitlement, EntitlementGrant
from govhall.publicinfo import actions as info_actions
from govhall.publicinfo.constants import ApplicantKind, EntryKind, FormWanted
from govhall.publicinfo.models import DisclosureRequest, Entry, Question
from govhall.ratings import actions as ratings_actions
from govhall.ratings.models import Rectification, RectificationEvidence
from govhall.sensors.constants import AlarmStatus, Severity, StationType
from govhall.sensors.models import Alarm, AlarmRule, Station
from govhall.sharing import actions as sharing_actions
from govhall.sharing.constants import Adapter, InboundStatus
from govhall.sharing.models import InboundApplication, OutboxMessage
from govhall.stats import actions as stats_actions
from govhall.stats.models import ServiceReport

pytestmark = pytest.mark.django_db

# Who is asking. Staff hold the roles of the demo bureau; "bea" is a second applicant:
PERSONAS = ("anonymous", "alice", "bea", "bob", "carol", "helen", "grace", "dan", "erin", "lucy")
STAFF = {"bob", "carol", "helen", "grace", "dan", "erin", "lucy"}
# Staff whose units cover the forestry unit's cases and licences (bureau-wide roles included):
FORESTRY_RECORDS = {"bob", "grace", "dan"}
CATALOG_STAFF = {"helen", "grace"}  # the content editor and the approver
# Who can see each kind of object at all; anyone else is told "not found" for it:
VISIBLE = {
    "case": FORESTRY_RECORDS,
    "material": FORESTRY_RECORDS,
    "licence": FORESTRY_RECORDS,
    "copy": FORESTRY_RECORDS,
    "version": CATALOG_STAFF,
    # A bad rating's rectification: the approver and the supervisor over the unit (and its
    # handler, once assigned) — never the clerk who served the case and was rated:
    "rectification": {"grace", "dan"},
    "rectification_evidence": {"grace", "dan"},
    "complaint": FORESTRY_RECORDS,
    "order": FORESTRY_RECORDS,
    "order_evidence": FORESTRY_RECORDS,
    "report": {"bob", "carol", "grace", "dan"},  # the monthly 通报: staff who handle or supervise
    # A forestry draft co-signed by the water unit: both units, and the office (grace, dan):
    "document": {"bob", "carol", "grace", "dan"},
    "attachment": {"bob", "carol", "grace", "dan"},
    # A task given to the forestry unit by the leader:
    "task": FORESTRY_RECORDS,
    "task_evidence": FORESTRY_RECORDS,
    "assignment": FORESTRY_RECORDS,
    # The electronic archives: the archivist only (a disposal list's reviewers too, while it is
    # theirs to review; the archives tests hold that):
    # Post-licence supervision: the forestry plan's planners (the bureau's approver and
    # supervisor); its inspection also to the inspectors drawn (bob, and frank):
    "plan": {"grace", "dan"},
    "draw": {"grace", "dan"},
    "inspection": FORESTRY_RECORDS,
    "entitlement": {"grace", "dan"},  # 免申即享: the paying unit's approver and supervisor
    "package": {"lucy"},
    "disposal": {"lucy"},
    "entry": {"helen", "grace"},  # 政务公开: the content editor and the approver
    "request": {"helen", "grace"},
    "question": {"helen", "grace"},
    "message": {"dan", "erin"},  # the exchange: supervisors and system administrators
    "inbound": {"dan", "erin"},
    "station": FORESTRY_RECORDS,  # a field station of the forestry unit
    "fee_order": FORESTRY_RECORDS,  # a fee order of the forestry case
    "refund": FORESTRY_RECORDS,
    "difference": {"dan"},  # reconciliation differences: the supervisors
    "delivery": FORESTRY_RECORDS,  # the delivery of the forestry case's result
    "shipment": FORESTRY_RECORDS,
    "booking": set(),  # a hall booking: its applicant's own, no staff route carries one
    "alarm": FORESTRY_RECORDS,
}
ARCHIVIST = {"lucy"}
# Kinds with one object in the world, found by its public id:
PAYMENT_OBJECTS: dict[str, Any] = {
    "fee_order": PaymentOrder,
    "refund": Refund,
    "difference": Difference,
    "delivery": Delivery,
    "shipment": Shipment,
    "booking": Booking,
}
OFFICE = {"grace", "dan"}  # bureau-level roles: the office sees all documents and tasks


@dataclass(frozen=True)
class Rule:
    """Who may use one route.

    ``access``: ``public`` (anyone), ``login`` (the login pages themselves), ``client`` (the
    sharing API: OAuth2 client credentials, no person), ``staff`` (staff listed in
    ``allowed``), ``applicant`` (the applicant's own objects). ``kind`` names the object the
    URL carries; for those routes, staff outside ``allowed`` (and other applicants) get
    exactly "not found", as for an object that does not exist.
    """

    access: str
    kind: str = ""
    allowed: frozenset[str] = field(default_factory=frozenset)
    methods: tuple[str, ...] = ("GET",)
    arguments: dict[str, str] = field(default_factory=dict)


def _staff(allowed: set[str], kind: str = "", methods: tuple[str, ...] = ("GET",), **arguments: str) -> Rule:
    return Rule("staff", kind, frozenset(allowed), methods, arguments)


_CASE_ACTIONS = [
    "accept",
    "correction",
    "not-accept",
    "complete-step",
    "countersign",
    "countersign-answer",
    "decide",
    "forward",
    "close",
    "special-start",
    "special-end",
    "extension-request",
    "extension-approve",
    "extension-refuse",
]

MATRIX: dict[str, Rule] = {
    # The desk:
    "desk/login/": Rule("login"),
    "desk/verify/": Rule("login"),
    "desk/password/": _staff(STAFF),  # every staff member sets their own password
    "desk/enrolment-codes/": _staff(set(), methods=("GET", "POST")),  # the security administrator only
    "desk/audit/": _staff(set()),  # the audit administrator only
    "desk/audit/export/": _staff(set(), methods=("POST",)),
    "desk/": _staff(STAFF),
    # Lists open to every staff member show only what their record roles cover (nothing for
    # an administrator or the content editor; the cases tests check the contents):
    "desk/cases/": _staff(STAFF),
    "desk/cases/late/": _staff({"dan"}),
    "desk/cases/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "case"),
    "desk/cases/<uuid:public_id>/<slug:action>/": _staff(FORESTRY_RECORDS, "case", ("POST",), action="accept"),
    "desk/cases/<uuid:public_id>/materials/<uuid:material_id>/": _staff(FORESTRY_RECORDS, "material"),
    "desk/cases/<uuid:public_id>/acceptance-notice.pdf": _staff(FORESTRY_RECORDS, "case"),
    # Fees (缴费): the case's order and refunds to its unit; the reconciliation to the supervisors:
    "desk/payments/": _staff(STAFF),
    "desk/payments/cases/<uuid:public_id>/issue/": _staff(FORESTRY_RECORDS, "case", ("POST",)),
    "desk/payments/orders/<uuid:public_id>/notice.pdf": _staff(FORESTRY_RECORDS, "fee_order"),
    "desk/payments/orders/<uuid:public_id>/<slug:action>/": _staff(
        FORESTRY_RECORDS, "fee_order", ("POST",), action="cancel"
    ),
    "desk/payments/refunds/<uuid:public_id>/decide/": _staff(FORESTRY_RECORDS, "refund", ("POST",)),
    "desk/payments/differences/<uuid:public_id>/settle/": _staff({"dan"}, "difference", ("POST",)),
    # Delivery of results (送达): the lists and the window hand-over to every member of staff (each
    # sees and hands over only what their units cover); the documents to the case's unit:
    "desk/delivery/": _staff(STAFF),
    "desk/delivery/handover/": _staff(STAFF, methods=("POST",)),
    "desk/delivery/shipments/<uuid:public_id>/label.pdf": _staff(FORESTRY_RECORDS, "shipment"),
    "desk/delivery/<uuid:public_id>/decision.pdf": _staff(FORESTRY_RECORDS, "delivery"),
    # The hall's counter: every staff member reaches the page (it says who is a clerk of which hall);
    # signing in and the buttons are held to the hall's clerks by the actions (halls tests):
    "desk/counter/": _staff(STAFF),
    "desk/counter/sign-in/": _staff(STAFF, methods=("POST",)),
    "desk/counter/<slug:operation>/": _staff(STAFF, methods=("POST",), operation="call"),
    "desk/counter/linked/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "case"),
    # The hall's figures: the clerks, approvers and supervisors over the hall's department (the
    # world's hall hangs on the forestry unit):
    # A window consultation proposed for a FAQ: the content editors draft it (public information's desk):
    "desk/halls/consultations/<int:pk>/faq/": _staff({"helen"}, methods=("POST",), pk="1"),
    "desk/halls/stats/": _staff(FORESTRY_RECORDS),
    "desk/halls/stats/export.xlsx": _staff(FORESTRY_RECORDS),
    "desk/halls/stats/compute/": _staff(FORESTRY_RECORDS, methods=("POST",)),
    # Window intake: the clerks (of any unit; the items offered are their units'):
    "desk/cases/intake/": _staff({"bob", "carol"}),
    # A bundle at the window: the clerks too (the bundles offered are those all of whose items are theirs):
    "desk/bundles/intake/": _staff({"bob", "carol"}),
    "desk/licences/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "licence"),
    "desk/licences/<uuid:public_id>/licence.pdf": _staff(FORESTRY_RECORDS, "licence"),
    "desk/licences/copies/<uuid:public_id>/copy.pdf": _staff(FORESTRY_RECORDS, "copy"),
    "desk/licences/<uuid:public_id>/<slug:operation>/": _staff(
        FORESTRY_RECORDS, "licence", ("POST",), operation="suspend"
    ),
    "desk/dossier/": _staff(STAFF),  # the form; a look-up by the wrong role is refused and audited
    "desk/catalog/": _staff(CATALOG_STAFF),
    "desk/catalog/new/": _staff({"helen"}),
    "desk/catalog/import/": _staff({"helen"}),
    "desk/catalog/export.<str:fmt>": _staff(CATALOG_STAFF, fmt="json"),
    "desk/catalog/v/<uuid:public_id>/": _staff(CATALOG_STAFF, "version"),
    "desk/catalog/v/<uuid:public_id>/edit/": _staff({"helen"}, "version"),
    "desk/catalog/v/<uuid:public_id>/diff/": _staff(CATALOG_STAFF, "version"),
    "desk/catalog/v/<uuid:public_id>/<slug:action>/": _staff(CATALOG_STAFF, "version", ("POST",), action="submit"),
    # Ratings (好差评) and the rectification of bad ones:
    "desk/ratings/": _staff(STAFF),  # each sees their own units' ratings, never who rated
    "desk/ratings/hotline/": _staff(STAFF, methods=("GET", "POST")),  # a case outside their units is refused
    "desk/ratings/rectifications/<uuid:public_id>/": _staff(VISIBLE["rectification"], "rectification"),
    "desk/ratings/rectifications/<uuid:public_id>/<slug:action>/": _staff(
        VISIBLE["rectification"], "rectification", ("POST",), action="classify"
    ),
    "desk/ratings/rectifications/<uuid:public_id>/evidence/<uuid:evidence_id>/": _staff(
        VISIBLE["rectification"], "rectification_evidence"
    ),
    # Complaints and supervision orders (督办):
    "desk/complaints/": _staff(STAFF),
    "desk/complaints/new/": _staff({"bob", "carol", "grace", "dan"}, methods=("GET", "POST")),
    "desk/complaints/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "complaint"),
    "desk/complaints/<uuid:public_id>/contact/": _staff(FORESTRY_RECORDS, "complaint", ("POST",)),
    "desk/complaints/<uuid:public_id>/<slug:action>/": _staff(
        FORESTRY_RECORDS, "complaint", ("POST",), action="accept"
    ),
    "desk/supervision/": _staff(STAFF),
    "desk/supervision/new/": _staff({"dan"}, methods=("GET", "POST")),
    "desk/supervision/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "order"),
    "desk/supervision/<uuid:public_id>/evidence/<uuid:evidence_id>/": _staff(FORESTRY_RECORDS, "order_evidence"),
    "desk/supervision/<uuid:public_id>/<slug:action>/": _staff(FORESTRY_RECORDS, "order", ("POST",), action="reply"),
    # The monthly service report (通报):
    "desk/reports/": _staff(VISIBLE["report"]),
    "desk/reports/<uuid:public_id>/report.pdf": _staff(VISIBLE["report"], "report"),
    # The indicators: the same staff as the 通报 (each sees the units they cover):
    "desk/indicators/": _staff(VISIBLE["report"]),
    "desk/indicators/export.xlsx": _staff(VISIBLE["report"]),
    "desk/indicators/<slug:key>/<slug:part>/": _staff(VISIBLE["report"], key="on_time", part="numerator"),
    # Office work (联动办公): documents countersigned across units and supervised tasks:
    "desk/office/": _staff(STAFF),
    "desk/office/weekly/": _staff(OFFICE),
    "desk/office/documents/new/": _staff({"bob", "carol", "grace", "dan"}, methods=("GET", "POST")),
    "desk/office/documents/incoming/": _staff({"bob", "carol", "grace", "dan"}, methods=("GET", "POST")),
    "desk/office/documents/<uuid:public_id>/": _staff(VISIBLE["document"], "document"),
    "desk/office/documents/<uuid:public_id>/pdf/": _staff(VISIBLE["document"], "document"),
    "desk/office/documents/<uuid:public_id>/attachments/<uuid:attachment_id>/": _staff(
        VISIBLE["document"], "attachment"
    ),
    "desk/office/documents/<uuid:public_id>/<slug:action>/": _staff(
        VISIBLE["document"], "document", ("POST",), action="sign"
    ),
    "desk/office/tasks/new/": _staff(OFFICE, methods=("GET", "POST")),
    "desk/office/tasks/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "task"),
    "desk/office/tasks/<uuid:public_id>/evidence/<uuid:evidence_id>/": _staff(FORESTRY_RECORDS, "task_evidence"),
    "desk/office/tasks/<uuid:public_id>/units/<uuid:assignment_id>/<slug:action>/": _staff(
        FORESTRY_RECORDS, "assignment", ("POST",), action="report"
    ),
    # The electronic archives (电子档案):
    "desk/archives/": _staff(ARCHIVIST, methods=("GET", "POST")),
    "desk/archives/transfer/": _staff(ARCHIVIST, methods=("POST",)),
    "desk/archives/disposal/": _staff(ARCHIVIST, methods=("GET", "POST")),
    "desk/archives/disposal/<uuid:public_id>/": _staff(ARCHIVIST, "disposal"),
    "desk/archives/disposal/<uuid:public_id>/certificate.pdf": _staff(set(), "disposal"),  # none until destroyed
    "desk/archives/disposal/<uuid:public_id>/<slug:action>/": _staff(ARCHIVIST, "disposal", ("POST",), action="submit"),
    "desk/archives/<uuid:public_id>/": _staff(ARCHIVIST, "package"),
    "desk/archives/<uuid:public_id>/<slug:action>/": _staff(ARCHIVIST, "package", ("POST",), action="fixity"),
    # Post-licence supervision (证后监管, 双随机一公开):
    "desk/inspections/": _staff(STAFF),  # each sees the plans they plan for and the inspections they are drawn for
    "desk/inspections/plans/<uuid:public_id>/draw/": _staff(VISIBLE["plan"], "plan", ("POST",)),
    "desk/inspections/plans/<uuid:public_id>/guidance/": _staff(VISIBLE["plan"], "plan", ("GET", "POST")),
    "desk/inspections/draws/<uuid:public_id>/": _staff(VISIBLE["draw"], "draw", ("GET", "POST")),
    "desk/inspections/tasks/<uuid:public_id>/": _staff(VISIBLE["inspection"], "inspection", ("GET", "POST")),
    # 免申即享:
    "desk/entitlements/": _staff(STAFF),  # each sees the entitlements of the units they grant for
    "desk/entitlements/<uuid:public_id>/": _staff(VISIBLE["entitlement"], "entitlement", ("GET", "POST")),
    # Field sensors (水雨情监测):
    "desk/sensors/": _staff(STAFF),  # each sees the stations of their units
    "desk/sensors/enrol/": _staff({"bob", "carol", "dan"}, methods=("GET", "POST")),  # clerks and supervisors
    "desk/sensors/stations/<uuid:public_id>/": _staff(VISIBLE["station"], "station"),
    "desk/sensors/alarms/<uuid:public_id>/<slug:action>/": _staff(
        VISIBLE["alarm"], "alarm", ("POST",), action="acknowledge"
    ),
    "api/v1/sensors/": Rule("public"),
    "api/v1/desk/sensor-alarms/": _staff(STAFF),
    "api/v1/desk/sensor-alarms/<uuid:public_id>/acknowledge/": _staff(VISIBLE["alarm"], "alarm", ("POST",)),
    # Public information (政务公开):
    "desk/info/": _staff(VISIBLE["entry"]),
    "desk/info/new/": _staff({"helen"}, methods=("GET", "POST")),
    "desk/info/annual/": _staff(VISIBLE["request"]),  # those who handle disclosure requests
    "desk/info/rules/": _staff(VISIBLE["entry"]),  # the clean-up of the bureau's own rules
    "desk/info/<uuid:public_id>/": _staff(VISIBLE["entry"], "entry"),
    "desk/info/<uuid:public_id>/<slug:action>/": _staff(VISIBLE["entry"], "entry", ("POST",), action="pass"),
    "desk/info/requests/<uuid:public_id>/": _staff(VISIBLE["request"], "request", ("GET", "POST")),
    "desk/info/requests/<uuid:public_id>/letter.pdf": _staff(set(), "request"),  # none until answered
    "desk/info/questions/<uuid:public_id>/": _staff(VISIBLE["question"], "question", ("GET", "POST")),
    "api/v1/info/entries/": Rule("public"),
    "api/v1/info/entries/<uuid:public_id>/": Rule("public"),
    "api/v1/info/requests/": Rule("public", methods=("POST",)),
    "api/v1/info/requests/follow/": Rule("public", methods=("POST",)),
    # Disclosure requests on the desk: those who handle them:
    "api/v1/desk/info/requests/": _staff(VISIBLE["request"]),
    "api/v1/desk/info/requests/<uuid:public_id>/answer/": _staff(VISIBLE["request"], "request", ("POST",)),
    "api/v1/desk/info/requests/<uuid:public_id>/extend/": _staff(VISIBLE["request"], "request", ("POST",)),
    # The exchange with the province (数据报送):
    "desk/exchange/": _staff(VISIBLE["message"]),
    "desk/exchange/replay/": _staff(VISIBLE["message"], methods=("POST",)),
    "desk/exchange/messages/": _staff(VISIBLE["message"]),
    "desk/exchange/messages/<uuid:public_id>/": _staff(VISIBLE["message"], "message", ("GET", "POST")),
    "desk/exchange/inbound/": _staff(VISIBLE["inbound"]),
    "desk/exchange/inbound/<uuid:public_id>/": _staff(VISIBLE["inbound"], "inbound", ("GET", "POST")),
    "api/v1/exchange/inbound/": Rule("client", methods=("POST",)),  # signed by the provincial platform only
    "api/v1/open-data/": Rule("public"),
    "api/v1/open-data/<slug:slug>/": Rule("public"),
    # The API: the public parts, the applicant's own cases, the desk, the catalog editors:
    "api/schema/": Rule("public"),
    "api/v1/catalog/items/": Rule("public"),
    "api/v1/catalog/items/<uuid:public_id>/": Rule("public"),
    "api/v1/catalog/indicators/": Rule("public"),
    "api/v1/catalog/import/": _staff({"helen"}, methods=("POST",)),
    "api/v1/catalog/versions/<uuid:public_id>/<slug:action>/": _staff(
        CATALOG_STAFF, "version", ("POST",), action="submit"
    ),
    "api/v1/licences/verify/": Rule("public"),
    "api/v1/licences/copies/<uuid:public_id>/verify/": Rule("public"),
    "api/v1/cases/": Rule("applicant"),
    "api/v1/cases/<uuid:public_id>/": Rule("applicant", "case"),
    "api/v1/cases/<uuid:public_id>/withdraw/": Rule("applicant", "case", methods=("POST",)),
    "api/v1/cases/<uuid:public_id>/corrections/": Rule("applicant", "case", methods=("POST",)),
    "api/v1/desk/cases/": _staff(STAFF),
    # Fees: the applicant's own; the desk's for the case's unit:
    "api/v1/cases/<uuid:public_id>/fees/": Rule("applicant", "case"),
    "api/v1/fees/<uuid:public_id>/pay/": Rule("applicant", "fee_order", methods=("POST",)),
    "api/v1/desk/cases/<uuid:public_id>/fees/": _staff(FORESTRY_RECORDS, "case", ("GET", "POST")),
    **{
        f"api/v1/desk/fees/<uuid:public_id>/{action}/": _staff(FORESTRY_RECORDS, "fee_order", ("POST",))
        for action in ("window", "cancel", "refund", "refresh")
    },
    "api/v1/desk/refunds/<uuid:public_id>/decision/": _staff(FORESTRY_RECORDS, "refund", ("POST",)),
    # Delivery: the applicant's own choice; the desk's piles and hand-over:
    "api/v1/cases/<uuid:public_id>/delivery/": Rule("applicant", "case", methods=("GET", "POST")),
    "api/v1/cases/<uuid:public_id>/material-pickups/": Rule("applicant", "case", methods=("POST",)),
    "api/v1/desk/deliveries/": _staff(STAFF),
    # The hall: halls, free slots, a board and a ticket are public; bookings are the applicant's own:
    "api/v1/halls/": Rule("public"),
    "api/v1/halls/<slug:code>/slots/": Rule("public"),
    "api/v1/halls/<slug:code>/board/": Rule("public"),
    "api/v1/tickets/<uuid:public_id>/": Rule("public"),
    "api/v1/bookings/": Rule("applicant", methods=("GET", "POST")),
    "api/v1/bookings/<uuid:public_id>/": Rule("applicant", "booking"),
    "api/v1/bookings/<uuid:public_id>/confirm/": Rule("applicant", "booking", methods=("POST",)),
    "api/v1/bookings/<uuid:public_id>/cancel/": Rule("applicant", "booking", methods=("POST",)),
    "api/v1/desk/deliveries/handover/": _staff(STAFF, methods=("POST",)),
    "api/v1/desk/cases/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "case"),
    **{
        f"api/v1/desk/cases/<uuid:public_id>/actions/{action}/": _staff(FORESTRY_RECORDS, "case", ("POST",))
        for action in _CASE_ACTIONS
    },
    # An action that does not exist is "not found" for everyone:
    "api/v1/desk/cases/<uuid:public_id>/actions/<slug:action>/": _staff(
        set(), "case", ("POST",), action="no-such-action"
    ),
    "api/v1/ratings/": Rule("applicant"),
    "api/v1/ratings/reasons/": Rule("public"),
    "api/v1/ratings/cases/<uuid:public_id>/": Rule("applicant", "case", methods=("POST",)),
    "api/v1/desk/ratings/": _staff(STAFF),
    "api/v1/complaints/": Rule("public"),
    "api/v1/complaints/follow/": Rule("public"),
    "api/v1/desk/complaints/": _staff(STAFF),
    "api/v1/desk/complaints/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "complaint"),
    "api/v1/desk/supervision-orders/": _staff(STAFF),
    "api/v1/desk/supervision-orders/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "order"),
    "api/v1/desk/supervision-orders/<uuid:public_id>/reply/": _staff(FORESTRY_RECORDS, "order", ("POST",)),
    "api/v1/desk/office/documents/": _staff(STAFF),
    "api/v1/desk/office/documents/<uuid:public_id>/": _staff(VISIBLE["document"], "document"),
    "api/v1/desk/office/tasks/": _staff(STAFF),
    "api/v1/desk/office/tasks/<uuid:public_id>/": _staff(FORESTRY_RECORDS, "task"),
    "api/v1/sharing/licences/": Rule("client"),
    "api/v1/sharing/cases/": Rule("client"),
    "api/v1/sharing/licence-check/": Rule("client", methods=("POST",)),
}


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _guarded_routes() -> set[str]:
    return {route for route in _routes(get_resolver().url_patterns) if route.startswith(("desk/", "api/"))}


def test_every_staff_and_api_route_is_in_the_matrix() -> None:
    routes = _guarded_routes()
    assert sorted(routes - MATRIX.keys()) == [], "say in MATRIX who may use these new routes"
    assert sorted(MATRIX.keys() - routes) == [], "these routes are gone: take them out of MATRIX"


# The world each request meets -----------------------------------------------------------


@dataclass
class World:
    case: Case
    licence: Licence
    copy: LicenceCopy
    version: ItemVersion
    users: dict[str, User]
    rectification: Rectification
    complaint: Complaint
    order: SupervisionOrder
    report: ServiceReport
    document: Document
    task: Task
    package: ArchivalPackage
    disposal: DisposalList
    plan: InspectionPlan
    draw: Draw
    inspection: Inspection
    entitlement: Entitlement
    station: Station
    alarm: Alarm
    message: OutboxMessage
    inbound: InboundApplication
    entry: Entry
    request: DisclosureRequest
    question: Question

    def object_arguments(self, kind: str) -> dict[str, str]:
        if kind in {"case", "material"}:
            arguments = {"public_id": str(self.case.public_id)}
            if kind == "material":
                arguments["material_id"] = str(self.case.materials.first().public_id)  # type: ignore[union-attr]
            return arguments
        if kind == "rectification_evidence":
            evidence = self.rectification.evidence.get()
            return {"public_id": str(self.rectification.public_id), "evidence_id": str(evidence.public_id)}
        if kind == "attachment":
            attachment = self.document.attachments.get()
            return {"public_id": str(self.document.public_id), "attachment_id": str(attachment.public_id)}
        if kind == "task_evidence":
            evidence = Evidence.objects.get(report__assignment__task=self.task)
            return {"public_id": str(self.task.public_id), "evidence_id": str(evidence.public_id)}
        if kind == "assignment":
            assignment = self.task.assignments.get()
            return {"public_id": str(self.task.public_id), "assignment_id": str(assignment.public_id)}
        if kind in PAYMENT_OBJECTS:
            return {"public_id": str(PAYMENT_OBJECTS[kind].objects.get().public_id)}
        if kind == "order_evidence":
            return {"public_id": str(self.order.public_id), "evidence_id": str(self.order.evidence.get().public_id)}
        objects: dict[str, Any] = {
            "licence": self.licence,
            "copy": self.copy,
            "version": self.version,
            "rectification": self.rectification,
            "complaint": self.complaint,
            "order": self.order,
            "report": self.report,
            "document": self.document,
            "task": self.task,
            "package": self.package,
            "disposal": self.disposal,
            "plan": self.plan,
            "draw": self.draw,
            "inspection": self.inspection,
            "entitlement": self.entitlement,
            "station": self.station,
            "alarm": self.alarm,
            "message": self.message,
            "inbound": self.inbound,
            "entry": self.entry,
            "request": self.request,
            "question": self.question,
        }
        return {"public_id": str(objects[kind].public_id)}

    def fingerprint(self) -> tuple[Any, ...]:
        """What a refused request must leave as it was."""
        self.case.refresh_from_db()
        self.licence.refresh_from_db()
        self.version.refresh_from_db()
        for thing in (self.rectification, self.complaint, self.order, self.document, self.task):
            thing.refresh_from_db()
        self.package.refresh_from_db()
        self.disposal.refresh_from_db()
        return (
            self.case.status,
            self.case.events.count(),
            self.licence.status,
            self.version.state,
            self.rectification.status,
            self.complaint.status,
            self.order.status,
            self.document.status,
            self.task.status,
            self.package.status,
            self.package.last_fixity_at,
            self.disposal.status,
            Draw.objects.filter(voided_at__isnull=True).count(),
            tuple(Inspection.objects.order_by("pk").values_list("status", flat=True)),
            tuple(EntitlementGrant.objects.order_by("pk").values_list("status", flat=True)),
            tuple(Alarm.objects.order_by("pk").values_list("status", flat=True)),
            tuple(OutboxMessage.objects.order_by("pk").values_list("status", "attempts", "next_attempt_at")),
            tuple(InboundApplication.objects.order_by("pk").values_list("status", flat=True)),
            tuple(Entry.objects.order_by("pk").values_list("status", "version")),
            tuple(DisclosureRequest.objects.order_by("pk").values_list("status", "due_on")),
            tuple(Question.objects.order_by("pk").values_list("answered_at", flat=True)),
            tuple(PaymentOrder.objects.order_by("pk").values_list("status", "needs_review", "refunded")),
            tuple(Refund.objects.order_by("pk").values_list("status", flat=True)),
            tuple(Delivery.objects.order_by("pk").values_list("method", "status", "served_at", "region_code")),
            tuple(Difference.objects.order_by("pk").values_list("settled_at", flat=True)),
            AuditRecord.objects.exclude(event__in=_HARMLESS_AUDIT).count(),
        )


# Logins, refusals and look-ups are audited; none of them changes anything:
_HARMLESS_AUDIT = ["identity.login", "identity.login_failed", "identity.logout", "identity.access_denied"]


@pytest.fixture
def world(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    carol: User,
    dan: User,
    erin: User,
    grace: User,  # noqa: F811
    helen: User,  # noqa: F811
    frank: User,  # noqa: F811
) -> World:
    bea = identity_actions.register_applicant(
        name="白雅", id_number="350205199001010010", phone="13800000002", password="Test#Pass2026"
    )
    issued = approved_case(licensed_felling, alice, bob, grace)
    licence = Licence.objects.get(case_public_id=issued.public_id)
    copy = licence_actions.make_licence_copy(
        licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    draft = catalog_actions.start_new_version(licensed_felling.item, actor=helen)
    users = {"alice": alice, "bea": bea, "bob": bob, "carol": carol, "dan": dan, "erin": erin}
    lucy = identity_actions.create_staff(username="lucy", full_name="卢秋云", password="Test#Pass2026")
    identity_actions.grant_role(lucy, issued.department, Role.ARCHIVIST)
    users.update(grace=grace, helen=helen, lucy=lucy)
    # The case closed and rated badly: a rectification (with a file), a complaint about the
    # case and a supervision order on it (with the unit's reply and its file), a month's report:
    forestry = issued.department
    closed = case_actions.close_case(issued, actor=bob)
    # Archived at once, past its disposal date and listed for destruction (before the complaint
    # below would hold it):
    archive_actions.read_case_events()
    package = archive_actions.build_package(ArchivalPackage.objects.get(case=closed))
    ArchivalPackage.objects.filter(pk=package.pk).update(disposal_on=timezone.localdate() - datetime.timedelta(days=1))
    package.refresh_from_db()
    disposal = archive_actions.create_disposal_list(actor=lucy, name="2016年到期办件档案", packages=[package])
    rating = ratings_actions.rate_case(closed, rater=alice, level="very_dissatisfied", reason_codes=["slow"])
    rectification = rating.rectification
    RectificationEvidence.objects.create(
        rectification=rectification,
        file=ContentFile(b"%PDF-1.4 evidence", name="evidence.pdf"),
        original_name="整改照片.pdf",
        content_type="application/pdf",
        size=17,
        sha256="0" * 64,
        uploaded_by=dan,
    )
    complaint, _code = complaint_actions.submit_complaint(
        kind="slowness", title="办理太慢", content="采伐证等了很久。", about_department=forestry, case=closed
    )
    order = complaint_actions.raise_supervision_order(
        object_kind="case", object_id=closed.public_id, department=forestry, level="red", reason="办件超期", case=closed
    )
    order = complaint_actions.reply_to_order(
        order,
        actor=bob,
        reply="已说明情况。",
        evidence=[SimpleUploadedFile("说明.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    report = stats_actions.keep_service_report(timezone.localdate().replace(day=1) - datetime.timedelta(days=1))
    # A notice forestry drafted (with an attachment) and sent to the water unit to co-sign, and
    # a task the leader gave the forestry unit, with a progress report and its file:
    document = office_actions.draft_document(
        actor=bob,
        department=forestry,
        title="关于做好森林防火工作的通知",
        issuing_authority="厦门市海沧区农林水利局",
        series="厦海农林水",
        body="各有关单位：……",
        attachments=[SimpleUploadedFile("附件.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    document = office_actions.send_for_countersign(document, actor=bob, lead=forestry, co_units=[carol_unit(carol)])
    # Co-signed by both units, signed by the leader and issued (its PDF is a route of its own):
    for signer in (bob, carol):
        office_actions.sign_document(document, actor=signer, opinion="同意。")
    office_actions.sign_off(document, actor=grace)
    document = office_actions.issue_document(document, actor=bob)
    task = office_actions.create_task(
        actor=grace, title="林区防火隐患排查", source="meeting", units=[forestry], days=10
    )
    office_actions.report_progress(
        task.assignments.get(),
        actor=bob,
        text="已排查三个林班。",
        percent=40,
        evidence=[SimpleUploadedFile("排查记录.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    # A random inspection plan over the felling licences, drawn by the supervisor, with the
    # forestry roster (bob and frank) as inspectors:
    plan = InspectionPlan.objects.create(
        name="采伐许可证后抽查",
        licence_type=licence.licence_type,
        department=forestry,
        kind=PlanKind.RANDOM,
        sample_percent=100,
    )
    for inspector in (bob, frank):
        Inspector.objects.create(user=inspector, department=forestry)
    draw = inspection_actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查")
    # A forest-fire-area rain gauge of the forestry unit with an active red alarm:
    station = Station.objects.create(
        code="matrix-rain", name="林场雨量站", station_type=StationType.RAIN, department=forestry
    )
    now = timezone.now()
    alarm = Alarm.objects.create(
        rule=AlarmRule.objects.create(name="3小时雨量≥100毫米", station=station, severity=Severity.RED),
        station=station,
        severity=Severity.RED,
        status=AlarmStatus.ACTIVE,
        started_at=now,
        last_met_at=now,
        activated_at=now,
    )
    # The provincial platform with the case's messages, and an application pushed down that waits for review:
    province = sharing_actions.save_platform(
        code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret="s" * 32
    )
    sharing_actions.consume_case_events()
    inbound = InboundApplication.objects.create(
        platform=province, provincial_number="FJ2026000001", message_id="m1", status=InboundStatus.REVIEW
    )
    sharing_actions.define_default_datasets(actor="test")
    # A published policy (helen drafts and reviews, grace approves), a disclosure request, a question:
    entry = info_actions.create_draft(
        actor=helen,
        department=helen.memberships.get().department,
        data={
            "kind": EntryKind.POLICY,
            "title": "林木采伐管理办法",
            "issuer": "海沧区农林水利局",
            "written_on": datetime.date(2026, 11, 2),
            "body": "第一条。",
        },
    )
    info_actions.record_secrecy_review(entry, actor=helen, passed=True, note="不涉密")
    entry = info_actions.approve(entry, actor=grace)
    request, _code = info_actions.submit_request(
        applicant_kind=ApplicantKind.PERSON,
        name="白雅",
        id_number="350205199001010010",
        contact_phone="13800000002",
        description="2025年林木采伐许可证发放数量",
        form_wanted=FormWanted.ELECTRONIC,
    )
    question = info_actions.ask_question(asker_name="白女士", text="采伐许可证多久能办好？")
    # A paid fee of the forestry case, a refund asked of it, and a reconciliation difference:
    fee_order = PaymentOrder.objects.create(
        case=closed, payment_code="35020520260000000017", payer_name=closed.applicant_name, total=Decimal("120.00"),
        due_on=datetime.date(2026, 12, 31), issued_by=bob, status=OrderStatus.PAID, paid_amount=Decimal("120.00"),
        transaction_id="T1", receipt_number="R1", paid_at=timezone.now(),
    )  # fmt: skip
    fee_order.notice.save("notice.pdf", ContentFile(pdf_bytes()))
    Refund.objects.create(order=fee_order, amount=Decimal("20.00"), reason="多缴", requested_by=bob)
    # The result of the forestry case, on its way by EMS with its label:
    delivery = Delivery.objects.create(case=closed, method=Method.EMS, status=DeliveryStatus.IN_TRANSIT,
                                       ready_at=timezone.now(), recipient="陈爱丽", region_code="350205")  # fmt: skip
    delivery.decision_document.save("decision.pdf", ContentFile(pdf_bytes()))
    shipment = Shipment.objects.create(delivery=delivery, attempt=1, order_id=f"{closed.reference}-1",
                                       status=ShipmentStatus.IN_TRANSIT, waybill_no="EA100000017CN",
                                       recipient="陈爱丽", region_code="350205", address="福建省厦门市海沧区")  # fmt: skip
    shipment.label.save("label.pdf", ContentFile(pdf_bytes()))
    # Alice's booking at the hall, held for her to confirm:
    hall = Hall.objects.create(code="haicang", name="海沧区行政服务中心", department=closed.department)
    start = timezone.now() + datetime.timedelta(days=3)
    Booking.objects.create(
        code="ABCD2345", hall=hall, item=closed.item_version.item, day=start.date(), starts_at=start,
        ends_at=start + datetime.timedelta(minutes=10), account=closed.applicant, name="陈爱丽",
        id_number_hash="h", id_number_encrypted="x", id_number_masked="350205********0020",
        held_until=timezone.now() + datetime.timedelta(minutes=30),
    )  # fmt: skip
    run = StatementRun.objects.create(day=datetime.date(2026, 12, 1))
    Difference.objects.create(run=run, kind=DifferenceKind.UNKNOWN_HERE, payment_code="35020520260000000025")
    return World(
        closed,
        licence,
        copy,
        draft,
        users,
        rectification,
        complaint,
        order,
        report,
        document,
        task,
        package,
        disposal,
        plan,
        draw,
        draw.inspections.get(),
        Entitlement.objects.create(
            name="采伐迹地更新补助",
            description="补助直接拨付。",
            legal_basis="《森林法》",
            department=forestry,
            licence_type=licence.licence_type,
        ),
        station,
        alarm,
        OutboxMessage.objects.order_by("pk").first(),
        inbound,
        entry,
        request,
        question,
    )


def carol_unit(carol: User) -> Department:
    return carol.memberships.get().department


def _client(world: World, persona: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if persona == "anonymous":
        return client
    user = world.users[persona]
    client.force_login(user)
    if persona in STAFF:
        # As the desk login leaves a staff session: the second factor passed.
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _url(route: str, rule: Rule, arguments: dict[str, str]) -> str:
    url = "/" + route
    values = {**rule.arguments, **arguments}
    for name, value in values.items():
        for converter in ("uuid", "slug", "str", "int"):
            url = url.replace(f"<{converter}:{name}>", value)
    assert "<" not in url, f"no value for a parameter of {route}"
    return url


def _request(client: Client, method: str, url: str) -> Any:
    send: Callable[..., Any] = client.get if method == "GET" else client.post
    return send(url)


def _refused(response: Any) -> bool:
    """Refused: not found, forbidden, not authenticated, or sent to a login page."""
    if response.status_code in {401, 403, 404}:
        return True
    return response.status_code == 302 and "login" in response["Location"]


# One world for every route: each route's requests run in a savepoint rolled back after it, so a
# route meets the world as it was built (a world signs a licence and takes over a second to build;
# one per route made this file the slowest of the suite). Every route is tried; the failures are
# listed together, each with its route.


def _each_route(routes: list[str], world: World, check: Callable[[str, World], None]) -> list[str]:
    failures = []
    for route in routes:
        with transaction.atomic():
            try:
                check(route, world)
            except AssertionError as exc:
                failures.append(f"{route}: {exc}")
            transaction.set_rollback(True)
    return failures


def _check_accounts(route: str, world: World) -> None:
    rule = MATRIX[route]
    arguments = world.object_arguments(rule.kind) if rule.kind else {}
    url = _url(route, rule, arguments)
    for persona in PERSONAS:
        client = _client(world, persona)
        if rule.access == "applicant":
            may = persona == "alice" or (persona == "bea" and not rule.kind)
        else:
            may = persona in rule.allowed
        for method in rule.methods:
            before = world.fingerprint()
            response = _request(client, method, url)
            where = (method, url, persona, response.status_code)
            if may:
                if method == "GET":
                    assert response.status_code == 200, where
                else:
                    # Through the gate; the action itself may still refuse an empty form or a state:
                    assert response.status_code != 404, where
                    assert not (response.status_code == 302 and "login" in response["Location"]), where
                continue
            assert _refused(response), where
            # A person who holds a role, asking for an object they cannot see, is told "not
            # found", exactly as for an object that does not exist; and nothing changed:
            signed_in_with_a_role = persona in STAFF if rule.access == "staff" else persona == "bea"
            if rule.kind and signed_in_with_a_role and persona not in VISIBLE[rule.kind]:
                assert response.status_code == 404, where
            assert world.fingerprint() == before, where


def test_each_account_gets_what_the_matrix_says(world: World) -> None:
    routes = [route for route, rule in MATRIX.items() if rule.access in {"staff", "applicant"}]
    assert _each_route(routes, world, _check_accounts) == []


def _check_missing_object(route: str, world: World) -> None:
    rule = MATRIX[route]
    # Someone who may use the route, asking for an object that does not exist:
    persona = {"applicant": "alice"}.get(rule.access, "helen" if rule.kind == "version" else "bob")
    client = _client(world, persona)
    arguments = {name: str(uuid.uuid4()) for name in world.object_arguments(rule.kind)}
    for method in rule.methods:
        status = _request(client, method, _url(route, rule, arguments)).status_code
        assert status == 404, (method, status)


def test_an_object_that_does_not_exist_looks_the_same_as_one_of_another_unit(world: World) -> None:
    routes = [route for route, rule in MATRIX.items() if rule.kind and rule.access in {"staff", "applicant"}]
    assert _each_route(routes, world, _check_missing_object) == []


def _check_client_only(route: str, world: World) -> None:
    rule = MATRIX[route]
    for persona in ("anonymous", "alice", "bob", "dan"):
        response = _request(_client(world, persona), rule.methods[0], "/" + route)
        assert response.status_code in {401, 403}, (persona, response.status_code)


def test_the_sharing_api_refuses_every_person_without_a_client_token(world: World) -> None:
    routes = [route for route, rule in MATRIX.items() if rule.access == "client"]
    assert routes and _each_route(routes, world, _check_client_only) == []


def test_the_matrix_grants_no_case_or_licence_to_an_administrator_or_the_content_editor(
    departments: dict[str, Department],
) -> None:
    # Least privilege (三员分立): the admin roles and content editing never open records:
    for route, rule in MATRIX.items():
        if rule.kind in {"case", "material", "licence", "copy"}:
            assert not rule.allowed & {"erin", "helen"}, route
    assert Role.SYSTEM_ADMIN not in {Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR}
