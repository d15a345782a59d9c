"""The one table of the bare insert ceiling (never in the production schema: only bench.settings installs it)."""

from django.db import models


class Ping(models.Model):
    note = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.note
