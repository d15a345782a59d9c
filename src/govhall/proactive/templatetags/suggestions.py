"""The workspace's 推荐办理 panel, from the app that makes the suggestions."""

from __future__ import annotations

from typing import Any

from django import template

from govhall.proactive import suggestions

register = template.Library()


@register.inclusion_tag("proactive/_suggestions.html", takes_context=True)
def suggestion_panel(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    shown = suggestions.suggestions_for(user)
    suggestions.count_shown(shown)
    return {
        "suggestions": shown,
        "personalised": suggestions.is_personalised(user),
        "csrf_token": context.get("csrf_token"),
    }
