"""The monthly reports on the worker: keep every ended month's report, then queue the next look."""

from __future__ import annotations

from django_tasks import task

from govhall.stats.actions import keep_missing_reports, schedule_reports


@task()
def keep_reports() -> list[str]:
    """Keep the reports of ended months not yet kept; queue the next run whatever happened."""
    try:
        return [str(report) for report in keep_missing_reports()]
    finally:
        schedule_reports()


@task()
def compute_indicators() -> int:
    """Compute the days not yet computed whole, and today so far; queue the next run whatever happened."""
    from govhall.stats.actions import compute_missing_days, schedule_indicators

    try:
        return len(compute_missing_days())
    finally:
        schedule_indicators()
