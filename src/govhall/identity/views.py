from __future__ import annotations

import base64

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from govhall.identity import actions
from govhall.identity.constants import UserKind
from govhall.identity.decorators import applicant_required
from govhall.identity.forms import ApplicantLoginForm, RegistrationForm, SecondFactorForm, StaffLoginForm
from govhall.identity.models import User
from govhall.identity.queries import access_entity_for, is_second_factor_verified


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def login_view(request: HttpRequest) -> HttpResponse:
    """Applicant login: ID number or phone number, and password."""
    form = ApplicantLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.login_with_password(
                request,
                account=form.cleaned_data["account"],
                password=form.cleaned_data["password"],
                kind=UserKind.APPLICANT,
            )
        except actions.LoginRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect(_next_url(request, "/my/"))
    return render(
        request,
        "identity/login.html",
        {"form": form, "surface": "portal", "next": _next_url(request, ""), "oidc_enabled": settings.OIDC_ENABLED},
        status=400 if form.errors else 200,
    )


def register_view(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.register_applicant(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                password=data["password"],
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            messages.success(request, _("注册成功，请登录。"))
            return redirect("identity:login")
    return render(
        request, "identity/register.html", {"form": form, "surface": "portal"}, status=400 if form.errors else 200
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    was_staff = request.user.is_authenticated and request.user.kind == UserKind.STAFF
    actions.log_out(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("identity:desk_login" if was_staff else "portal:home")


def desk_login_view(request: HttpRequest) -> HttpResponse:
    """Staff login, first step: user name and password. The second factor follows."""
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.login_with_password(
                request,
                account=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                kind=UserKind.STAFF,
            )
        except actions.LoginRefused as refused:
            form.add_error(None, refused.message)
        else:
            next_url = _next_url(request, "/desk/")
            if settings.STAFF_2FA_SKIP:
                return redirect(next_url)
            return redirect(f"/desk/verify/?next={next_url}")
    return render(
        request,
        "identity/desk_login.html",
        {"form": form, "surface": "desk", "next": _next_url(request, "")},
        status=400 if form.errors else 200,
    )


def desk_verify_view(request: HttpRequest) -> HttpResponse:
    """Staff login, second step: a TOTP code; enrols an authenticator on first use."""
    user = request.user
    if not user.is_authenticated or user.kind != UserKind.STAFF:
        return redirect("identity:desk_login")
    assert isinstance(user, User)
    next_url = _next_url(request, "/desk/")
    if is_second_factor_verified(user):
        return redirect(next_url)
    enrolment = None
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = actions.start_totp_enrolment(user)
        qr = segno.make(device.config_url, error="m")
        enrolment = {"svg": qr.svg_inline(scale=5, dark="#000", light="#fff"), "secret": _b32(device.bin_key)}
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = actions.verify_second_factor(request, token=form.cleaned_data["token"])
        if not problem:
            return redirect(next_url)
        form.add_error("token", problem)
    return render(
        request,
        "identity/desk_verify.html",
        {"form": form, "surface": "desk", "enrolment": enrolment, "next": next_url},
        status=400 if form.errors else 200,
    )


def _b32(key: bytes) -> str:
    return base64.b32encode(key).decode("ascii").rstrip("=")


@applicant_required
@require_POST
def acting_for_view(request: HttpRequest) -> HttpResponse:
    """Switch between acting for oneself and for an authorised company."""
    public_id = request.POST.get("entity", "")
    entity = access_entity_for(request.user, public_id) if public_id else None  # type: ignore[arg-type]
    actions.set_acting_for(request, entity)
    return redirect("portal:workspace")


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also remembered on the account so notifications use it."""
    response = set_language(request)
    if isinstance(request.user, User):
        actions.set_preferred_language(request.user, request.POST.get("language", ""), request=request)
    return response
