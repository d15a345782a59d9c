"""Notifications to applicants and staff: shown in their workspace, and sent through a channel."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import EntityKind


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """A message to an account (shown in its workspace and sent through its channels), or to a
    contact without an account — a complainant who left only a phone number or an email
    address — sent to that contact alone (kept encrypted, like every personal identifier).
    """

    recipient = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    contact_phone_encrypted = models.TextField(_("联系电话（密文）"), blank=True)
    contact_email_encrypted = models.TextField(_("电子邮箱（密文）"), blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    delivery = models.CharField(
        _("发送状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    # When the next sending is due; a pending notification long past it lost its task (redeliver_notifications):
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    last_error = models.CharField(_("最后错误"), max_length=300, blank=True)
    # Dotted paths of the channels that have delivered (or had nothing to deliver), so that a
    # retry after one channel failed does not send again through the ones that succeeded:
    channels_sent = models.JSONField(_("已完成的发送通道"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="proactive_recipient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False)
                | ~models.Q(contact_phone_encrypted="")
                | ~models.Q(contact_email_encrypted=""),
                name="proactive_notification_has_an_addressee",
            )
        ]

    def __str__(self) -> str:
        return self.subject


def default_reminder_days() -> list[int]:
    return [30, 15, 7]


class RenewalRule(models.Model):
    """When the holders of one licence type are reminded to renew (as data; 30/15/7 days when none)."""

    licence_type = models.OneToOneField(
        "licences.LicenceType", verbose_name=_("证照类型"), on_delete=models.CASCADE, related_name="+"
    )
    # Days before the licence ends on which a reminder goes out (the first is the lead time):
    reminder_days = models.JSONField(_("到期前提醒天数"), default=default_reminder_days)

    class Meta:
        verbose_name = _("换证提醒规则")
        verbose_name_plural = _("换证提醒规则")

    def __str__(self) -> str:
        return f"{self.licence_type} {self.reminder_days}"


class RenewalReminder(models.Model):
    """One reminder step for one licence, sent once: the row is the idempotency key (licence, step)."""

    licence = models.ForeignKey("licences.Licence", on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["licence", "days_before"], name="proactive_reminder_once")]

    def __str__(self) -> str:
        return f"{self.licence_id} −{self.days_before}"


class SubjectKind(models.TextChoices):
    """Whom an entitlement is for: anyone, natural persons only, or legal entities (and other organisations) only."""

    ANY = "any", _("不限")
    PERSON = "person", _("仅限自然人")
    ENTITY = "entity", _("仅限法人和其他组织")


NO_SOURCE = _("请至少设定一个条件来源：持有的证照类型，或办结过的事项。")
REGION_PREFIX = RegexValidator(
    r"^[0-9]{2,6}$",
    _("地区请填写行政区划代码的前 2 至 6 位数字，例如 35（福建省）、3502（厦门市）或 350205（海沧区）。"),
)


class Entitlement(models.Model):
    """A benefit given without an application (免申即享) to the subjects the platform's data shows eligible.

    Who is eligible is data, every criterion set combined with AND: a *source* (at least one,
    also a database constraint) — holders of a valid licence of a type, subjects whose case of
    an item was closed with approval — narrowed by subject attributes (person or entity, the
    entity's kind, the region of the ID number or of the credit code's registration authority).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("政策名称"), max_length=200)
    description = models.TextField(_("享受内容"))
    legal_basis = models.CharField(_("政策依据"), max_length=300)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("兑现单位"), on_delete=models.PROTECT, related_name="+"
    )
    # Licence source: holders of a valid licence of this type (issued on or after a day, if set):
    licence_type = models.ForeignKey(
        "licences.LicenceType",
        verbose_name=_("持有证照类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_since = models.DateField(_("证照颁发不早于"), null=True, blank=True)
    # Case source: subjects who had a case of this item closed with an approving decision:
    case_item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name=_("办结过的事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("该事项的办件已办结且决定准予的申请人（以单位名义申请的，为该单位）符合条件。"),
    )
    case_closed_since = models.DateField(_("办结不早于"), null=True, blank=True)
    # Subject attributes (they narrow a source, never stand alone):
    subject_kind = models.CharField(_("主体类型"), max_length=8, choices=SubjectKind.choices, default=SubjectKind.ANY)
    entity_kinds = models.JSONField(
        _("单位类型"),
        default=list,
        blank=True,
        help_text=_("不选为不限；选择后只有这些类型的单位符合条件，自然人不符合。"),
    )
    region_prefix = models.CharField(
        _("地区（行政区划代码前缀）"),
        max_length=6,
        blank=True,
        validators=[REGION_PREFIX],
        help_text=_(
            "留空为所有地区。自然人按身份证号码前 6 位比对，单位按统一社会信用代码第 3 至 8 位（登记管理机关行政区划码）比对。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("免申即享政策")
        verbose_name_plural = _("免申即享政策")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(licence_type__isnull=False) | models.Q(case_item__isnull=False),
                name="proactive_entitlement_has_a_source",
                violation_error_message=NO_SOURCE,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Keyed to a field, so that the constraint's own check (skipped for a field in error) does
        # not say the same again:
        problems: dict[str, Any] = {}
        if self.licence_type_id is None and self.case_item_id is None:
            problems["licence_type"] = NO_SOURCE
        elif self.issued_since and self.licence_type_id is None:
            problems["issued_since"] = _("只有选择了持有证照类型，才能设定证照颁发日期。")
        if self.case_closed_since and self.case_item_id is None:
            problems["case_closed_since"] = _("只有选择了办结过的事项，才能设定办结日期。")
        kinds = self.entity_kinds if isinstance(self.entity_kinds, list) else [self.entity_kinds]
        unknown = [str(kind) for kind in kinds if kind not in EntityKind.values]
        if unknown:
            problems["entity_kinds"] = _("没有“%(kind)s”这种单位类型，请重新选择。") % {"kind": "、".join(unknown)}
        elif kinds and self.subject_kind == SubjectKind.PERSON:
            problems["entity_kinds"] = _(
                "主体类型已限定为自然人，不能再限定单位类型；如需限定单位类型，请将主体类型改为“不限”或“仅限法人和其他组织”。"
            )
        if problems:
            raise ValidationError(problems)

    @property
    def case_item_name(self) -> str:
        """The case item's name as its newest published version gives it (one query)."""
        if self.case_item is None:
            return ""
        names = self.case_item.versions.exclude(published_at=None).order_by("-number").values_list("name", flat=True)
        return names.first() or str(self.case_item)

    def criteria_in_words(self) -> str:
        """Who is eligible, as staff read it: "持有有效的：林权证；办结过（准予）：林木采伐许可（2026-01-01 起）；…"."""
        parts = []
        if self.licence_type is not None:
            name = self.licence_type.name
            parts.append(
                gettext("持有有效的：%(type)s（%(day)s 以后颁发）")
                % {"type": name, "day": self.issued_since.isoformat()}
                if self.issued_since
                else gettext("持有有效的：%(type)s") % {"type": name}
            )
        if self.case_item is not None:
            item = self.case_item_name
            parts.append(
                gettext("办结过（准予）：%(item)s（%(day)s 起）")
                % {"item": item, "day": self.case_closed_since.isoformat()}
                if self.case_closed_since
                else gettext("办结过（准予）：%(item)s") % {"item": item}
            )
        labels = dict(EntityKind.choices)
        if self.entity_kinds:
            who = "、".join(str(labels.get(kind, kind)) for kind in self.entity_kinds)
        elif self.subject_kind == SubjectKind.PERSON:
            who = gettext("自然人")
        elif self.subject_kind == SubjectKind.ENTITY:
            who = gettext("法人和其他组织")
        else:
            who = ""
        if who:
            parts.append(gettext("主体：%(who)s") % {"who": who})
        if self.region_prefix:
            parts.append(gettext("地区：%(code)s") % {"code": self.region_prefix})
        return "；".join(parts)


class GrantStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    GRANTED = "granted", _("已兑现")
    DECLINED = "declined", _("本人已放弃")


class EntitlementGrant(models.Model):
    """One subject found eligible, then granted by staff with a stated purpose; the person may decline.

    ``evidence`` says what data made the subject eligible (the licence, the case, the attributes),
    written when found, in the platform's language; ``licence`` and ``case`` point at the records.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="grants")
    subject_key = models.CharField(max_length=64)  # the licences' holder key
    subject_name = models.CharField(_("享受对象"), max_length=200)  # as the public may see it (a person's masked)
    licence = models.ForeignKey("licences.Licence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField(_("符合条件的依据"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PROPOSED)
    found_at = models.DateTimeField(auto_now_add=True)
    purpose = models.CharField(_("兑现事由"), max_length=300, blank=True)
    granted_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("放弃原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("免申即享兑现")
        verbose_name_plural = _("免申即享兑现")
        constraints = [models.UniqueConstraint(fields=["entitlement", "subject_key"], name="proactive_grant_once")]

    def __str__(self) -> str:
        return f"{self.entitlement} {self.subject_name}"


class SuggestionSource(models.TextChoices):
    AFFINITY = "affinity", _("办过相关事项的人也办理")
    SEASON = "season", _("时令提示")
    PLACE = "place", _("本地提示")
    POPULAR = "popular", _("近期办理较多")


class ItemAffinity(models.Model):
    """How many subjects whose cases of one item were closed also had a case of another closed.

    Computed nightly from closed cases (``suggestions.compute_affinities``); only pairs that at
    least ``SUGGESTION_MIN_SUPPORT`` subjects support are kept, so no suggestion can point at
    a handful of people.
    """

    from_item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    to_item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    support = models.PositiveIntegerField(_("支持人数"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("事项关联")
        verbose_name_plural = _("事项关联")
        constraints = [models.UniqueConstraint(fields=["from_item", "to_item"], name="proactive_affinity_once")]

    def __str__(self) -> str:
        return f"{self.from_item_id} → {self.to_item_id} ({self.support})"


class SuggestionRule(models.Model):
    """A season or place trigger, as data: suggest an item in a window of the year, optionally in a place."""

    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(
        _("提示理由"), max_length=200, help_text=_("向办事人说明为什么推荐，如“汛期（4月15日至10月15日）”。")
    )
    start_month = models.PositiveSmallIntegerField(_("开始月"))
    start_day = models.PositiveSmallIntegerField(_("开始日"), default=1)
    end_month = models.PositiveSmallIntegerField(_("结束月"))
    end_day = models.PositiveSmallIntegerField(_("结束日"), default=31)
    region_prefix = models.CharField(
        _("地区（行政区划代码前缀）"),
        max_length=6,
        blank=True,
        help_text=_("留空为所有地区；填写则只提示住所或登记地在该地区的办事人。"),
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("时令与地区提示")
        verbose_name_plural = _("时令与地区提示")

    def __str__(self) -> str:
        return self.reason

    def applies_on(self, day: datetime.date) -> bool:
        start, end, today = (self.start_month, self.start_day), (self.end_month, self.end_day), (day.month, day.day)
        return start <= today <= end if start <= end else today >= start or today <= end  # a window over new year


class SuggestionPreference(models.Model):
    """A person's choice about personalised suggestions (PIPL Art. 24: they can be switched off)."""

    user = models.OneToOneField("identity.User", on_delete=models.CASCADE, related_name="suggestion_preference")
    personalised = models.BooleanField(_("个性化推荐"), default=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.personalised}"


class SuggestionTally(models.Model):
    """Suggestions shown and taken per day, item and source: counted, never per person."""

    day = models.DateField()
    item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=SuggestionSource.choices)
    shown = models.PositiveIntegerField(default=0)
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "item", "source"], name="proactive_tally_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.item_id} {self.source} {self.shown}/{self.taken}"


class Bundle(models.Model):
    """一件事: several catalog items applied for together — one form (shared fields asked once), one set of
    materials (the same material or licence type asked once), one entry; filing makes a case per item."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="members")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)

    class Meta:
        verbose_name = _("一件事包含的事项")
        verbose_name_plural = _("一件事包含的事项")
        ordering = ["bundle", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="proactive_bundle_item_once")]

    def __str__(self) -> str:
        return f"{self.bundle_id} {self.item_id}"


class BundleFiling(models.Model):
    """One filing of a bundle: the cases it made, shown to the applicant as one thing."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bundle = models.ForeignKey(Bundle, verbose_name=_("一件事"), on_delete=models.PROTECT, related_name="filings")
    applicant = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    entity = models.ForeignKey(
        "identity.LegalEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submit_key = models.CharField(max_length=64)
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    cases = models.ManyToManyField("cases.Case", through="BundleCase", related_name="+")

    class Meta:
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        ordering = ["-filed_at"]
        constraints = [models.UniqueConstraint(fields=["applicant", "submit_key"], name="proactive_bundle_filing_once")]

    def __str__(self) -> str:
        return f"{self.bundle_id} {self.public_id}"


class BundleCase(models.Model):
    filing = models.ForeignKey(BundleFiling, on_delete=models.CASCADE, related_name="links")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.filing_id} {self.case_id}"
