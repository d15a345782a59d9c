"""Background work of the cases app."""

from __future__ import annotations

from django_tasks import task


@task()
def keep_acceptance_notice(case_id: int) -> bool:
    """Sign and keep the acceptance notice once, after the acceptance committed (signing takes ~0.2 s)."""
    from govhall.cases.actions import keep_acceptance_notice as keep

    return keep(case_id)
