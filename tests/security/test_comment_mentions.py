"""Mentions become links in running text only: inside a link's text or title, or in code, "@name" stays
text (a link in a link, or markup in an attribute, came out as mangled HTML)."""
from __future__ import annotations

import re

from tests.factories import add_to_team, make_team, make_user
from tracker import comments

MENTION_LINK = re.compile(r'<a class="mention" href="/teams/(\d+)/activity\?person=(\d+)"[^>]*>([^<]+)</a>')


def rendered(body: str, members: list) -> str:
    return comments.render_body(body, comments.find_mentions(body, members), team_id=7)


def test_a_mention_in_link_text_and_title_stays_text_and_the_link_is_intact(app):
    manu = make_user("Manu")
    html = rendered('[ask @Manu](https://example.com/q "for @Manu") then @Manu', [manu])
    assert MENTION_LINK.findall(html) == [("7", str(manu.id), "@Manu")]
    [link] = re.findall(r'<a href="https://example.com/q"[^>]*>.*?</a>', html)
    assert 'title="for @Manu"' in link and ">ask @Manu</a>" in link
    assert "MENTION" not in html and html.count("<a ") == 2 and html.count("</a>") == 2


def test_mentions_in_code_stay_text(app):
    manu = make_user("Manu")
    html = rendered("`@Manu` and\n\n```\ncc @Manu\n```\n", [manu])
    assert "<code>@Manu</code>" in html and "cc @Manu\n</code></pre>" in html
    assert MENTION_LINK.findall(html) == [] and "MENTION" not in html


def test_mentions_in_emphasis_lists_and_quotes_still_link(app):
    ana, bo = make_user("Ana Lima"), make_user("Bo")
    add_to_team(make_team(ana), bo)
    html = rendered("> thanks *@Ana Lima*\n\n- @Bo & <b>@bo</b>\n", [ana, bo])
    assert [text for _, _, text in MENTION_LINK.findall(html)] == ["@Ana Lima", "@Bo", "@bo"]
    assert "</a> &amp; " in html and "<script" not in html
    assert "<em><a class=\"mention\"" in html and "<blockquote>" in html


def test_a_hostile_title_around_a_mention_cannot_break_out_of_the_attribute(app):
    manu = make_user("Manu")
    html = rendered('[x](https://example.com "@Manu\\" onmouseover=\\"alert(1)")', [manu])
    assert 'title="@Manu&quot; onmouseover=&quot;alert(1)"' in html and html.count("<a ") == 1
    assert MENTION_LINK.findall(html) == [] and "MENTION" not in html
