"""The forms of the rating pages and the rectification desk; they read the post, the actions judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.lib.forms import Form
from govhall.ratings.constants import INDICATORS_BY_CHANNEL, Channel, Indicator, RatingLevel, RectificationAction
from govhall.ratings.queries import list_reasons

SCORES = [("", _("不评分")), *[(str(n), str(n)) for n in range(5, 0, -1)]]
YES_NO = [("yes", _("是")), ("no", _("否"))]


class RatingForm(Form):
    """The level, the channel's indicators (1-5, optional), the reasons of a bad rating and free text."""

    level = forms.ChoiceField(label=_("您对本次服务的总体评价"), choices=RatingLevel.choices, widget=forms.RadioSelect)
    reasons = forms.MultipleChoiceField(
        label=_("不满意的原因（评价为不满意或非常不满意时必选）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("具体意见或建议"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("请写明遇到的问题，便于我们整改；不要填写身份证号等个人信息。"),
    )

    def __init__(self, *args: Any, channel: str = Channel.ONLINE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reasons = self.fields["reasons"]
        assert isinstance(reasons, forms.MultipleChoiceField)
        reasons.choices = [(reason.code, reason.label) for reason in list_reasons()]
        labels = dict(Indicator.choices)
        for indicator in INDICATORS_BY_CHANNEL[Channel(channel)]:
            if indicator == Indicator.OVERALL:
                continue  # the level is the overall score
            self.fields[f"score_{indicator}"] = forms.ChoiceField(
                label=labels[indicator], choices=SCORES, required=False
            )

    def scores(self) -> dict[str, str]:
        return {
            name.removeprefix("score_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("score_") and value
        }


class HotlineRatingForm(RatingForm):
    """A 12345 hotline rating entered by staff: the case's number and the work order's."""

    case_reference = forms.CharField(label=_("办件编号"), max_length=60)
    hotline_number = forms.CharField(label=_("12345工单编号"), max_length=40)
    field_order = ["case_reference", "hotline_number", "level"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, channel=Channel.HOTLINE, **kwargs)
        self.fields["level"].label = _("评价人在热线中给出的评价")


def _yes_no(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect)


class ClassifyForm(Form):
    title = _("分类认定")
    is_reasonable = _yes_no(_("差评是否合理"))
    is_true = _yes_no(_("反映的问题是否属实"))
    is_malicious = _yes_no(_("是否疑似恶意差评"))
    note = forms.CharField(label=_("分类意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(Form):
    title = _("交办整改")
    handler = forms.ChoiceField(label=_("整改责任人"), help_text=_("本单位工作人员；被评价的工作人员本人不能处理。"))
    note = forms.CharField(label=_("交办意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, candidates: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handler = self.fields["handler"]
        assert isinstance(handler, forms.ChoiceField)
        handler.choices = [(user.username, user.full_name or user.username) for user in candidates or []]


class InstructForm(Form):
    title = _("领导批示")
    instruction = forms.CharField(label=_("批示内容"), widget=forms.Textarea(attrs={"rows": 2}))


class StartForm(Form):
    title = _("开始整改")
    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(Form):
    title = _("上传整改材料")
    file = forms.FileField(label=_("整改佐证材料"), help_text=_("PDF、JPG 或 PNG 文件。"))


class ExplainForm(Form):
    title = _("情况说明（无过错）")
    explanation = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(Form):
    title = _("申诉恶意差评")
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideAppealForm(Form):
    title = _("审核申诉")
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("remove", _("认定为恶意差评，撤销该差评")), ("uphold", _("维持差评，继续整改"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(Form):
    title = _("记录回访")
    note = forms.CharField(label=_("回访记录"), widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.CharField(
        label=_("告知评价人的整改结果"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("办结时将以消息告知评价人，评价人可以再追加评价一次。"),
    )


class CloseForm(Form):
    title = _("办结")
    note = forms.CharField(label=_("办结意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


A = RectificationAction
DESK_FORMS: dict[str, type[Form]] = {
    A.CLASSIFY: ClassifyForm,
    A.ASSIGN: AssignForm,
    A.INSTRUCT: InstructForm,
    A.START: StartForm,
    A.EVIDENCE: EvidenceForm,
    A.EXPLAIN: ExplainForm,
    A.APPEAL: AppealForm,
    A.DECIDE_APPEAL: DecideAppealForm,
    A.FOLLOW_UP: FollowUpForm,
    A.CLOSE: CloseForm,
}
