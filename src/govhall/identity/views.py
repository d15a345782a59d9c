from __future__ import annotations

import base64
import uuid

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from govhall.identity import actions
from govhall.identity.constants import Role, UserKind
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.forms import (
    ApplicantLoginForm,
    EnrolmentCodeForm,
    PasswordChangeForm,
    RegistrationForm,
    SecondFactorForm,
    StaffLoginForm,
)
from govhall.identity.models import User
from govhall.identity.queries import (
    access_entity_for,
    enrolment_device_id,
    has_role,
    is_password_expired,
    is_second_factor_verified,
    list_staff_for_enrolment,
)


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
    """Online registration; the answer is the same whether or not the ID number already has an account."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.open_applicant_account(
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
            messages.success(request, _registered_message())
            return redirect("identity:login")
    return render(
        request, "identity/register.html", {"form": form, "surface": "portal"}, status=400 if form.errors else 200
    )


def _registered_message() -> str:
    # One sentence, true for both answers (a new account, or the number already had one):
    return _(
        "如该身份证号码尚未注册，账户已开通，请用身份证号码或手机号码登录；"
        "如该号码此前已注册，原账户和密码保持不变，我们已通知账户持有人。"
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
    """Staff login, second step: a TOTP code.

    Without an authenticator, the staff member first gives the enrolment code the security
    administrator issued; only then does this session see the new authenticator's secret.
    """
    user = request.user
    if not user.is_authenticated or user.kind != UserKind.STAFF:
        return redirect("identity:desk_login")
    assert isinstance(user, User)
    next_url = _next_url(request, "/desk/")
    if is_second_factor_verified(user):
        return redirect(next_url)
    context: dict[str, object] = {"surface": "desk", "next": next_url}
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=enrolment_device_id(request)).first()
        if device is None:
            return _enrolment_code_step(request, context)
        qr = segno.make(device.config_url, error="m")
        context["enrolment"] = {
            "svg": qr.svg_inline(scale=5, dark="#000", light="#fff"),
            "secret": _b32(device.bin_key),
        }
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = actions.verify_second_factor(request, token=form.cleaned_data["token"])
        if not problem:
            return redirect(next_url)
        form.add_error("token", problem)
    context["form"] = form
    return render(request, "identity/desk_verify.html", context, status=400 if form.errors else 200)


def _enrolment_code_step(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = actions.redeem_enrolment_code(request, code=form.cleaned_data["code"])
        if not problem:
            return redirect(f"{reverse('identity:desk_verify')}?next={context['next']}")
        form.add_error("code", problem)
    context["form"] = form
    return render(request, "identity/desk_enrol.html", context, status=400 if form.errors else 200)


def desk_password_view(request: HttpRequest) -> HttpResponse:
    """A staff member sets a new password (required once it is older than STAFF_PASSWORD_MAX_DAYS)."""
    user = request.user
    if not user.is_authenticated or user.kind != UserKind.STAFF:
        return redirect("identity:desk_login")
    assert isinstance(user, User)
    next_url = _next_url(request, "/desk/")
    if not settings.STAFF_2FA_SKIP and not is_second_factor_verified(user):
        # The second factor first: the password alone must not be enough to replace itself:
        return redirect(f"{reverse('identity:desk_verify')}?next={request.get_full_path()}")
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_password(
                user,
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            messages.success(request, _("新密码已设置。"))
            return redirect(next_url)
    return render(
        request,
        "identity/desk_password.html",
        {
            "form": form,
            "surface": "desk",
            "next": next_url,
            "expired": is_password_expired(user),
            "max_days": settings.STAFF_PASSWORD_MAX_DAYS,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def desk_enrolment_codes_view(request: HttpRequest) -> HttpResponse:
    """The security administrator issues one-time enrolment codes for staff authenticators."""
    if not has_role(request.user, Role.SECURITY_ADMIN):
        raise Http404
    issued: dict[str, object] | None = None
    problem = ""
    if request.method == "POST":
        public_id = _uuid_or_none(request.POST.get("user", ""))
        staff = User.objects.filter(public_id=public_id).first() if public_id else None
        if staff is None:
            raise Http404
        try:
            code = actions.issue_enrolment_code(staff, actor=request.user, request=request)  # type: ignore[arg-type]
        except ValidationError as exc:
            problem = exc.messages[0]
        else:
            issued = {"user": staff, "code": code, "hours": settings.TOTP_ENROLMENT_CODE_HOURS}
    return render(
        request,
        "identity/desk_enrolment_codes.html",
        {"surface": "desk", "rows": list_staff_for_enrolment(), "issued": issued, "problem": problem},
        status=400 if problem else 200,
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


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
