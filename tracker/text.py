"""Markdown rendering for descriptions and comments, sanitised so no user text can run script."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}

# CommonMark (fenced code included) plus tables. markdown-it-py runs in time linear in the input,
# also on the inputs that made Python-Markdown quadratic (12,000 "[" took ~30 s to render), and
# stops nesting at a fixed depth (20; what is nested deeper is left out). Raw HTML is passed inline
# only, as Python-Markdown did, so that nh3 decides what stays (a line starting with "<script>" would
# otherwise swallow the Markdown after it as an HTML block), and every link reaches nh3, which keeps
# only the URL schemes below (a javascript: link stays a link, without its href).
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table").disable("html_block")
_PARSER.validateLink = lambda url: True


def render_markdown(source: str) -> Markup:
    """Markdown to sanitised HTML: raw HTML in the source is escaped, then nh3 keeps only safe tags."""
    clean = nh3.clean(
        _PARSER.render(source or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # Block-level HTML in the source, rendered inline, leaves empty paragraphs around it.
    # Markup of sanitised HTML: nh3, an allow-list sanitiser, cleaned it just above.
    return Markup(clean.replace("<p></p>", "").strip())  # nosec B704
