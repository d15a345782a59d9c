import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Loading or correcting the calendar recounts the due dates of the cases that depend on it, in
# the same transaction (the admin's); that is the cases app's action, called from this entry point:
from govhall.cases.actions import load_holiday_notice, recount_due_dates
from govhall.holidays.actions import days_from_libraries, delete_holiday, save_holiday
from govhall.holidays.models import CalendarYear, DayKind, Holiday
from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role

_KINDS = {"放假": DayKind.OFF, "off": DayKind.OFF, "上班": DayKind.WORKDAY, "workday": DayKind.WORKDAY}


@admin.register(Holiday)
class HolidayAdmin(RoleRestrictedAdmin):
    """The system administrator corrects one day; a whole year's notice is loaded under 已录入年度."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "name"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Holiday, form: Any, change: bool) -> None:
        years = {obj.date.year} | ({form.initial["date"].year} if change and form.initial.get("date") else set())
        save_holiday(obj, actor=request.user)
        recount_due_dates(years, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Holiday) -> None:
        year = obj.date.year
        delete_holiday(obj, actor=request.user)
        recount_due_dates({year}, actor=request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would bypass the audited action:
        return {}


class NoticeForm(forms.ModelForm):
    """A year's notice: typed in from the notice, one day a line, or taken from a library that holds it."""

    days = forms.CharField(
        label=gettext_lazy("放假与调休日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "每行一天：日期、“放假”或“上班”、名称，如“2027-02-06 放假 春节”“2027-02-20 上班 春节调休”。"
            "留空则从 chinese-calendar 或 python-holidays 库载入（须已收录该年度通知）。"
        ),
    )

    class Meta:
        model = CalendarYear
        fields = ["year", "source"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        year, text = data.get("year"), data.get("days", "")
        if not year:
            return data
        if text.strip():
            data["entries"] = [self._entry(line) for line in text.splitlines() if line.strip()]
        else:
            try:
                data["entries"], _library = days_from_libraries(year)
            except ValidationError as exc:
                raise ValidationError({"days": exc.messages}) from exc
        return data

    @staticmethod
    def _entry(line: str) -> tuple[datetime.date, str, str]:
        parts = line.split(maxsplit=2)
        try:
            day = datetime.date.fromisoformat(parts[0])
            kind = _KINDS[parts[1]]
        except (IndexError, KeyError, ValueError) as exc:
            raise ValidationError(
                {"days": _("无法识别这一行：“%(line)s”。请写成“2027-02-06 放假 春节”。") % {"line": line.strip()}}
            ) from exc
        return day, kind, parts[2].strip()[:50] if len(parts) > 2 else ("调休" if kind == DayKind.WORKDAY else "")


@admin.register(CalendarYear)
class CalendarYearAdmin(RoleRestrictedAdmin):
    """Load a new year's notice when it arrives each November; the due dates that depend on it are recounted."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["year", "source"]
    form = NoticeForm

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        result = load_holiday_notice(obj.year, source=obj.source, days=form.cleaned_data["entries"], actor=request.user)
        obj.pk = CalendarYear.objects.get(year=obj.year).pk
        self.message_user(
            request,
            _("已载入 %(year)d 年放假安排 %(days)d 天；%(moved)d 件办件的办结日期已重算并通知申请人。")
            % {"year": obj.year, "days": result["days"], "moved": result["moved"]},
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
