"""`manage.py import_licences FILE [--dry-run]`: import historical licences from CSV or XLSX, all or nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.translation import gettext as _

from govhall.identity.constants import UserKind
from govhall.identity.models import User
from govhall.licences.imports import MAX_ERRORS, ImportReport, import_licences


class ProgressBar:
    """Rows processed / total and the rate, redrawn in place on one line (at most 10 times a second)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.stage = ""
        self.started = self.drawn = 0.0
        self.done = -1

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.close()
            self.stage, self.started = stage, now
        finished = total is not None and done >= total
        if done == self.done or (not finished and now - self.drawn < 0.1):
            return
        self.drawn, self.done = now, done
        rate = done / max(now - self.started, 1e-6)
        label = {"validate": _("校验"), "write": _("写入")}.get(stage, stage)
        if total:
            filled = min(self.WIDTH, self.WIDTH * done // total)
            line = f"{label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total}"
        else:
            line = f"{label} {done}"
        self.out.write(f"\r{line}  {rate:,.0f} {_('行/秒')}", style_func=lambda text: text, ending="")
        self.out.flush()

    def close(self) -> None:
        if self.stage:
            self.out.write("", ending="\n")
            self.stage, self.done = "", -1


class Command(BaseCommand):
    help = (
        "Import historical licences from a CSV or XLSX file (GB/T 36903 element codes as column names). "
        "Every row is validated first; if any is wrong nothing is written and the command exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file with a header row")
        parser.add_argument("--dry-run", action="store_true", help="validate and count only; write nothing")
        parser.add_argument("--progress", action="store_true", help="show a progress bar even if stderr is no TTY")
        parser.add_argument("--encoding", default="utf-8-sig", help="encoding of a CSV file (e.g. gb18030)")
        parser.add_argument("--actor", default="", help="user name of the staff member recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("找不到文件 %(path)s。") % {"path": path})
        actor: User | str = "system"
        if options["actor"]:
            found = User.objects.filter(username=options["actor"], kind=UserKind.STAFF).first()
            if found is None:
                raise CommandError(_("没有用户名为 %(name)s 的工作人员。") % {"name": options["actor"]})
            actor = found
        bar = ProgressBar(self.stderr) if options["progress"] or self.stderr.isatty() else None
        try:
            report = import_licences(
                path, actor=actor, dry_run=options["dry_run"], encoding=options["encoding"], progress=bar
            )
        finally:
            if bar:
                bar.close()
        if not report.is_valid:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.error_count > len(report.errors):
                self.stderr.write(
                    _("……另有%(count)d处错误未列出（只列出前%(max)d处）。")
                    % {"count": report.error_count - len(report.errors), "max": MAX_ERRORS}
                )
            raise CommandError(_("发现%(count)d处错误，未导入任何证照。") % {"count": report.error_count})
        self.stdout.write(self.style.SUCCESS(summary(report)))


def summary(report: ImportReport) -> str:
    counts = {
        "rows": report.rows,
        "created": report.created,
        "unchanged": report.unchanged,
        "types": len(report.types_created),
    }
    if report.dry_run:
        return (
            _(
                "试运行，未写入任何数据：共%(rows)d行，将新导入%(created)d本证照，"
                "%(unchanged)d本已存在且内容相同，将新建证照类型%(types)d个。"
            )
            % counts
        )
    return (
        _("共%(rows)d行：新导入%(created)d本证照，%(unchanged)d本已存在且内容相同（跳过），新建证照类型%(types)d个。")
        % counts
    )
