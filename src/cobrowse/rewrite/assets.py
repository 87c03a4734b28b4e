"""What the agent's asset route serves of a file the visitor's proxy fetched: stylesheets
and SVG images masked as a reader would see them (rewrite.css_mask, rewrite.svg_mask);
fonts and raster images as they are (docs/masking.md, "The agent's asset route")."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass

from cobrowse.core.masking import Pattern
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.css_mask import mask_css
from cobrowse.rewrite.encoding import css_encoding, decode
from cobrowse.rewrite.svg_mask import mask_svg, mask_svg_data_url
from cobrowse.rewrite.urls import UrlMap

__all__ = ["AgentAsset", "mask_agent_asset"]


@dataclass(frozen=True, slots=True)
class AgentAsset:
    body: bytes
    content_type: str


def _mime_and_charset(content_type: str) -> tuple[str, str | None]:
    mime, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                charset = codecs.lookup(value.strip("\"' ")).name
            except LookupError:
                charset = None
    return mime.strip().lower(), charset


def is_svg(mime: str) -> bool:
    """SVG, or any XML an image could be read as (masked the same way, or refused)."""
    return mime == "image/svg+xml" or mime.endswith(("+xml", "/xml"))


def mask_agent_asset(body: bytes, content_type: str, patterns: Sequence[Pattern]) -> AgentAsset:
    """The file as the agent may get it; the content type says how it is now encoded."""
    mime, charset = _mime_and_charset(content_type)
    if not patterns:
        return AgentAsset(body, content_type)
    if mime == "text/css":
        text = decode(body, css_encoding(body, content_type))  # as the browser reads it

        def data_url(url: str) -> str:
            return mask_svg_data_url(url, patterns)

        masked = mask_css(text, patterns, data_url=data_url)
        return AgentAsset(masked.encode(), "text/css; charset=utf-8")
    if is_svg(mime):
        return AgentAsset(mask_svg(body, patterns, charset=charset), "image/svg+xml")
    return AgentAsset(body, content_type)


def for_agent(
    body: bytes, content_type: str, patterns: Sequence[Pattern], urls: UrlMap
) -> AgentAsset:
    """An asset as the agent's mirror is served it: masked, and a stylesheet's URLs
    mapped by `urls` (the asset route; a recording keeps it the same way)."""
    masked = mask_agent_asset(body, content_type, patterns)
    if not masked.content_type.startswith("text/css"):
        return masked
    css = masked.body.decode("utf-8", errors="replace")
    return AgentAsset(rewrite_css(css, urls).encode(), masked.content_type)
