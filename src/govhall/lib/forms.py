"""The base of every form: accessible labels and a focusable error summary."""

from __future__ import annotations

from typing import Any

from django import forms


class Form(forms.Form):
    """Labels without Django's ASCII colon (a screen reader would read it as part of the name);
    on errors the error summary takes the focus instead of the first field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
