"""Every write of ratings and rectifications: one function per business operation, one transaction each.

A rectification changes status only through ``move()``, along ``constants.TRANSITIONS``;
each action locks the rectification row first, so two people acting at once cannot both
succeed. The periodic work (SMS invitations, default ratings, deadline marks and the
escalation of late rectifications) is ``run_sweep``, queued again by its task.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases.models import Case, CaseEvent
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import RECORD_ROLES, Role, UserKind
from govhall.identity.models import Department, User
from govhall.identity.queries import departments_covered
from govhall.lib.errors import Conflict
from govhall.lib.storage import discard_files_on_rollback, keep_inspected_files
from govhall.lib.uploads import inspect_files
from govhall.proactive.actions import notify, notify_many
from govhall.proactive.queries import (
    Joined,
    bundle_cases_ended_since,
    held_in_bundle,
    joined_of,
    joined_with,
    still_handled,
)
from govhall.ratings import constants as c
from govhall.ratings.constants import (
    BAD_LEVELS,
    INDICATORS_BY_CHANNEL,
    LEVEL_SCORES,
    OPEN_RECTIFICATION_STATUSES,
    RATEABLE_STATUSES,
    RECTIFY_CLOCK_STATUSES,
    TRANSITIONS,
    Channel,
    Indicator,
    RatingLevel,
    RectificationAction,
    RectificationStatus,
    ServiceKind,
    Warning,
)
from govhall.ratings.models import (
    BadRatingReason,
    Rating,
    RatingInvitation,
    Rectification,
    RectificationEvent,
    RectificationEvidence,
)
from govhall.sharing.actions import queue_rating
from govhall.sharing.constants import Flag

S = RectificationStatus
A = RectificationAction
SMS_SALT = "govhall.ratings.sms-invitation"


class InvalidTransition(Conflict):
    """The rectification (or the case) is not in a status that allows this now."""


def _today() -> datetime.date:
    return timezone.localdate()


def rectify_working_days() -> int:
    return int(getattr(settings, "RATINGS_RECTIFY_WORKING_DAYS", c.RECTIFY_WORKING_DAYS))


def default_after_days() -> int:
    return int(getattr(settings, "RATINGS_DEFAULT_AFTER_DAYS", c.DEFAULT_AFTER_DAYS))


def default_level() -> str:
    return str(getattr(settings, "RATINGS_DEFAULT_LEVEL", c.DEFAULT_LEVEL))


def sms_link_days() -> int:
    return int(getattr(settings, "RATINGS_SMS_LINK_DAYS", c.SMS_LINK_DAYS))


# The reasons list --------------------------------------------------------------------------------


@transaction.atomic
def save_bad_rating_reason(reason: BadRatingReason, *, actor: Any) -> BadRatingReason:
    """Save a reason of the list (the admin's form has checked it), with its audit record."""
    created = reason.pk is None
    reason.full_clean()
    reason.save()
    record("ratings.reason_saved", actor, reason, {"code": reason.code, "created": created, "active": reason.is_active})
    return reason


# Rating ------------------------------------------------------------------------------------------


def _check_scores(channel: str, scores: dict[str, Any] | None, level: str) -> dict[str, int]:
    allowed = INDICATORS_BY_CHANNEL[Channel(channel)]
    checked: dict[str, int] = {}
    labels = dict(Indicator.choices)
    for key, value in (scores or {}).items():
        if key not in allowed:
            raise ValidationError({"indicator_scores": _("“%(key)s”不是这个渠道的评价指标。") % {"key": key}})
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value) not in {"1", "2", "3", "4", "5"}:
            raise ValidationError({"indicator_scores": _("“%(name)s”的评分应为 1 到 5 分。") % {"name": labels[key]}})
        checked[key] = int(value)
    # The overall score is the level's unless the rater gave it separately:
    checked.setdefault(Indicator.OVERALL, LEVEL_SCORES[RatingLevel(level)])
    return checked


def _reasons(level: str, codes: Iterable[str]) -> list[BadRatingReason]:
    codes = [code for code in codes if code]
    if level not in BAD_LEVELS:
        return []
    reasons = list(BadRatingReason.objects.filter(code__in=codes, is_active=True))
    if not reasons:
        raise ValidationError({"reasons": _("请至少选择一项不满意的原因，以便我们有针对性地整改。")})
    if len(reasons) != len(set(codes)):
        raise ValidationError({"reasons": _("所选的原因不在可选范围内，请重新选择。")})
    return reasons


def _staff_who_served(case: Case) -> list[int]:
    # The staff who acted on the case (its events' actors) are the staff rated:
    return list(
        CaseEvent.objects.filter(case=case, actor__kind=UserKind.STAFF)
        .values_list("actor_id", flat=True)
        .distinct()
        .order_by()
    )


def _check_may_rate(case: Case, *, rater: User, channel: str, is_follow_up: bool, joined: Joined | None = None) -> None:
    if case.applicant_id != rater.pk:
        raise PermissionDenied(_("只有办件的申请人本人可以评价这次服务。"))
    if joined is not None and not is_follow_up and still_handled(joined):
        raise InvalidTransition(
            _("“%(name)s”中还有事项正在办理。全部办结后，请对这件事一并评价一次。") % {"name": joined.name},
            code="bundle_not_finished",
        )
    if case.status not in RATEABLE_STATUSES:
        raise InvalidTransition(
            _("办件办结后才能评价。您的办件当前为“%(status)s”，办结后我们会邀请您评价。")
            % {"status": case.get_status_display()},
            code="not_finished",
        )
    ratings = Rating.objects.filter(case=case)
    if is_follow_up:
        if not ratings.filter(is_follow_up=False).exists():
            raise InvalidTransition(_("您还没有评价过这次服务，请先进行首次评价。"), code="no_first_rating")
        if ratings.filter(channel=channel, is_follow_up=True).exists():
            raise InvalidTransition(_("您已追加评价过这次服务，每次服务只能追加评价一次。"), code="second_follow_up")
        return
    first = ratings.filter(channel=channel, is_follow_up=False).first()
    if first is not None and first.is_default:
        raise InvalidTransition(
            _("这次服务已超过评价期限，系统已按规定给出默认评价。如有意见，可以追加评价一次。"), code="defaulted"
        )
    if first is not None:
        raise InvalidTransition(
            _("您已评价过这次服务，不能再次首次评价；如有新的意见，可以追加评价一次。"), code="second_rating"
        )


def _lock_joined(case_id: int) -> tuple[Case, Joined | None]:
    """Lock the case, and every case filed with it as one 一件事 (in id order: two ratings at once cannot deadlock)."""
    joined = joined_with(case_id)
    ids = joined.case_ids if joined else (case_id,)
    list(Case.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk").values_list("pk"))
    return Case.objects.select_related("applicant").get(pk=case_id), joined


def _create_rating(
    case: Case,
    *,
    rater: User,
    channel: str,
    level: str,
    indicator_scores: dict[str, Any] | None,
    reason_codes: Iterable[str],
    comment: str,
    is_follow_up: bool,
    actor: User,
    hotline_number: str = "",
    joined: Joined | None = None,
) -> Rating:
    """Check and record a rating; a first rating of a case filed as part of a bundle (一件事) rates the bundle:
    each of its closed cases not yet rated gets the same rating, for its own unit and staff (one rating, seen
    by each unit that served)."""
    if level not in RatingLevel.values:
        raise ValidationError({"level": _("请选择评价等级。")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("未知的评价渠道。")})
    scores = _check_scores(channel, indicator_scores, level)
    reasons = _reasons(level, reason_codes)
    comment = comment.strip()
    if len(comment) > 1000:
        raise ValidationError({"comment": _("评价内容不能超过 1000 字。")})
    _check_may_rate(case, rater=rater, channel=channel, is_follow_up=is_follow_up, joined=joined)

    def make(target: Case, bundle: str = "") -> Rating:
        return _make_rating(
            target, rater=rater, channel=channel, level=level, scores=scores, reasons=reasons, comment=comment,
            is_follow_up=is_follow_up, actor=actor, hotline_number=hotline_number, bundle=bundle,
        )  # fmt: skip

    rating = make(case)
    if joined is not None and not is_follow_up and not hotline_number:
        others = (
            Case.objects.filter(pk__in=joined.case_ids, status__in=RATEABLE_STATUSES, applicant_id=rater.pk)
            .exclude(pk=case.pk)
            .filter(~Exists(Rating.objects.filter(case=OuterRef("pk"), is_follow_up=False)))
            .order_by("pk")
        )
        for other in others:
            make(other, bundle=joined.name)
    return rating


def _make_rating(
    case: Case,
    *,
    rater: User,
    channel: str,
    level: str,
    scores: dict[str, int],
    reasons: list[BadRatingReason],
    comment: str,
    is_follow_up: bool,
    actor: User,
    hotline_number: str,
    bundle: str = "",
) -> Rating:
    try:
        # A savepoint: the constraint's refusal leaves the caller's transaction usable:
        with transaction.atomic():
            rating = Rating.objects.create(
                service_kind=ServiceKind.CASE,
                case=case,
                department_id=case.department_id,
                channel=channel,
                level=level,
                indicator_scores=scores,
                comment=comment,
                rater=rater,
                is_follow_up=is_follow_up,
                hotline_number=hotline_number,
                entered_by=actor if actor.pk != rater.pk else None,
            )
    except IntegrityError:
        if hotline_number and Rating.objects.filter(hotline_number=hotline_number).exists():
            raise _hotline_twice(hotline_number) from None
        raise InvalidTransition(
            _("您已评价过这次服务，不能再次首次评价；如有新的意见，可以追加评价一次。"), code="second_rating"
        ) from None
    rating.reasons.set(reasons)
    rating.staff.set(_staff_who_served(case))
    # Whatever way the applicant rated, the SMS link and the default no longer apply:
    RatingInvitation.objects.filter(case=case, used_at__isnull=True).update(used_at=timezone.now())
    record(
        "ratings.rated",
        actor,
        rating,
        {"case": case.reference, "channel": channel, "level": level, "follow_up": is_follow_up,
         **({"bundle": bundle} if bundle else {})},
    )  # fmt: skip
    if rating.is_bad:
        _open_rectification(rating)
    # To the provincial 好差评 system, in this transaction (the outbox; docs/exchange.md):
    queue_rating(rating)
    return rating


@transaction.atomic
def rate_case(
    case: Case,
    *,
    rater: User,
    level: str,
    indicator_scores: dict[str, Any] | None = None,
    reason_codes: Iterable[str] = (),
    comment: str = "",
    is_follow_up: bool = False,
    channel: str = Channel.ONLINE,
) -> Rating:
    """The applicant rates their finished case (一事一评) in the workspace or the API.

    Locks the case row, so that two submissions at once make one rating. Raises
    PermissionDenied for someone else's case, InvalidTransition before the case is closed
    or for a second first (or follow-up) rating, ValidationError for bad input. A bad
    rating opens its rectification in the same transaction.
    """
    case, joined = _lock_joined(case.pk)
    return _create_rating(
        case,
        rater=rater,
        channel=channel,
        level=level,
        indicator_scores=indicator_scores,
        reason_codes=reason_codes,
        comment=comment,
        is_follow_up=is_follow_up,
        actor=rater,
        joined=joined,
    )


def _hotline_twice(number: str) -> ValidationError:
    return ValidationError(
        {"hotline_number": _("12345工单 %(number)s 的评价已经录入过，不能重复录入。") % {"number": number}},
        code="hotline_twice",
    )


@transaction.atomic
def enter_hotline_rating(
    case: Case,
    *,
    actor: User,
    hotline_number: str,
    level: str,
    indicator_scores: dict[str, Any] | None = None,
    reason_codes: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """Staff enter a rating the applicant gave through the 12345 hotline, with its work-order number.

    The caller must have loaded ``case`` through ``queries.access_case_for_staff``. A
    work-order number is entered once (refused the second time, nothing changed).
    """
    number = hotline_number.strip()
    if not number:
        raise ValidationError({"hotline_number": _("请填写12345工单编号。")})
    if len(number) > 40:
        raise ValidationError({"hotline_number": _("12345工单编号不能超过 40 个字符。")})
    case = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    if Rating.objects.filter(hotline_number=number).exists():
        raise _hotline_twice(number)
    return _create_rating(
        case,
        rater=case.applicant,
        channel=Channel.HOTLINE,
        level=level,
        indicator_scores=indicator_scores,
        reason_codes=reason_codes,
        comment=comment,
        is_follow_up=Rating.objects.filter(case=case, channel=Channel.HOTLINE, is_follow_up=False).exists(),
        actor=actor,
        hotline_number=number,
    )


# The SMS invitation --------------------------------------------------------------------------


def invitation_token(invitation: RatingInvitation) -> str:
    """The signed token of an invitation's link (django.core.signing, with the invitations' salt)."""
    return signing.dumps(str(invitation.public_id), salt=SMS_SALT)


def invitation_link(invitation: RatingInvitation) -> str:
    path = reverse("ratings:sms_rate", kwargs={"token": invitation_token(invitation)})
    return f"{settings.PUBLIC_URL}{path}"


class LinkRefused(ValidationError):
    """An SMS link that is forged, expired or already used; the message says which and what to do."""


def open_invitation(token: str, *, lock: bool = False) -> RatingInvitation:
    """The invitation a link's token names, if it may still be used; raises LinkRefused otherwise."""
    try:
        public_id = signing.loads(token, salt=SMS_SALT, max_age=datetime.timedelta(days=sms_link_days()))
    except signing.SignatureExpired:
        raise LinkRefused(_expired_message(), code="expired") from None
    except signing.BadSignature:
        raise LinkRefused(
            _("这个评价链接无效，请核对短信中的链接，或登录“我的办事空间”评价。"), code="invalid"
        ) from None
    invitations = RatingInvitation.objects.select_related("case", "case__item_version", "case__applicant")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(public_id=public_id).first()
    if invitation is None:
        raise LinkRefused(_("这个评价链接无效，请核对短信中的链接，或登录“我的办事空间”评价。"), code="invalid")
    if invitation.used_at is not None:
        raise LinkRefused(
            _("这个评价链接已经使用过，每个链接只能评价一次。如需追加评价，请登录“我的办事空间”。"), code="used"
        )
    if invitation.expires_at < timezone.now():
        raise LinkRefused(_expired_message(), code="expired")
    return invitation


def _expired_message() -> str:
    return _("这个评价链接已过期。如需评价，请登录“我的办事空间”，在办件页面点击“评价本次服务”。")


@transaction.atomic
def rate_by_sms(
    token: str,
    *,
    level: str,
    indicator_scores: dict[str, Any] | None = None,
    reason_codes: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """Rate through the no-login link of an SMS invitation; the link works once, until it expires.

    Locks the invitation row: two posts of the same link make one rating. Raises LinkRefused
    for a forged, used or expired link, and what ``rate_case`` raises.
    """
    invitation = open_invitation(token, lock=True)
    case, joined = _lock_joined(invitation.case_id)
    rating = _create_rating(
        case,
        rater=case.applicant,
        channel=Channel.SMS,
        level=level,
        indicator_scores=indicator_scores,
        reason_codes=reason_codes,
        comment=comment,
        is_follow_up=False,
        actor=case.applicant,
        joined=joined,
    )
    return rating


def send_invitations(now: datetime.datetime | None = None) -> int:
    """Invite by SMS the applicant of every case closed lately that has no invitation yet; return how many.

    Set-based: one query finds the cases (closed within the link's validity, no invitation,
    no rating), one insert records the invitations (the unique case column makes a second
    run a no-op), one insert queues the messages through ``proactive.notify_many``. The cases of a
    一件事 are invited when the last of them has ended, with one message for the bundle.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(days=sms_link_days())
    # A 一件事 is invited once, when all its cases have ended: its cases wait for the last one, and
    # the link's validity counts from then:
    cases = list(
        Case.objects.filter(status__in=RATEABLE_STATUSES)
        .filter(Q(closed_at__gte=since) | Q(pk__in=bundle_cases_ended_since(since)))
        .filter(~held_in_bundle())
        .filter(~Exists(RatingInvitation.objects.filter(case=OuterRef("pk"))))
        .filter(~Exists(Rating.objects.filter(case=OuterRef("pk"))))
        .select_related("applicant", "item_version")
        .order_by("pk")[:2000]
    )
    joined = joined_of(case.pk for case in cases)
    if not cases:
        return 0
    expires = now + datetime.timedelta(days=sms_link_days())
    try:
        with transaction.atomic():
            made = RatingInvitation.objects.bulk_create(
                [RatingInvitation(case=case, expires_at=expires) for case in cases]
            )
    except IntegrityError:
        # Another run invited some of them meanwhile: one at a time, only those still without one:
        made = []
        for case in cases:
            new, created = RatingInvitation.objects.get_or_create(case=case, defaults={"expires_at": expires})
            if created:
                made.append(new)
    by_case = {invitation.case_id: invitation for invitation in made}
    messages = []
    bundles_told: set[Any] = set()
    for case in cases:
        invitation = by_case.get(case.pk)
        bundle = joined.get(case.pk)
        if invitation is None or (bundle is not None and bundle.filing in bundles_told):
            continue
        with translation.override(case.applicant.language or settings.LANGUAGE_CODE):
            if bundle is not None:
                bundles_told.add(bundle.filing)
                # One message for the bundle: rating through any of its cases rates them all (one rating):
                subject = _("请评价您的一件事“%(name)s”") % {"name": bundle.name}
                body = _(
                    "您的一件事“%(name)s”已全部办结（%(count)d 个事项）。请花一分钟对这件事评价一次：%(link)s "
                    "（%(days)d 天内有效，只能使用一次）。"
                ) % {"name": bundle.name, "count": len(bundle.case_ids), "link": invitation_link(invitation),
                     "days": sms_link_days()}  # fmt: skip
            else:
                subject = _("请评价您的办件“%(item)s”") % {"item": case.item_version.name}
                body = _(
                    "您的办件 %(reference)s 已办结。请花一分钟评价本次服务：%(link)s （%(days)d 天内有效，只能使用一次）。"
                ) % {"reference": case.reference, "link": invitation_link(invitation), "days": sms_link_days()}
        messages.append((case.applicant, subject, body, reverse("ratings:rate_case", args=[case.public_id])))
    notify_many(messages)
    record("ratings.invitations_sent", "system", None, {"count": len(messages)})
    return len(messages)


def give_default_ratings(now: datetime.datetime | None = None) -> int:
    """Give the default rating (marked as such) for every invitation unanswered after the set days.

    Set-based: the waiting invitations older than the limit, one insert of ratings, one
    update closing the invitations. The default level is not a bad rating, so no
    rectification opens.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=default_after_days())
    waiting = list(
        RatingInvitation.objects.filter(used_at__isnull=True, sent_at__lt=cutoff)
        .filter(~Exists(Rating.objects.filter(case=OuterRef("case_id"))))
        .select_related("case")
        .order_by("pk")[:2000]
    )
    if not waiting:
        return 0
    level = default_level()
    Rating.objects.bulk_create(
        [
            Rating(
                service_kind=ServiceKind.CASE,
                case=invitation.case,
                department_id=invitation.case.department_id,
                channel=Channel.ONLINE,
                level=level,
                indicator_scores={Indicator.OVERALL: LEVEL_SCORES[RatingLevel(level)]},
                rater=None,
                is_default=True,
            )
            for invitation in waiting
        ],
        ignore_conflicts=True,
    )
    RatingInvitation.objects.filter(pk__in=[invitation.pk for invitation in waiting]).update(used_at=now)
    record("ratings.defaults_given", "system", None, {"count": len(waiting), "level": level})
    return len(waiting)


# Rectification -----------------------------------------------------------------------------


def _supervisors_over(department_id: int) -> list[User]:
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain: list[int] = []
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return list(
        User.objects.filter(
            memberships__department_id__in=chain, memberships__role=Role.SUPERVISOR, is_active=True
        ).distinct()
    )


def _rectification_link(rectification: Rectification) -> str:
    return reverse("ratings:desk_rectification", args=[rectification.public_id])


def _open_rectification(rating: Rating) -> Rectification:
    today = _today()
    rectification = Rectification.objects.create(
        rating=rating,
        department_id=rating.department_id,
        classify_due_on=get_calendar().add_working_days(today, c.CLASSIFY_WORKING_DAYS),
    )
    RectificationEvent.objects.create(
        rectification=rectification, action="opened", to_status=S.NEW, actor_label="system"
    )
    record("ratings.rectification_opened", "system", rectification, {"rating": str(rating.public_id)})
    messages = []
    for user in _supervisors_over(rating.department_id):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("收到一条差评，请在 %(due)s 前完成分类认定") % {
                "due": rectification.classify_due_on.isoformat()
            }
            body = _("评价等级：%(level)s。请分类认定并交办整改单位。") % {"level": rating.get_level_display()}
        messages.append((user, subject, body, _rectification_link(rectification)))
    notify_many(messages)
    return rectification


def move(
    rectification: Rectification,
    to: str,
    *,
    actor: Any,
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> RectificationEvent:
    """Change the status of a locked rectification along the transition table; append the event and audit it."""
    if to not in TRANSITIONS[rectification.status]:
        raise InvalidTransition(
            _("差评整改当前为“%(status)s”，不能进行这个操作。") % {"status": rectification.get_status_display()},
            code="invalid_transition",
        )
    from_status = rectification.status
    rectification.status = to
    rectification.save()
    return _event(rectification, action, actor=actor, note=note, from_status=from_status, data=data)


def _event(
    rectification: Rectification,
    action: str,
    *,
    actor: Any,
    note: str = "",
    from_status: str = "",
    data: dict[str, Any] | None = None,
) -> RectificationEvent:
    event = RectificationEvent.objects.create(
        rectification=rectification,
        action=action,
        from_status=from_status,
        to_status=rectification.status if from_status else "",
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor.get_username() if isinstance(actor, User) else str(actor or "system"),
        note=note,
    )
    record(
        f"ratings.rectification_{action.replace('-', '_')}",
        actor,
        rectification,
        {"from": from_status, "to": rectification.status, **(data or {})},
    )
    return event


def _lock(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("rating", "department")
        .get(pk=rectification.pk)
    )


def _holds(user: Any, role: str, department_id: int) -> bool:
    return department_id in departments_covered(user, [role])


def _is_supervisor(user: Any, rectification: Rectification) -> bool:
    return _holds(user, Role.SUPERVISOR, rectification.department_id)


def _is_handler(user: Any, rectification: Rectification) -> bool:
    return rectification.handler_id is not None and rectification.handler_id == getattr(user, "pk", None)


def available_actions_for(user: Any, rectification: Rectification) -> list[str]:
    """What ``user`` may do to ``rectification`` now: one rule for the actions and the desk page."""
    status = rectification.status
    supervisor = _is_supervisor(user, rectification)
    handler = _is_handler(user, rectification)
    leader = supervisor or _holds(user, Role.APPROVER, rectification.department_id)
    allowed = {
        A.CLASSIFY: status == S.NEW and supervisor,
        A.ASSIGN: status == S.CLASSIFIED and supervisor,
        A.INSTRUCT: status in OPEN_RECTIFICATION_STATUSES and leader,
        A.START: status == S.ASSIGNED and handler,
        A.EVIDENCE: status in {S.ASSIGNED, S.RECTIFYING, S.EXPLAINED} and handler,
        A.EXPLAIN: status == S.ASSIGNED and handler,
        A.APPEAL: status == S.ASSIGNED and handler,
        A.DECIDE_APPEAL: status == S.APPEALED and supervisor and not handler,
        A.FOLLOW_UP: status in {S.RECTIFYING, S.EXPLAINED} and (handler or supervisor),
        A.CLOSE: status == S.FOLLOWED_UP and supervisor,
    }
    return [str(action) for action, ok in allowed.items() if ok]


def _check(user: Any, rectification: Rectification, action: str) -> None:
    if action in available_actions_for(user, rectification):
        return
    # Not now (another status) or not this person: say which.
    if _is_supervisor(user, rectification) or _is_handler(user, rectification):
        raise InvalidTransition(
            _("差评整改当前为“%(status)s”，不能进行这个操作。") % {"status": rectification.get_status_display()},
            code="invalid_transition",
        )
    raise PermissionDenied(_("您没有处理这条差评整改的权限。"))


def _required(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({field: message})
    return value


@transaction.atomic
def classify_rectification(
    rectification: Rectification,
    *,
    actor: User,
    is_reasonable: bool,
    is_true: bool,
    is_malicious: bool,
    note: str = "",
) -> Rectification:
    """A supervisor classifies the bad rating: reasonable or not, true or not, malicious or not (within 1 working day)."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.CLASSIFY)
    rectification.is_reasonable, rectification.is_true, rectification.is_malicious = (
        is_reasonable,
        is_true,
        is_malicious,
    )
    rectification.classification_note = note.strip()
    move(
        rectification,
        S.CLASSIFIED,
        actor=actor,
        action=A.CLASSIFY,
        note=note.strip(),
        data={"reasonable": is_reasonable, "true": is_true, "malicious": is_malicious},
    )
    return rectification


def list_handler_candidates(rectification: Rectification) -> list[User]:
    """Staff of the unit who may handle the rectification: a business role there, and not among those rated."""
    rated = set(rectification.rating.staff.values_list("pk", flat=True))
    return [
        user
        for user in User.objects.filter(
            memberships__department_id=rectification.department_id,
            memberships__role__in=sorted(RECORD_ROLES),
            is_active=True,
        )
        .distinct()
        .order_by("username")
        if user.pk not in rated
    ]


@transaction.atomic
def assign_rectification(rectification: Rectification, *, actor: User, handler: User, note: str = "") -> Rectification:
    """Hand the rectification to a person of the unit that handled the case; its working-day clock starts.

    The person rated cannot be the handler (they would learn who rated them badly).
    """
    rectification = _lock(rectification)
    _check(actor, rectification, A.ASSIGN)
    if handler.pk not in {user.pk for user in list_handler_candidates(rectification)}:
        raise ValidationError(
            {"handler": _("整改责任人应为本单位的工作人员，且不能是被评价的工作人员本人。")}, code="bad_handler"
        )
    rectification.handler = handler
    rectification.rectify_due_on = get_calendar().add_working_days(_today(), rectify_working_days())
    rectification.warning = Warning.NONE
    move(rectification, S.ASSIGNED, actor=actor, action=A.ASSIGN, note=note.strip(), data={"handler": handler.username})
    with translation.override(handler.language or settings.LANGUAGE_CODE):
        notify(
            handler,
            _("请在 %(due)s 前完成一条差评的整改") % {"due": rectification.rectify_due_on.isoformat()},
            body=note.strip(),
            link=_rectification_link(rectification),
        )
    return rectification


@transaction.atomic
def instruct_rectification(rectification: Rectification, *, actor: User, instruction: str) -> Rectification:
    """The unit's leader (an approver) or a supervisor gives an instruction (领导批示)."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.INSTRUCT)
    rectification.leader_instruction = _required(instruction, "instruction", _("请填写批示内容。"))
    rectification.save(update_fields=["leader_instruction"])
    _event(rectification, A.INSTRUCT, actor=actor, note=rectification.leader_instruction)
    return rectification


@transaction.atomic
def start_rectifying(rectification: Rectification, *, actor: User, measures: str) -> Rectification:
    """The handler states the measures and starts the rectification."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.START)
    rectification.measures = _required(measures, "measures", _("请填写整改措施。"))
    move(rectification, S.RECTIFYING, actor=actor, action=A.START, note=rectification.measures)
    return rectification


@discard_files_on_rollback
@transaction.atomic
def add_evidence(rectification: Rectification, *, actor: User, upload: UploadedFile) -> RectificationEvidence:
    """Keep a file showing what was done (checked by ``lib.uploads``; kept only if this commits)."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.EVIDENCE)
    [info] = inspect_files([upload], field="file")
    [evidence] = keep_inspected_files(
        RectificationEvidence, [upload], [info], rectification=rectification, uploaded_by=actor
    )
    _event(rectification, A.EVIDENCE, actor=actor, note=info.safe_name, data={"sha256": info.sha256})
    return evidence


@transaction.atomic
def explain_rectification(rectification: Rectification, *, actor: User, explanation: str) -> Rectification:
    """The handler explains that the unit was not at fault (情况说明); the follow-up call still follows."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.EXPLAIN)
    rectification.explanation = _required(explanation, "explanation", _("请填写情况说明。"))
    move(rectification, S.EXPLAINED, actor=actor, action=A.EXPLAIN, note=rectification.explanation)
    return rectification


@transaction.atomic
def appeal_rectification(rectification: Rectification, *, actor: User, reason: str) -> Rectification:
    """The handler appeals the rating as malicious; a supervisor decides."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.APPEAL)
    rectification.appeal_reason = _required(reason, "reason", _("请填写申诉理由。"))
    move(rectification, S.APPEALED, actor=actor, action=A.APPEAL, note=rectification.appeal_reason)
    return rectification


@transaction.atomic
def decide_appeal(rectification: Rectification, *, actor: User, remove: bool, reason: str) -> Rectification:
    """A supervisor removes the rating as malicious, or upholds it (the unit goes on rectifying), with reasons."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.DECIDE_APPEAL)
    rectification.appeal_decision = _required(reason, "reason", _("请填写审核意见。"))
    if remove:
        Rating.objects.filter(pk=rectification.rating_id).update(is_removed=True)
        queue_rating(Rating.objects.get(pk=rectification.rating_id), flag=Flag.DELETE)  # withdrawn upstream too
        rectification.closed_at = timezone.now()
        move(rectification, S.REMOVED, actor=actor, action=A.DECIDE_APPEAL, note=reason.strip(), data={"removed": True})
    else:
        move(
            rectification, S.ASSIGNED, actor=actor, action=A.DECIDE_APPEAL, note=reason.strip(), data={"removed": False}
        )
    return rectification


@transaction.atomic
def record_follow_up(rectification: Rectification, *, actor: User, note: str, result: str) -> Rectification:
    """Record the follow-up call to the rater (回访) and the result to tell them."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.FOLLOW_UP)
    rectification.follow_up_note = _required(note, "note", _("请填写回访记录。"))
    rectification.result = _required(result, "result", _("请填写告知评价人的整改结果。"))
    rectification.follow_up_at = timezone.now()
    move(rectification, S.FOLLOWED_UP, actor=actor, action=A.FOLLOW_UP, note=rectification.follow_up_note)
    return rectification


@transaction.atomic
def close_rectification(rectification: Rectification, *, actor: User, note: str = "") -> Rectification:
    """A supervisor closes the rectification; the rater is told the result and invited to rate again."""
    rectification = _lock(rectification)
    _check(actor, rectification, A.CLOSE)
    rectification.closed_at = timezone.now()
    rectification.warning = Warning.NONE
    move(rectification, S.CLOSED, actor=actor, action=A.CLOSE, note=note.strip())
    rating = Rating.objects.select_related("rater", "case", "case__item_version").get(pk=rectification.rating_id)
    if rating.rater is not None and rating.case is not None:
        with translation.override(rating.rater.language or settings.LANGUAGE_CODE):
            notify(
                rating.rater,
                _("您对“%(item)s”的评价已处理完毕") % {"item": rating.case.item_version.name},
                body=_("整改结果：%(result)s\n如您对处理结果仍有意见，可以在办件页面追加评价一次。")
                % {"result": rectification.result},
                link=reverse("ratings:rate_case", args=[rating.case.public_id]),
            )
    return rectification


# The sweep ----------------------------------------------------------------------------------


def _escalate(rectifications: list[Rectification], level: str) -> int:
    """Raise a supervision order (督办) for each late rectification; the complaints app keeps one open per object."""
    from govhall.complaints.actions import raise_supervision_order

    for rectification in rectifications:
        rating = rectification.rating
        reason = (
            _("差评未在期限内分类交办（期限 %(due)s）。") % {"due": rectification.classify_due_on.isoformat()}
            if level == Warning.YELLOW
            else _("差评未在期限内完成整改（期限 %(due)s）。")
            % {"due": rectification.rectify_due_on.isoformat() if rectification.rectify_due_on else "—"}
        )
        raise_supervision_order(
            object_kind="rating",
            object_id=rectification.public_id,
            department=rectification.department,
            level=level,
            reason=reason,
            case=rating.case,
            raised_by=None,
            source="late_rectification",
            object_label=_("差评整改：%(case)s")
            % {"case": rating.case.reference if rating.case else rating.visit_reference},
        )
    return len(rectifications)


@transaction.atomic
def sweep_deadlines(today: datetime.date | None = None) -> dict[str, int]:
    """Mark open rectifications yellow (due within a working day) or red (late); escalate those turning red.

    Late classification (new, classified) raises a yellow supervision order, late
    rectification (assigned, rectifying) a red one. Set-based: a few updates, one calendar load.
    """
    today = today or _today()
    line = get_calendar().add_working_days(today, 1)
    classify = Rectification.objects.filter(status__in=[S.NEW, S.CLASSIFIED])
    rectify = Rectification.objects.filter(status__in=sorted(RECTIFY_CLOCK_STATUSES), rectify_due_on__isnull=False)
    late_classify = list(
        classify.filter(classify_due_on__lt=today).exclude(warning=Warning.RED).select_related("rating", "department")
    )
    late_rectify = list(
        rectify.filter(rectify_due_on__lt=today).exclude(warning=Warning.RED).select_related("rating", "department")
    )
    red = Rectification.objects.filter(pk__in=[r.pk for r in late_classify + late_rectify]).update(warning=Warning.RED)
    yellow = (
        classify.filter(classify_due_on__gte=today, classify_due_on__lte=line).filter(warning=Warning.NONE)
        | rectify.filter(rectify_due_on__gte=today, rectify_due_on__lte=line).filter(warning=Warning.NONE)
    ).update(warning=Warning.YELLOW)
    escalated = _escalate(late_classify, Warning.YELLOW) + _escalate(late_rectify, Warning.RED)
    if red or yellow:
        record(
            "ratings.deadlines_swept",
            "system",
            None,
            {"red": red, "yellow": yellow, "escalated": escalated, "day": today.isoformat()},
        )
    return {"red": red, "yellow": yellow, "escalated": escalated}


def run_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic work, each part in its own transaction: invitations, default ratings, deadlines."""
    now = now or timezone.now()
    with transaction.atomic():
        invited = send_invitations(now)
    with transaction.atomic():
        defaulted = give_default_ratings(now)
    marks = sweep_deadlines(timezone.localdate(now))
    return {"invited": invited, "defaulted": defaulted, **marks}


def schedule_sweep(*, delay_seconds: int | None = None) -> bool:
    """Queue the next run of the ratings sweep unless one is already waiting; say whether one is now waiting.

    As the other periodic tasks (``lib.schedule.queue_once``): the task queues its own next
    run when it ends; this is called where the platform starts, in case the queue lost it.
    Without a queue that can hold a task for later (the immediate backend), nothing is queued.
    """
    from govhall.lib.schedule import queue_once
    from govhall.ratings.tasks import sweep_ratings

    delay = int(getattr(settings, "RATINGS_SWEEP_SECONDS", c.SWEEP_SECONDS)) if delay_seconds is None else delay_seconds
    return queue_once(sweep_ratings, delay_seconds=delay)
