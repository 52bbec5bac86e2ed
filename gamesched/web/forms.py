"""Reading HTML forms: typed fields with sentences for people, collected per field for inline display."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from gamesched.core.errors import DomainError, Invalid
from gamesched.core.inputs import clean_text, explain, parse_snowflake, too_long

_MSGSPEC_PATH = re.compile(r"at `\$\.([a-z_]+)")


class FormData:
    """A submitted form (single and repeated fields) plus the errors found while reading it."""

    def __init__(self, values: Mapping[str, Any], lists: Mapping[str, list[str]] | None = None) -> None:
        self.values = {k: str(v) for k, v in values.items()}
        self.lists = {k: [str(v) for v in vs] for k, vs in (lists or {}).items()}
        self.errors: dict[str, str] = {}

    @classmethod
    def of(cls, form: Any) -> FormData:
        """From Litestar's FormMultiDict."""
        return cls(
            {k: v for k, v in form.items() if isinstance(v, str)},
            {k: [v for v in form.getall(k) if isinstance(v, str)] for k in form},
        )

    def text(self, name: str, *, max_length: int | None = None, required: str | None = None) -> str:
        """The field cleaned as every user text is (``core.inputs.clean_text``): "" when it is blank."""
        try:
            value = clean_text(self.values.get(name, ""), field=name, what="This field")
        except Invalid as error:
            self.errors[name] = error.message
            return ""
        if required and not value:
            self.errors[name] = required
        elif max_length is not None and len(value) > max_length:
            self.errors[name] = too_long(max_length, len(value))
        return value

    def optional_int(self, name: str, low: int, high: int, what: str) -> int | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = f"{what} must be a whole number."
            return None
        if not low <= value <= high:
            self.errors[name] = f"{what} must be between {low} and {high}."
            return None
        return value

    def int_list(self, name: str, low: int, high: int, what: str, *, max_items: int = 10) -> list[int] | None:
        """ "60, 15" → [60, 15]; empty → None (inherit)."""
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        parts = [p for p in re.split(r"[\s,;]+", raw) if p]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            self.errors[name] = f"{what}: whole numbers separated by commas, e.g. 60, 15."
            return None
        if any(not low <= v <= high for v in values):
            self.errors[name] = f"{what}: each between {low} and {high}."
            return None
        if len(values) > max_items:
            self.errors[name] = f"{what}: at most {max_items}."
            return None
        return sorted(set(values), reverse=True)

    def ids(self, name: str) -> list[str]:
        """Discord ids picked in a list (checkboxes, a select); anything else is an error on the field."""
        picked = [v for v in self.lists.get(name, []) if v]
        if any(parse_snowflake(v) is None for v in picked):
            self.errors[name] = "Pick from the list: one of these is not a Discord id."
            return []
        return picked

    def snowflake(self, name: str, *, required: str) -> int | None:
        """One Discord id (a select's value), or the sentence ``required`` on the field."""
        value = parse_snowflake(self.values.get(name, ""))
        if value is None:
            self.errors[name] = required
        return value

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.values.get(name, "").splitlines() if line.strip()]

    def aware_datetime(self, name: str, *, required: str) -> datetime | None:
        """An ISO 8601 time with an offset, as the page's script fills it in from the local picker."""
        raw = self.values.get(name, "").strip()
        if not raw:
            self.errors[name] = required
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.errors[name] = "Pick a date and time."
            return None
        if value.tzinfo is None:
            self.errors[name] = "Pick a date and time (the page needs JavaScript to convert it)."
            return None
        return value

    def fail(self, error: DomainError | msgspec.ValidationError, default_field: str = "form") -> None:
        """Attach an error from a service (``field``; every problem of ``errors`` on its own field) or from
        msgspec (``at `$.field```) to its field, in words (``core.inputs.explain``)."""
        if isinstance(error, msgspec.ValidationError):
            text = str(error)
            match = _MSGSPEC_PATH.search(text)
            field = match.group(1) if match else default_field
            self.errors.setdefault(field, explain(text, field))
            return
        problems = error.extra.get("errors") or []
        if not problems:
            problems = [{"field": getattr(error, "field", None), "message": error.message}]
        for problem in problems:
            self.errors.setdefault(problem.get("field") or default_field, problem["message"])

    @property
    def ok(self) -> bool:
        return not self.errors
