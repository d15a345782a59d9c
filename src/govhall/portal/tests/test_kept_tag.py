"""``{% kept %}``: the frame rendered once per its keys says what rendering it afresh says, to every visitor."""

from __future__ import annotations

import re

import pytest

from django.template import Context, Engine, TemplateSyntaxError
from django.test import Client
from django.utils import translation

from govhall.identity import actions
from govhall.identity.models import Department, User
from govhall.portal.templatetags import pages

PASSWORD = "Test#Pass2026"

KEPT = """{% load i18n pages %}{% kept kind %}<nav>{% translate "退出" %} {% if kind == 'staff' %}<a>admin</a>{% endif %}
{% hole %}<b>{{ name }}</b>{% endhole %} [{{ kind }}] {% hole %}{% csrf_token %}{% endhole %}</nav>{% endkept %}|{{ name }}"""


def _engine() -> Engine:
    return Engine(
        libraries={"i18n": "govhall.portal.templatetags.translations", "pages": "govhall.portal.templatetags.pages"}
    )


def _afresh(source: str) -> str:
    """The same template without its kept blocks and holes: what every render would give unkept."""
    return re.sub(r"{% (end)?(kept|hole)[^%]*%}", "", source)


def test_a_kept_block_says_what_rendering_afresh_says_for_each_key_and_each_hole() -> None:
    kept, afresh = _engine().from_string(KEPT), _engine().from_string(_afresh(KEPT))
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language):
            for kind, name, token in [
                ("staff", "林建波", "a" * 64),
                ("applicant", "陈爱丽", "b" * 64),
                ("staff", "<王>", "c" * 64),
            ]:
                values = {"kind": kind, "name": name, "csrf_token": token}
                text = kept.render(Context(values))
                assert text == afresh.render(Context(values))
                assert token in text and ("<a>admin</a>" in text) == (kind == "staff")
    # The name is escaped inside a hole as anywhere else:
    assert "&lt;王&gt;" in text and "<王>" not in text
    node = next(n for n in kept.nodelist if isinstance(n, pages.KeptNode))
    assert len(node._kept) == 4  # two kinds in two languages: the holes are not part of any key


def test_a_key_that_is_not_a_small_set_of_values_does_not_grow_the_process() -> None:
    template = _engine().from_string("{% load pages %}{% kept number %}{{ number }}{% endkept %}")
    node = next(n for n in template.nodelist if isinstance(n, pages.KeptNode))
    for number in range(pages.KEPT_PER_BLOCK * 3):
        assert template.render(Context({"number": number})) == str(number)
    assert len(node._kept) <= pages.KEPT_PER_BLOCK


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% kept %}{% block nav %}x{% endblock %}{% endkept %}", "{% block %} inside {% kept %}"),
        ("{% kept %}<form>{% csrf_token %}</form>{% endkept %}", "must be in a {% hole %}"),
        (
            "{% kept %}{% if x %}{% kept %}{% hole %}{{ x }}{% endhole %}{% endkept %}{% endif %}{% endkept %}",
            "inside {% kept %}",
        ),
        ("{% kept %}{% for x in xs %}{% hole %}{{ x }}{% endhole %}{% endfor %}{% endkept %}", "inside a {% for %}"),
        ("{% kept %}{% with x=1 %}{% hole %}{{ x }}{% endhole %}{% endwith %}{% endkept %}", "inside a {% for %}"),
    ],
)
def test_what_would_be_wrong_for_the_next_visitor_is_refused_when_the_template_is_read(
    source: str, message: str
) -> None:
    with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
        _engine().from_string("{% load pages %}" + source)


def _person(name: str, id_number: str, phone: str) -> User:
    return actions.register_applicant(name=name, id_number=id_number, phone=phone, password=PASSWORD)


def _signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_each_visitor_sees_their_own_name_and_forms_on_the_kept_frame(alice: User) -> None:
    other = _person("林秀英", "350205199001010010", "13800000002")
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    pages_seen = {
        who: client.get("/verify/?id=nothing").content.decode()
        for who, client in [("anonymous", anonymous), ("alice", _signed_in(alice)), ("other", _signed_in(other))]
    }
    assert "陈爱丽" in pages_seen["alice"] and "林秀英" not in pages_seen["alice"]
    assert "林秀英" in pages_seen["other"] and "陈爱丽" not in pages_seen["other"]
    assert "个人/企业登录" in pages_seen["anonymous"] and "退出" not in pages_seen["anonymous"]
    assert "我的办事空间" in pages_seen["alice"] and "个人/企业登录" not in pages_seen["alice"]
    tokens = {who: re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) for who, page in pages_seen.items()}
    assert len(tokens["anonymous"]) == 2 and len(tokens["alice"]) == 3  # language, text size (and log out)
    assert not set(tokens["alice"]) & set(tokens["other"])
    # The forms send the visitor back to the page they are on, whatever page kept the frame first:
    assert 'name="next" value="/verify/?id=nothing"' in pages_seen["alice"]
    assert 'name="next" value="/items/"' in _signed_in(alice).get("/items/").content.decode()
    # The language form still works from a kept frame, and the frame then is the other language's:
    english = anonymous.post("/i18n/setlang/", {"language": "en", "next": "/verify/"}, follow=True).content.decode()
    assert '<html lang="en"' in english and 'value="zh-hans" lang="zh-Hans">中文</button>' in english
    assert "个人/企业登录" not in english


@pytest.mark.django_db
def test_the_administration_link_is_only_on_the_frame_of_staff_administrators(
    bob: User, departments: dict[str, Department], settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    admin = actions.create_staff(username="root", full_name="管理员", password=PASSWORD)
    User.objects.filter(pk=admin.pk).update(is_staff=True)

    def desk(username: str) -> str:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.post("/desk/login/", {"username": username, "password": PASSWORD})
        return client.get("/desk/").content.decode()

    clerk_page, admin_page = desk("bob"), desk("root")
    assert "林建波" in clerk_page and "系统管理" not in clerk_page
    assert "管理员" in admin_page and "系统管理" in admin_page
