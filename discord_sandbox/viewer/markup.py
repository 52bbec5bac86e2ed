"""Discord's message markup as HTML: mentions, `<t:…>` timestamps and markdown."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from markupsafe import Markup

# Matched against HTML-escaped text, so `<` and `>` appear as entities.
MENTION = re.compile(
    r"&lt;(?:(?P<kind>@!?|@&amp;|#)(?P<id>\d+)|t:(?P<unix>-?\d+)(?::(?P<style>[tTdDfFR]))?"
    r"|a?:(?P<emoji>\w+):\d+)&gt;"
)
MARKDOWN = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__", re.S), r"<u>\1</u>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", re.S), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~", re.S), r"<s>\1</s>"),
]
#: A masked link `[text](https://…)` or a bare http(s) URL, in escaped text: a URL ends at whitespace or at an
#: escaped `<`, `>` or quote (so Discord's `<https://…>` form works), less trailing punctuation.
LINK = re.compile(
    r"\[(?P<label>[^\]\n]+)\]\((?P<target>https?://(?:[^\s()]|\([^\s()]*\))+)\)"
    r"|(?P<url>https?://(?:(?!&lt;|&gt;|&quot;|&#x27;)\S)+)",
    re.IGNORECASE,
)
ANGLED = re.compile(r"&lt;(https?://(?:(?!&lt;|&gt;)\S)+)&gt;", re.IGNORECASE)
TRAILING = ".,;:!?*_~'"
LINK_ATTRS = 'rel="noopener nofollow ugc" target="_blank"'
PLACEHOLDER = re.compile("\x00(\\d+)\x00")
RELATIVE_STEPS = [  # (below this many seconds, singular phrase, unit seconds, plural unit)
    (45, "a few seconds", 1, ""),
    (90, "a minute", 60, "minutes"),
    (45 * 60, "", 60, "minutes"),
    (90 * 60, "an hour", 3600, "hours"),
    (22 * 3600, "", 3600, "hours"),
    (36 * 3600, "a day", 86400, "days"),
    (26 * 86400, "", 86400, "days"),
    (45 * 86400, "a month", 30 * 86400, "months"),
    (320 * 86400, "", 30 * 86400, "months"),
    (548 * 86400, "a year", 365 * 86400, "years"),
]


def relative_time(when: datetime, now: datetime) -> str:
    """Discord's `<t:…:R>` wording: "in 2 hours", "3 minutes ago"."""
    delta = (when - now).total_seconds()
    seconds = abs(delta)
    phrase = ""
    for limit, singular, unit, plural in RELATIVE_STEPS:
        if seconds < limit:
            phrase = singular or f"{round(seconds / unit)} {plural}"
            break
    else:
        phrase = f"{round(seconds / (365 * 86400))} years"
    return f"in {phrase}" if delta > 0 else f"{phrase} ago"


def format_timestamp(when: datetime, style: str, now: datetime) -> str:
    """One of Discord's timestamp styles, in UTC."""
    when = when.astimezone(UTC)
    formats = {
        "t": "%H:%M",
        "T": "%H:%M:%S",
        "d": "%d/%m/%Y",
        "D": "%-d %B %Y",
        "f": "%-d %B %Y %H:%M UTC",
        "F": "%A, %-d %B %Y %H:%M UTC",
    }
    if style == "R":
        return relative_time(when, now)
    return when.strftime(formats.get(style, formats["f"]))


def _markdown(escaped: str) -> str:
    """Links first (kept aside, so emphasis never reaches into a URL), then the emphasis rules."""
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:
        if match["url"] is not None:
            url, rest = _trim(match["url"])
            links.append(f'<a href="{url}" {LINK_ATTRS}>{url}</a>{rest}')
        else:
            links.append(f'<a href="{match["target"]}" {LINK_ATTRS}>{match["label"]}</a>')
        return f"\x00{len(links) - 1}\x00"

    escaped = ANGLED.sub(r"\1", escaped.replace("\x00", ""))  # <https://…> is a link without a preview
    escaped = LINK.sub(keep, escaped)
    for pattern, replacement in MARKDOWN:
        escaped = pattern.sub(replacement, escaped)
    return PLACEHOLDER.sub(lambda m: links[int(m[1])], escaped)


def _trim(url: str) -> tuple[str, str]:
    """A bare URL without the punctuation that ends the sentence around it (a ")" only when unbalanced)."""
    end = len(url)
    while end and (
        url[end - 1] in TRAILING or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))
    ):
        end -= 1
    return url[:end], url[end:]


class MessageMarkup:
    """Turns Discord message text into safe HTML, resolving names through the given lookups."""

    def __init__(
        self,
        *,
        user_name: Callable[[int], str | None],
        role_name: Callable[[int], str | None],
        channel_name: Callable[[int], str | None],
        now: datetime,
    ) -> None:
        self.user_name = user_name
        self.role_name = role_name
        self.channel_name = channel_name
        self.now = now

    def __call__(self, text: str | None) -> Markup:
        """Escape, then apply markdown, mentions, timestamps and line breaks."""
        if not text:
            return Markup("")
        rendered = MENTION.sub(self._mention, _markdown(html.escape(text)))
        return Markup(rendered.replace("\n", "<br>"))

    def _mention(self, match: re.Match[str]) -> str:
        if match["unix"] is not None:
            when = datetime.fromtimestamp(int(match["unix"]), UTC)
            label = format_timestamp(when, match["style"] or "f", self.now)
            return f'<span class="ts" title="{when.isoformat()}">{html.escape(label)}</span>'
        if match["emoji"] is not None:
            return f":{match['emoji']}:"
        kind, target = match["kind"], int(match["id"])
        if kind == "#":
            name = self.channel_name(target)
            return f'<span class="mention">#{html.escape(name or "unknown-channel")}</span>'
        if kind == "@&amp;":
            name = self.role_name(target)
            return f'<span class="mention role">@{html.escape(name or "unknown-role")}</span>'
        name = self.user_name(target)
        return f'<span class="mention">@{html.escape(name or "unknown-user")}</span>'
