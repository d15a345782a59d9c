"""The figures of issue 7, one function each, registered in order (bench.runner.FIGURES).

To add a figure: write a function taking the ``Bench`` and returning a ``Result``, decorate
it with ``@figure(key, title, target)``, and it is measured, reported and smoke-tested.
The dossier figure looks up one of the generator's ``SIZES[...].heavy_subjects`` persons,
who hold about 200 cases and their licences each (the first natural persons of the bench range).
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.runner import Bench, Load, Result, figure

# A page of the application form answers, valid for the felling item's schema:
FELLING_ANSWERS = {
    "applicant_name": "陈爱丽",
    "felling_location": "东孚镇过坂村 12林班 3小班",
    "tree_species": "马尾松、杉木",
    "felling_type": "抚育采伐",
    "felling_method": "择伐",
    "area_mu": "12.5",
    "volume_m3": "48",
    "regeneration_plan": "次年春季人工更新杉木，当年完成。",
}


class _Rollback(Exception):
    """Raised to roll back what an in-process figure wrote, so that runs can be repeated."""


# Sessions and requests -----------------------------------------------------------------------


def session_cookie(user: Any, *, verified: bool = False) -> tuple[str, str]:
    """A logged-in session for ``user`` made server-side, and a CSRF secret; return (Cookie header, secret).

    For staff, ``verified`` marks the session as having passed the second factor with their
    confirmed TOTP device, exactly as django-otp's login does after a correct code.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from govhall.identity.constants import SESSION_LAST_SEEN

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "govhall.identity.backends.AccountBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_LAST_SEEN] = int(time.time())
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            raise RuntimeError(f"{user} has no confirmed TOTP device (bench.generate.prepare_staff)")
        store["otp_device_id"] = device.persistent_id
    store.create()
    secret = secrets.token_hex(16)  # 32 characters: a CSRF secret as Django keeps it in the cookie
    return f"sessionid={store.session_key}; csrftoken={secret}", secret


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(
    bench: Bench, path: str, *, cookie: str = "", data: bytes | None = None, content_type: str = ""
) -> tuple[int, str, bytes]:
    """One request without following redirects: (status, Location, body)."""
    request = urllib.request.Request(bench.base_url + path, data=data)
    if cookie:
        request.add_header("Cookie", cookie)
    if content_type:
        request.add_header("Content-Type", content_type)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers.get("Location", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read()


def expect(bench: Bench, path: str, status: int, *, cookie: str = "", contains: str = "") -> None:
    """Check once, before loading it, that ``path`` answers as it should (wrk counts a redirect as success)."""
    got, location, body = fetch(bench, path, cookie=cookie)
    if got != status or (contains and contains.encode() not in body):
        raise RuntimeError(
            f"{path} answered {got} {location} (expected {status}{' with ' + contains if contains else ''})"
        )


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----govhallbench" + secrets.token_hex(8)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload_pdf(target_bytes: int = 200 * 1024) -> bytes:
    """A one-page PDF of about ``target_bytes``: a scanned-looking page (an incompressible image) and a line of text."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    side = int((target_bytes / 3 / 1.25) ** 0.5)  # reportlab writes the image in ASCII85 (5 bytes per 4)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.drawString(72, 800, "Felling application form (bench upload)")
    pdf.drawImage(ImageReader(image), 72, 200, width=450, height=450)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# Samples ------------------------------------------------------------------------------------


def licence_identifiers(bench: Bench, count: int = 2000) -> list[str]:
    if "identifiers" not in bench.memo:
        from govhall.licences.models import Licence

        ids = list(Licence.objects.order_by("?").values_list("identifier", flat=True)[:count])
        bench.memo["identifiers"] = ids
    return list(bench.memo["identifiers"])


def around_read(bench: Bench, load: Callable[[], Load]) -> tuple[Load, Load]:
    """``load`` bracketed by the bare one-row read (a licence by its identifier, as JSON) under the same load."""

    def measure() -> Load:
        paths = ["/bench/bare-read/?id=" + urllib.parse.quote(i) for i in licence_identifiers(bench)]
        expect(bench, paths[0], 200)
        return bench.get_paths("bare-read", paths, forward=True)

    return bench.around("read", measure, load)


def _against_read(key: str, load: Load, ceiling: Load, *, met: bool, extra: dict[str, Any] | None = None) -> Result:
    """A page or API load compared with the bare one-row read of the same run; failed requests fail it."""
    return _against_load(key, load, ceiling, "bare one-row read view", met=met, extra=extra)


def _against_load(
    key: str, load: Load, ceiling: Load, ceiling_what: str, *, met: bool, extra: dict[str, Any] | None = None
) -> Result:
    """A load compared with its bracketing ceiling load; failed requests fail it."""
    return Result(
        key=key,
        title="",
        target="",
        measured=load.rate,
        unit="req/s",
        ceiling=ceiling.rate,
        ceiling_what=ceiling_what,
        ratio=_ratio(load.rate, ceiling.rate),
        p95_ms=load.p95_ms,
        ceiling_p95_ms=ceiling.p95_ms,
        met=met and load.errors == 0,
        details={
            **_load_details(load),
            "ceiling_rates": list(ceiling.parts),
            "ceiling_server_cpu_ms": ceiling.server_cpu_ms,
            **(extra or {}),
        },
    )


def _against_rate(
    key: str,
    rate: float,
    ceiling: float,
    unit: str,
    ceiling_what: str,
    *,
    at_least: float,
    digits: int,
    details: dict[str, Any],
) -> Result:
    """An in-process rate compared with its ceiling's; met from ``at_least`` of it."""
    ratio = _ratio(rate, ceiling)
    return Result(
        key=key,
        title="",
        target="",
        measured=round(rate, digits),
        unit=unit,
        ceiling=round(ceiling, digits),
        ceiling_what=ceiling_what,
        ratio=ratio,
        met=ratio >= at_least,
        details=details,
    )


def _ratio(measured: float, ceiling: float) -> float:
    return round(measured / ceiling, 3) if ceiling else 0.0


def _load_details(load: Load) -> dict[str, Any]:
    return {
        "requests": load.requests,
        "seconds": load.seconds,
        "p50_ms": load.p50_ms,
        "p99_ms": load.p99_ms,
        "errors": load.errors,
        "server_cpu_ms": load.server_cpu_ms,
    }


def _timed_loop(seconds: float, minimum: int, fn: Callable[[], Any]) -> tuple[int, float]:
    """Call ``fn`` until ``seconds`` have passed (at least ``minimum`` times); return (calls, elapsed)."""
    calls = 0
    started = time.perf_counter()
    while calls < minimum or time.perf_counter() - started < seconds:
        fn()
        calls += 1
    return calls, time.perf_counter() - started


def _interleaved(
    seconds: float, fn: Callable[[], Any], ceiling: Callable[[], Any], *, slice_seconds: float = 0.25
) -> tuple[float, float]:
    """Rates of ``fn`` and of ``ceiling`` timed in alternating slices over ``seconds`` in all.

    The machine's speed drifts within seconds, so a loop timed after another compares two
    speeds; alternating quarter-seconds gives both the same ones.
    """
    totals = {"fn": [0, 0.0], "ceiling": [0, 0.0]}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not (totals["fn"][0] and totals["ceiling"][0]):
        for name, call in (("fn", fn), ("ceiling", ceiling)):
            calls, elapsed = _timed_loop(slice_seconds, 1, call)
            totals[name][0] += calls
            totals[name][1] += elapsed
    return totals["fn"][0] / totals["fn"][1], totals["ceiling"][0] / totals["ceiling"][1]


# The figures ---------------------------------------------------------------------------------


@figure(
    "submit",
    "submit an application (form data, one reused licence, one 200 KB upload)",
    "≥ 40 % of a bare one-row insert; p95 ≤ 250 ms",
)
def submit(bench: Bench) -> Result:
    from bench.generate import submit_target
    from govhall.cases.models import Case
    from govhall.identity.models import User
    from govhall.licences.models import Licence

    version = submit_target()
    farmer = User.objects.get(kind="applicant", person__name="陈爱丽")
    cookie, csrf = session_cookie(farmer)
    materials = list(version.materials.order_by("order", "pk"))
    licence_material = next(m for m in materials if m.licence_type_code)
    upload_material = next(m for m in materials if not m.licence_type_code)
    licence = Licence.objects.get(
        licence_type__code=licence_material.licence_type_code, holder_key=farmer.person.id_number_hash
    )
    pdf = upload_pdf()
    fields = [("csrfmiddlewaretoken", csrf), ("submit_key", "@@KEY@@"), *FELLING_ANSWERS.items()]
    fields.append((f"licence_{licence_material.pk}", str(licence.public_id)))
    body, content_type = multipart(fields, [(f"material_{upload_material.pk}", "申请表.pdf", "application/pdf", pdf)])
    path = f"/items/{version.public_id}/apply/"
    # One application by hand first: it must be filed (a redirect to the new case), not refused:
    probe = body.replace(b"@@KEY@@", ("bprobe-" + secrets.token_hex(12)).ljust(32, "x").encode())
    status, location, answer = fetch(bench, path, cookie=cookie, data=probe, content_type=content_type)
    if status != 302 or "/my/cases/" not in location:
        # The page's summary of problems (cases/apply.html), so that a refusal says why:
        summary = re.search(r'<div class="form-errors".*?</div>', answer.decode(errors="replace"), re.S)
        problems = re.sub(r"<[^>]+>|\s+", " ", summary.group(0)).strip() if summary else ""
        raise RuntimeError(f"the probe application was not filed: {status} {location} {problems or answer[:300]!r}")

    def insert() -> Load:
        form = f"csrfmiddlewaretoken={csrf}&note=@@KEY@@".encode()
        return bench.post("bare-insert", "/bench/bare-insert/", form, "application/x-www-form-urlencoded", cookie)

    before = Case.objects.filter(applicant=farmer).count()
    ceiling, load = bench.around("insert", insert, lambda: bench.post("submit", path, body, content_type, cookie))
    created = Case.objects.filter(applicant=farmer).count() - before
    _remove_bench_cases(farmer)
    return _against_load(
        "submit",
        load,
        ceiling,
        "bare one-row insert view",
        met=_ratio(load.rate, ceiling.rate) >= 0.4 and load.p95_ms <= 250,
        extra={"cases_filed": created, "upload_bytes": len(pdf)},
    )


def _remove_bench_cases(farmer: Any) -> None:
    """Remove the applications the submit figure filed (and their files), so that runs can be repeated."""
    from govhall.cases.models import Case, CaseMaterial

    cases = Case.objects.filter(applicant=farmer, submit_key__regex=r"^b(probe|[0-9a-f]+)-")
    for material in CaseMaterial.objects.filter(case__in=cases).exclude(file=""):
        material.file.delete(save=False)
    with transaction.atomic():
        cases.delete()


@figure("inbox", "clerk inbox, first page, regular clerk", "p95 ≤ 150 ms")
def inbox(bench: Bench) -> Result:
    from govhall.identity.models import User

    bob = User.objects.get(username="bob")
    assert not bob.is_superuser and not bob.is_staff
    cookie, _csrf = session_cookie(bob, verified=True)
    expect(bench, "/desk/cases/", 200, cookie=cookie)
    ceiling, load = around_read(bench, lambda: bench.get_paths("inbox", ["/desk/cases/"], cookie=cookie))
    return _against_read("inbox", load, ceiling, met=load.p95_ms <= 150)


def search_terms(count: int = 60) -> dict[str, list[str]]:
    """Case numbers, applicants' ID numbers and name fragments of cases the clerk's unit handled."""
    from govhall.cases.models import Case
    from govhall.lib.crypto import decrypt_text

    sample = list(
        Case.objects.filter(department__code="forestry", person__isnull=False)
        .exclude(status="draft")
        .select_related("person")
        .order_by("?")[: count * 3]
    )
    references = [c.reference for c in sample[:count] if c.reference]
    by_id = [c for c in sample[count : 2 * count] if c.person]
    id_numbers = [decrypt_text(c.person.id_number_encrypted) for c in by_id]
    fragments = [c.applicant_name[:2] for c in sample[2 * count :] if len(c.applicant_name) >= 2]
    # A person with fewer cases than a page, to check that a search by ID number finds theirs:
    check = next(
        ((n, c.reference) for n, c in zip(id_numbers, by_id, strict=True) if c.person.case_set.count() < 50),
        ("", ""),
    )
    return {"reference": references, "id_number": id_numbers, "name": fragments, "id_check": list(check)}


@figure("search", "case search by case number, applicant identifier, or name fragment", "p95 ≤ 150 ms")
def search(bench: Bench) -> Result:
    from govhall.identity.models import User

    bob = User.objects.get(username="bob")
    cookie, _csrf = session_cookie(bob, verified=True)
    terms = search_terms()
    # BENCH_SEARCH_SUFFIX (e.g. "&status=closed") measures the inbox as it searched before this issue:
    suffix = os.environ.get("BENCH_SEARCH_SUFFIX", "")
    paths = []
    for i in range(max(len(v) for v in terms.values())):
        for kind in ("reference", "id_number", "name"):
            if i < len(terms[kind]):
                paths.append("/desk/cases/?q=" + urllib.parse.quote(terms[kind][i]) + suffix)
    # A search by case number must find that case:
    reference = terms["reference"][0]
    expect(bench, "/desk/cases/?q=" + urllib.parse.quote(reference) + suffix, 200, cookie=cookie, contains=reference)
    id_number, its_case = terms.pop("id_check")
    if id_number and not suffix:  # before issue 7 an ID number found nothing
        expect(bench, "/desk/cases/?q=" + id_number, 200, cookie=cookie, contains=its_case)
    per_kind: dict[str, float] = {}

    def measure() -> Load:
        # The mixed load, then each kind of term alone (a third of the time each), all
        # between the two ceiling measurements:
        mixed = bench.get_paths("search", paths, cookie=cookie)
        for kind in ("reference", "id_number", "name"):
            kind_paths = ["/desk/cases/?q=" + urllib.parse.quote(t) + suffix for t in terms[kind]]
            if kind_paths:
                per_kind[kind] = bench.wrk(
                    "paths.lua",
                    kind_paths[0],
                    {"BENCH_PATHS": _write(bench.work / f"search-{kind}.paths", kind_paths), "BENCH_COOKIE": cookie},
                    duration=max(1, bench.duration // 3),
                ).p95_ms
        return mixed

    ceiling, load = around_read(bench, measure)
    return _against_read("search", load, ceiling, met=load.p95_ms <= 150, extra={"p95_ms_by_kind": per_kind})


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _verification(bench: Bench, key: str, prefix: str, contains: str) -> Result:
    paths = [prefix + urllib.parse.quote(i) for i in licence_identifiers(bench)]
    expect(bench, paths[0], 200, contains=contains)
    ceiling, load = around_read(bench, lambda: bench.get_paths(key, paths, forward=True))
    return _against_read(
        key,
        load,
        ceiling,
        met=_ratio(load.rate, ceiling.rate) >= 0.5 and load.p95_ms <= 50,
    )


@dataclass(frozen=True)
class DossierLookUp:
    """The dossier figure's request: a supervisor's look-up of the person with the most cases."""

    cookie: str
    body: bytes  # the form, with @@KEY@@ where wrk puts a key of its own
    person_name: str
    cases_of_subject: int
    records: int


def dossier_look_up() -> DossierLookUp:
    """A supervisor (all units, not a superuser) and the form that looks up the person with the most cases."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from django.db.models import Count

    from govhall.cases.models import Case
    from govhall.dossier.queries import Scope, assemble_dossier, subject_of_person
    from govhall.identity.models import NaturalPerson, User
    from govhall.lib.crypto import decrypt_text

    dan = User.objects.get(username="dan")
    assert not dan.is_superuser and not dan.is_staff
    TOTPDevice.objects.get_or_create(user=dan, name="bench", defaults={"confirmed": True})
    cookie, csrf = session_cookie(dan, verified=True)
    heavy = (
        Case.objects.filter(person__isnull=False, entity__isnull=True)
        .values("person_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert heavy is not None
    person = NaturalPerson.objects.get(pk=heavy["person_id"])
    records = assemble_dossier(subject_of_person(person), Scope(None)).record_count
    id_number = decrypt_text(person.id_number_encrypted)
    form = f"csrfmiddlewaretoken={csrf}&identifier={id_number}&purpose=supervision&case_reference=&k=@@KEY@@"
    return DossierLookUp(cookie, form.encode(), person.name, heavy["n"], records)


@figure("dossier", "dossier of a subject with ~200 records", "p95 ≤ 50 ms")
def dossier(bench: Bench) -> Result:
    """A supervisor (all units) looks up one of the persons with ~200 records, for supervision, over and over."""
    look_up = dossier_look_up()
    cookie, body = look_up.cookie, look_up.body
    probe = body.replace(b"@@KEY@@", b"probe")
    status, _location, answer = fetch(
        bench, "/desk/dossier/", cookie=cookie, data=probe, content_type="application/x-www-form-urlencoded"
    )
    if status != 200 or b'id="dossier-result"' not in answer or look_up.person_name.encode() not in answer:
        raise RuntimeError(f"the dossier look-up did not answer with the dossier: {status} {answer[:300]!r}")
    ceiling, load = around_read(
        bench, lambda: bench.post("dossier", "/desk/dossier/", body, "application/x-www-form-urlencoded", cookie)
    )
    return _against_read(
        "dossier",
        load,
        ceiling,
        met=load.p95_ms <= 50,
        extra={"records": look_up.records, "cases_of_subject": look_up.cases_of_subject},
    )


@figure("verify_page", "licence verification by identifier, public page", "≥ 50 % of a bare one-row read; p95 ≤ 50 ms")
def verify_page(bench: Bench) -> Result:
    return _verification(bench, "verify_page", "/verify/?id=", "")


@figure("verify_api", "licence verification by identifier, API", "≥ 50 % of a bare one-row read; p95 ≤ 50 ms")
def verify_api(bench: Bench) -> Result:
    return _verification(bench, "verify_api", "/api/v1/licences/verify/?id=", '"genuine":true')


@figure("qr_offline", "offline verification of a QR payload, in process", "≥ 80 % of the raw signature-verify rate")
def qr_offline(bench: Bench) -> Result:
    import base64

    from jwt.algorithms import ECAlgorithm

    from govhall.lib.credentials import credential_keys, published_keys, sign_credential
    from govhall.licences.actions import credential_payload
    from govhall.licences.models import Licence
    from govhall.licences.queries import OfflineVerifier, status_list

    licence = Licence.objects.select_related("licence_type").filter(status="01").first()
    assert licence is not None
    token = sign_credential(credential_payload(licence))
    jwks = published_keys()
    lists = {p: status_list(p) or "" for p in ("revocation", "suspension")}
    today = timezone.localdate()
    # As an offline app works: the keys and status lists fetched and read once, then payloads checked:
    verifier = OfflineVerifier(jwks, lists)
    verdict, _claims = verifier.check(token, today)
    # The ceiling: the library's bare ES256 verification of the same signature (PyJWT over
    # cryptography), timed in slices alternating with the checks:
    signing_input, _, signature = token.rpartition(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    key = credential_keys()[0].key.public_key()
    algorithm = ECAlgorithm(ECAlgorithm.SHA256)
    message = signing_input.encode()
    assert algorithm.verify(message, key, raw)
    rate, ceiling = _interleaved(
        10.0 * bench.in_process_scale,
        lambda: verifier.check(token, today),
        lambda: algorithm.verify(message, key, raw),
    )
    return _against_rate(
        "qr_offline",
        rate,
        ceiling,
        "checks/s",
        "raw ES256 verify (PyJWT ECAlgorithm)",
        at_least=0.8,
        digits=1,
        details={"verdict": verdict, "status_list_bytes": sum(len(v) for v in lists.values())},
    )


@figure(
    "issuance",
    "licence issuance (render + sign the PDF), in process",
    "≥ 60 % of a bare reportlab + pyHanko loop",
)
def issuance(bench: Bench) -> Result:
    from govhall.identity.models import NaturalPerson, User
    from govhall.licences.actions import issue_licence
    from govhall.licences.models import LicenceType

    licence_type = LicenceType.objects.get(name="林木采伐许可证", issued_here=True)
    person = NaturalPerson.objects.get(name="陈爱丽")
    grace = User.objects.get(username="grace")
    face = {
        "felling_location": "东孚镇过坂村 12林班 3小班",
        "tree_species": "马尾松、杉木",
        "felling_type": "抚育采伐",
        "felling_method": "择伐",
        "area_mu": 12.5,
        "volume_m3": 48,
    }
    count = max(3, int(40 * bench.in_process_scale))
    issue_licence_once = lambda: issue_licence(  # noqa: E731
        licence_type, person=person, entity=None, face=face, actor=grace
    )
    files: list[Any] = []
    try:
        with transaction.atomic():
            files.append(issue_licence_once().document)  # the first one warms fonts and keys
            started = time.perf_counter()
            for _ in range(count):
                files.append(issue_licence_once().document)
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    for document in files:
        document.storage.delete(document.name)
    rate = count / elapsed
    bare = BareLicence()
    bare.make()
    started = time.perf_counter()
    for _ in range(count):
        bare.make()
    bare_rate = count / (time.perf_counter() - started)
    return _against_rate(
        "issuance",
        rate,
        bare_rate,
        "licences/s",
        "bare reportlab page + pyHanko PAdES signature",
        at_least=0.6,
        digits=2,
        details={"licences": count, "bare_pdf_bytes": len(bare.make())},
    )


class BareLicence:
    """A comparable page with nothing of the platform: the CJK font, a title, eight lines, a QR code; then signed."""

    def __init__(self) -> None:
        from pyhanko.sign import signers

        from django.conf import settings

        from govhall.lib.signing import signing_files

        files = signing_files()
        self.signer = signers.SimpleSigner.load(
            str(files.key), str(files.cert), ca_chain_files=tuple(str(p) for p in files.chain)
        )
        self.font_path = settings.CJK_FONT_PATH
        self.n = 0

    def make(self) -> bytes:
        import segno
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.pdfgen import canvas

        if "BenchCJK" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("BenchCJK", self.font_path, subfontIndex=0))
        self.n += 1
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=A4)
        pdf.setFont("BenchCJK", 22)
        pdf.drawCentredString(297, 780, "林木采伐许可证")
        pdf.setFont("BenchCJK", 12)
        rows = [
            ("证照编号", f"闽厦海采字2026{self.n:08d}"),
            ("持证主体", "陈*丽（350205********0020）"),
            ("采伐地点", "东孚镇过坂村 12林班 3小班"),
            ("树种", "马尾松、杉木"),
            ("采伐类型", "抚育采伐"),
            ("采伐方式", "择伐"),
            ("采伐面积（亩）", "12.5"),
            ("颁发机构", "厦门市海沧区农林水利局"),
        ]
        for i, (label, value) in enumerate(rows):
            pdf.drawString(80, 720 - i * 28, f"{label}：{value}")
        qr = segno.make("x" * 420, error="m", micro=False)
        matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
        cell = 110 / len(matrix)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    pdf.rect(420 + c * cell, 120 + 110 - (r + 1) * cell, cell, cell, stroke=0, fill=1)
        pdf.showPage()
        pdf.save()
        writer = IncrementalPdfFileWriter(io.BytesIO(buffer.getvalue()))
        meta = signers.PdfSignatureMetadata(
            field_name="Signature", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
        )
        return signers.sign_pdf(writer, meta, signer=self.signer).getvalue()


@figure(
    "bulk_import",
    "bulk import of historical licences",
    "≥ 25 % of PostgreSQL COPY into the same table with the same indexes",
)
def bulk_import(bench: Bench) -> Result:
    from govhall.licences.imports import import_licences

    rows = bench.size.import_rows
    source, copy_text, columns = _import_files(bench, rows)
    try:
        with transaction.atomic():
            started = time.perf_counter()
            report = import_licences(source, actor="bench")
            elapsed = time.perf_counter() - started
            if not report.is_valid or report.created != rows:
                raise RuntimeError(f"import refused the file: {report.errors[:3]} created {report.created}")
            raise _Rollback
    except _Rollback:
        pass
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY licences_licence ({columns}) FROM STDIN") as copy,
                copy_text.open("rb") as text,
            ):
                while chunk := text.read(1 << 20):
                    copy.write(chunk)
            copy_elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    rate, copy_rate = rows / elapsed, rows / copy_elapsed
    return _against_rate(
        "bulk_import",
        rate,
        copy_rate,
        "rows/s",
        "COPY of the same rows into licences_licence",
        at_least=0.25,
        digits=0,
        details={"rows": rows, "import_seconds": round(elapsed, 1), "copy_seconds": round(copy_elapsed, 1)},
    )


def _import_files(bench: Bench, rows: int) -> tuple[Path, Path, str]:
    """The CSV the import reads, and the same licences as COPY text (as the import would store them)."""
    import json
    import random
    import uuid

    from bench.generate import synthetic_id_number, synthetic_name
    from govhall.identity.queries import ID_NUMBER
    from govhall.lib.crypto import lookup_hash
    from govhall.lib.identifiers import mask_id_number
    from govhall.lib.licence_ids import make_licence_identifier
    from govhall.licences.demo import FOREST_RIGHT_ISSUER, NATIONAL
    from govhall.licences.models import IndexCounter, LicenceType

    rng = random.Random(7)
    type_code = NATIONAL + "003"
    type_id = LicenceType.objects.get(code=type_code).pk
    issuer_name, issuer_code = FOREST_RIGHT_ISSUER
    first_index = (IndexCounter.objects.filter(pk=1).values_list("last", flat=True).first() or 0) + 10
    source = bench.work / "licences.csv"
    copy_text = bench.work / "licences.copy"
    columns = (
        "public_id, identifier, licence_type_id, number, serial, version, issuer_name, issuer_code, issued_on, "
        "valid_from, valid_until, holder_name, holder_code_type, holder_key, holder_masked, face, status, "
        "status_index, case_reference, document, document_sha256, credential, credential_kid, imported, created_at"
    )
    now = timezone.now().isoformat()
    persons = bench.size.persons
    with source.open("w", newline="", encoding="utf-8") as out, copy_text.open("w", encoding="utf-8") as copy:
        writer = csv.writer(out)
        writer.writerow(
            ["ZZBS", "ZZLXDM", "ZZBH", "ZZBFJG", "ZZBFJGDM", "ZZBFRQ", "ZZYXQQSRQ", "ZZYXQJZRQ"]
            + ["CZZT", "CZZTDM", "CZZTDMLXDM", "ZZZT", "KZ_location"]
        )
        for i in range(rows):
            serial = f"H{bench.run_id.upper()}{i:09d}".replace("O", "0").replace("I", "1")
            serial = "".join(c if c not in "SVZ" else "0" for c in serial)
            identifier = make_licence_identifier(type_code, issuer_code, serial, 1)
            issued = datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randrange(8000))
            until = issued.replace(year=issued.year + 50, day=min(issued.day, 28)) - datetime.timedelta(days=1)
            number = synthetic_id_number(i % persons)
            name = synthetic_name(rng)
            location = f"东孚镇过坂村 {i % 90 + 1}林班"
            writer.writerow(
                [
                    identifier,
                    type_code,
                    f"闽（{issued.year}）海沧区林权第{i:07d}号",
                    issuer_name,
                    issuer_code,
                    issued.isoformat(),
                    issued.isoformat(),
                    until.isoformat(),
                    name,
                    number,
                    "111",
                    "01",
                    location,
                ]
            )
            face = json.dumps({"location": location}, ensure_ascii=False)
            copy.write(
                "\t".join(
                    [
                        str(uuid.uuid4()),
                        identifier,
                        str(type_id),
                        f"闽（{issued.year}）海沧区林权第{i:07d}号",
                        serial,
                        "1",
                        issuer_name,
                        issuer_code,
                        issued.isoformat(),
                        issued.isoformat(),
                        until.isoformat(),
                        name,
                        "111",
                        lookup_hash(number, purpose=ID_NUMBER),
                        mask_id_number(number),
                        face,
                        "01",
                        str(first_index + i),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "t",
                        now,
                    ]
                )
                + "\n"
            )
    return source, copy_text, columns


@figure("sweep", "time-limit sweep over all open cases", "≤ 10 s, set-based")
def sweep(bench: Bench) -> Result:
    from govhall.cases.actions import sweep_time_limits
    from govhall.cases.constants import OPEN_STATUSES
    from govhall.cases.models import Case

    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).count()
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            counts = sweep_time_limits()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return Result(
        key="sweep",
        title="",
        target="",
        measured=round(elapsed, 3),
        unit="s",
        met=elapsed <= 10,
        details={"open_cases": open_cases, "turned": counts, "queries": len(queries.captured_queries)},
    )


@figure("catalog_search", "catalog search on the portal", "p95 ≤ 30 ms")
def catalog_search(bench: Bench) -> Result:
    terms = ["林木采伐", "取水许可", "农药", "渔业捕捞", "水土保持", "补贴", "caifa", "动物防疫", "种子", "林地"]
    paths = ["/items/?q=" + urllib.parse.quote(t) for t in terms]
    expect(bench, paths[0], 200, contains="林木采伐")
    ceiling, load = around_read(bench, lambda: bench.get_paths("catalog-search", paths))
    return _against_read("catalog_search", load, ceiling, met=load.p95_ms <= 30)


# The monthly service report (好差评, complaints, supervision) -----------------------------------


def _months_back(count: int) -> list[datetime.date]:
    """The ``count`` ended months before this one, oldest first."""
    months = []
    month = timezone.localdate().replace(day=1)
    for _ in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    return months[::-1]


@figure("service_report", "monthly service figures for one year (ratings, complaints, orders)", "≤ 60 s")
def service_report(bench: Bench) -> Result:
    """The figures of the last twelve ended months, per unit and item, as the monthly task computes them."""
    from govhall.complaints.models import Complaint, SupervisionOrder
    from govhall.ratings.models import Rating
    from govhall.stats.figures import compute_month

    months = _months_back(12)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        figures = [compute_month(month) for month in months]
        elapsed = time.perf_counter() - started
    counted = sum(f["totals"]["ratings"]["total"] for f in figures)
    return Result(
        key="service_report",
        title="",
        target="",
        measured=round(elapsed, 3),
        unit="s",
        met=elapsed <= 60,
        details={
            "months": len(months),
            "ratings_in_the_year": counted,
            "ratings_in_the_database": Rating.objects.count(),
            "complaints_in_the_database": Complaint.objects.count(),
            "orders_in_the_database": SupervisionOrder.objects.count(),
            "queries": len(queries.captured_queries),
        },
    )


@figure("service_report_page", "the public ratings page (好差评公开)", "p95 ≤ 50 ms")
def service_report_page(bench: Bench) -> Result:
    """Anonymous readers of the public page of the last ended month (the report is kept first, as the task does)."""
    from govhall.stats.actions import keep_service_report

    month = _months_back(1)[0]
    keep_service_report(month)
    paths = ["/service-report/", f"/service-report/{month:%Y-%m}/"]
    expect(bench, paths[0], 200, contains="好评率")
    ceiling, load = around_read(bench, lambda: bench.get_paths("service-report", paths))
    return _against_read("service_report_page", load, ceiling, met=load.p95_ms <= 50)
