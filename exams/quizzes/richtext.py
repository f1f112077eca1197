"""Question text is Wagtail rich text: whatever enters the bank (the admin editor, an
import) goes through the same whitelist, so scripts, event handlers and foreign markup
never reach a member's page; images are Wagtail images (``<embed embedtype="image">``)."""

from __future__ import annotations

from django.utils.html import escape
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.rich_text import expand_db_html

#: What question text may hold (the editor's toolbar and the whitelist alike).
FEATURES = ["bold", "italic", "ol", "ul", "link", "image", "superscript", "subscript", "code"]


def clean_html(html: str) -> str:
    """``html`` reduced to the whitelist, in Wagtail's database format."""
    if not html or not html.strip():
        return ""
    return EditorHTMLConverter(features=FEATURES).whitelister.clean(html)


def from_plain_text(text: str) -> str:
    """Plain text (an Aiken or Excel cell) as rich text: escaped, one paragraph per line."""
    lines = [escape(line) for line in text.strip().split("\n")]
    return "".join(f"<p>{line}</p>" for line in lines if line.strip()) or ""


def render(html: str) -> str:
    """Database-format rich text as the HTML a member's browser gets."""
    return expand_db_html(html)
