"""An Atom feed per column of 政务公开 (the newest published entries)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from govhall.publicinfo import queries
from govhall.publicinfo.constants import EntryKind
from govhall.publicinfo.models import Entry

FEED_SIZE = 30


class ColumnFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, kind: str) -> str:
        if kind not in EntryKind.values:
            raise Http404
        return kind

    def title(self, obj: str) -> str:
        return _("政务公开 · %(column)s") % {"column": EntryKind(obj).label}

    def link(self, obj: str) -> str:
        return reverse("publicinfo:column", args=[obj])

    def subtitle(self, obj: str) -> str:
        return _("%(column)s栏目最新发布的信息") % {"column": EntryKind(obj).label}

    def items(self, obj: str) -> list[Entry]:
        return queries.column(obj, FEED_SIZE)

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_description(self, item: Entry) -> str:
        return item.body[:300]

    def item_link(self, item: Entry) -> str:
        return reverse("publicinfo:entry", args=[item.public_id])

    def item_pubdate(self, item: Entry) -> datetime.datetime | None:
        return item.approved_at

    def item_updateddate(self, item: Entry) -> datetime.datetime:
        return item.approved_at or timezone.now()

    def item_extra_kwargs(self, item: Entry) -> dict[str, Any]:
        return {}
