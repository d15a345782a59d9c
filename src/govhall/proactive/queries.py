from __future__ import annotations

from django.db.models import QuerySet

from govhall.identity.models import User
from govhall.proactive.models import Notification


def list_notifications(user: User, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)[:limit]
