"""The desk's case forms: one per case action, each field named as the action's argument.

A form only parses. The action checks the input, so that the page and the API say the same
thing; its ValidationError, keyed by these names, is shown at the field. Which forms a page
offers is ``actions.available_actions_for`` (the rule the actions themselves refuse by).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django_stubs_ext import StrOrPromise

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from govhall.cases.constants import CaseAction, Decision
from govhall.cases.models import Case, Countersign
from govhall.catalog.models import ProcessStep
from govhall.identity.models import Department
from govhall.lib.forms import Form


class DeskForm(Form):
    """A form of one case action; ``arguments()`` gives the action its keyword arguments."""

    action: ClassVar[CaseAction]
    button: ClassVar[StrOrPromise]
    is_main: ClassVar[bool] = False  # the current step's own action, shown first and as the main button
    # A second button that posts the same form to another action (an extension: grant or refuse):
    other_action: ClassVar[CaseAction | None] = None
    other_button: ClassVar[StrOrPromise] = ""

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        # Several forms share the page: each keeps its ids to itself, while the names stay the action's:
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        super().__init__(*args, **kwargs)
        self.case = case
        self.offers_other = False  # the page sets it when the user may also take ``other_action``

    def intro(self) -> str:
        return ""

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _text(label: StrOrPromise, rows: int = 0) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    # Not required here: the action says what is missing, in the same words as on the API:
    return forms.CharField(label=label, required=False, strip=False, widget=widget)


def _choice(label: StrOrPromise, choices: Any) -> forms.ChoiceField:
    # No initial value: a consequential answer is chosen, never pre-selected:
    return forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)


class AcceptForm(DeskForm):
    action = CaseAction.ACCEPT
    button = _("受理")
    is_main = True
    note = _text(_("受理意见"))


class CorrectionForm(DeskForm):
    action = CaseAction.CORRECTION
    button = _("一次性告知补正")
    items = _text(_("需补正的材料（每行一项，一次列全）"), rows=3)

    def arguments(self) -> dict[str, Any]:
        return {"items": self.cleaned_data["items"].splitlines()}


class NotAcceptForm(DeskForm):
    action = CaseAction.NOT_ACCEPT
    button = _("不予受理")
    reason = _text(_("不予受理理由"))
    legal_basis = _text(_("法律依据"))


class CompleteStepForm(DeskForm):
    action = CaseAction.COMPLETE_STEP
    button = _("完成本环节")
    is_main = True
    opinion = _text("", rows=3)

    def __init__(self, *args: Any, step: ProcessStep | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opinion"].label = _("%(step)s意见") % {"step": step.name if step else ""}


class CountersignForm(DeskForm):
    action = CaseAction.COUNTERSIGN
    button = _("发起会签")
    is_main = True
    departments = forms.MultipleChoiceField(
        label=_("请以下部门会签"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = _text(_("会签说明"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Department.objects.filter(parent__isnull=False).exclude(pk=self.case.department_id)
        self.fields["departments"].choices = [(d.code, d.name) for d in units.order_by("sort_order", "code")]  # type: ignore[attr-defined]

    def arguments(self) -> dict[str, Any]:
        codes = self.cleaned_data["departments"]
        return {"departments": list(Department.objects.filter(code__in=codes)), "note": self.cleaned_data["note"]}


class CountersignAnswerForm(DeskForm):
    action = CaseAction.COUNTERSIGN_ANSWER
    button = _("提交会签意见")
    is_main = True
    countersign = forms.IntegerField(widget=forms.HiddenInput, required=False)
    agrees = _choice("", [("yes", _("同意")), ("no", _("不同意"))])
    opinion = _text(_("意见"), rows=2)

    def __init__(self, *args: Any, countersign: Countersign, **kwargs: Any) -> None:
        # One form per asked department on the page, so the ids carry the countersign:
        kwargs.setdefault("auto_id", f"countersign-{countersign.pk}-%s")
        kwargs.setdefault("initial", {"countersign": countersign.pk})
        super().__init__(*args, **kwargs)
        self.answering = countersign
        self.fields["agrees"].label = _("%(department)s会签意见") % {"department": countersign.department.name}

    def arguments(self) -> dict[str, Any]:
        chosen = self.cleaned_data["agrees"]  # the countersign itself is ``answering``, checked by the view
        return {"agrees": {"yes": True, "no": False}.get(chosen), "opinion": self.cleaned_data["opinion"]}


class DecisionForm(DeskForm):
    action = CaseAction.DECIDE
    button = _("作出决定")
    is_main = True
    decision = _choice(_("决定"), Decision.choices)
    reason = _text(_("理由"), rows=3)
    legal_basis = _text(_("法律依据"))


class SpecialEndForm(DeskForm):
    action = CaseAction.SPECIAL_END
    button = _("结束特别程序")
    is_main = True
    note = _text(_("特别程序结果"))


class CloseForm(DeskForm):
    action = CaseAction.CLOSE
    button = _("办结")
    is_main = True


class ExtensionDecisionForm(DeskForm):
    action = CaseAction.EXTENSION_APPROVE
    button = _("批准延期")
    other_action = CaseAction.EXTENSION_REFUSE
    other_button = _("不予延期")
    reason = _text(_("审批意见（不予延期时必填）"), rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "extension-%s")
        super().__init__(*args, **kwargs)

    def intro(self) -> str:
        days = self.case.extension_days
        return ngettext(
            "已申请延期 %(days)s 个工作日，待审批人员批准。", "已申请延期 %(days)s 个工作日，待审批人员批准。", days
        ) % {"days": days}

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class ExtensionRequestForm(DeskForm):
    action = CaseAction.EXTENSION_REQUEST
    button = _("申请延期")
    days = forms.IntegerField(label=_("申请延期（工作日）"), required=False)
    reason = _text(_("延期理由"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs.update(min=1, max=settings.EXTENSION_MAX_DAYS)

    def arguments(self) -> dict[str, Any]:
        return {"days": self.cleaned_data["days"] or 0, "reason": self.cleaned_data["reason"]}


class ForwardForm(DeskForm):
    action = CaseAction.FORWARD
    button = _("报上级审批")
    is_main = True
    opinion = _text(_("本局初审意见（随办件报送上级机关）"), rows=3)


class SpecialStartForm(DeskForm):
    action = CaseAction.SPECIAL_START
    button = _("启动特别程序")
    procedure = _text(_("特别程序（听证、专家评审、检测等，不计入时限）"))

    def arguments(self) -> dict[str, Any]:
        return {"procedure": self.cleaned_data["procedure"], "note": ""}


# In the order the page shows them: the step's own action first, then what may come aside of it:
DESK_FORMS: dict[CaseAction, type[DeskForm]] = {
    form.action: form
    for form in (
        AcceptForm,
        CompleteStepForm,
        CountersignForm,
        CountersignAnswerForm,
        DecisionForm,
        ForwardForm,
        SpecialEndForm,
        CloseForm,
        ExtensionDecisionForm,
        CorrectionForm,
        NotAcceptForm,
        ExtensionRequestForm,
        SpecialStartForm,
    )
}
