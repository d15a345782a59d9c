"""Renewal reminders (到期提醒): each licence's holders hear once per step, with a link to a pre-filled renewal.

Run daily (``proactive.tasks.send_renewal_reminders``). Each licence's reminder rows and its
notifications are written in one transaction, and a row per (licence, step) is unique, so a
run that is repeated, runs twice at once or is killed halfway never sends a step twice. A
licence whose renewal has been filed (a case naming it) hears nothing more; a licence no
longer valid (revoked, cancelled) is never reminded.
"""

from __future__ import annotations

import datetime
from typing import Any

from django_tasks import task

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from govhall.cases.queries import renewals_under_way
from govhall.lib.schedule import queue_once
from govhall.licences.actions import holder_accounts_of
from govhall.licences.models import Licence
from govhall.licences.queries import valid_licences_ending_between
from govhall.proactive.actions import notify_many
from govhall.proactive.models import RenewalReminder, RenewalRule, default_reminder_days

CHUNK = 2000
DAY_SECONDS = 86400


@task()
def remind_renewals() -> int:
    """The daily run (this module, not proactive.tasks: licences imports proactive's sending); queues the next."""
    try:
        return send_renewal_reminders()
    finally:
        queue_once(remind_renewals, delay_seconds=DAY_SECONDS)


def send_renewal_reminders(today: datetime.date | None = None) -> int:
    """Send the reminders due today; return how many licences were reminded."""
    today = today or timezone.localdate()
    rules = {rule.licence_type_id: sorted(set(rule.reminder_days), reverse=True) for rule in RenewalRule.objects.all()}
    default = sorted(default_reminder_days(), reverse=True)
    horizon = max([default[0], *(days[0] for days in rules.values() if days)])
    ending = valid_licences_ending_between(today, today + datetime.timedelta(days=horizon))
    reminded, last_pk = 0, 0
    while True:
        chunk = list(ending.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            return reminded
        last_pk = chunk[-1].pk
        under_way = renewals_under_way([licence.public_id for licence in chunk])
        holders = holder_accounts_of([licence.holder_key for licence in chunk])
        sent: set[tuple[int, int]] = set(
            RenewalReminder.objects.filter(licence__in=chunk).values_list("licence_id", "days_before")
        )
        for licence in chunk:
            if licence.public_id in under_way:
                continue
            days_left = (licence.valid_until - today).days  # type: ignore[operator]
            steps = [s for s in rules.get(licence.licence_type_id, default) if days_left <= s]
            new = [s for s in steps if (licence.pk, s) not in sent]
            if new and _remind(licence, new, days_left, holders.get(licence.holder_key, [])):
                reminded += 1


def _remind(licence: Licence, steps: list[int], days_left: int, users: list[Any]) -> bool:
    """One licence's due steps, recorded and sent together (one message: the nearest step's) to its holders."""
    try:
        with transaction.atomic():
            RenewalReminder.objects.bulk_create(
                [RenewalReminder(licence=licence, days_before=step, recipients=len(users)) for step in steps]
            )
            link = reverse("cases:renew", args=[licence.public_id])
            letters = []
            for user in users:
                with translation.override(user.language or settings.LANGUAGE_CODE):
                    subject, body = _message(licence, days_left)
                letters.append((user, subject, body, link))
            notify_many(letters)
    except IntegrityError:
        return False  # another run recorded this step first: it sent the reminder
    return True


def _message(licence: Licence, days_left: int) -> tuple[str, str]:
    names = {
        "licence": licence.licence_type.name,
        "number": licence.number,
        "until": date_format(licence.valid_until, "DATE_FORMAT") if licence.valid_until else "",
        "days": days_left,
    }
    subject = _("%(licence)s将于%(until)s到期") % names
    body = (
        _(
            "您的%(licence)s（%(number)s）还有 %(days)s 天到期。请在到期前申请换证：打开链接，"
            "我们已按原证照和您上次的申请填好申请表，您只需核对有变化的内容。已经申请过的，请忽略本提醒。"
        )
        % names
    )
    return subject, body
