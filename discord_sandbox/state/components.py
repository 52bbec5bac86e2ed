"""Message and modal components as Discord checks them: which types go where, buttons, selects, ids."""

from __future__ import annotations

from typing import Any

from . import form
from .form import Errors, Path

ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER, LABEL = (
    9,
    10,
    11,
    12,
    13,
    14,
    17,
    18,
)
SELECTS = (STRING_SELECT, 5, 6, 7, 8)
ROW_ITEMS = (BUTTON, *SELECTS)
#: What a container may hold, by container; v2 is a message with the IS_COMPONENTS_V2 flag.
TOP_LEVEL = (ACTION_ROW,)
TOP_LEVEL_V2 = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER)
IN_CONTAINER = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR)
IN_SECTION, SECTION_ACCESSORY = (TEXT_DISPLAY,), (BUTTON, THUMBNAIL)
MODAL_TOP_LEVEL = (ACTION_ROW, TEXT_DISPLAY, LABEL)
BUTTON_STYLES = (1, 2, 3, 4, 5, 6)
LINK, PREMIUM = 5, 6
TEXT_INPUT_STYLES = (1, 2)
MAX_ROWS, MAX_ROWS_V2, MAX_ROW_ITEMS = 5, 40, 5
MAX_CUSTOM_ID, MAX_LABEL, MAX_PLACEHOLDER = 100, 80, 150
MAX_SELECT_OPTIONS, MAX_OPTION_TEXT, MAX_VALUES = 25, 100, 25
MAX_INPUT_LABEL, MAX_INPUT_LENGTH = 45, 4000
MAX_TEXT_DISPLAY = 4000


class _Check:
    """One walk over a component tree, collecting errors and the custom ids seen."""

    def __init__(self, errors: Errors, *, modal: bool = False) -> None:
        self.errors = errors
        self.modal = modal
        self.custom_ids: set[str] = set()

    def children(self, items: Any, where: Path, allowed: tuple[int, ...], *, low: int, high: int) -> None:
        if not form.is_list(items, self.errors, where):
            return
        if not low <= len(items) <= high:
            form.put(self.errors, where, form.bad_length(low, high) if low else form.too_long(high))
            return
        for index, item in enumerate(items):
            self.component(item, [*where, index], allowed)

    def component(self, item: Any, where: Path, allowed: tuple[int, ...]) -> None:
        if not form.is_object(item, self.errors, where):
            return
        kind = item.get("type")
        if kind not in allowed:
            form.put(self.errors, [*where, "type"], form.union_choices(allowed))
            return
        if item.get("id") is not None:
            form.integer(item["id"], self.errors, [*where, "id"], low=0, high=2**31 - 1)
        if kind == ACTION_ROW:
            self.row(item, where)
        elif kind == BUTTON:
            self.button(item, where)
        elif kind in SELECTS:
            self.select(item, where)
        elif kind == TEXT_INPUT:
            self.text_input(item, where)
        elif kind == TEXT_DISPLAY:
            form.text(item.get("content"), self.errors, [*where, "content"], limit=MAX_TEXT_DISPLAY, low=1)
        elif kind == SECTION:
            self.children(item.get("components"), [*where, "components"], IN_SECTION, low=1, high=3)
            self.component(item.get("accessory"), [*where, "accessory"], SECTION_ACCESSORY)
        elif kind == CONTAINER:
            self.children(
                item.get("components"), [*where, "components"], IN_CONTAINER, low=1, high=MAX_ROWS_V2
            )
        elif kind == LABEL:
            form.text(item.get("label"), self.errors, [*where, "label"], limit=MAX_INPUT_LABEL, low=1)
            self.component(item.get("component"), [*where, "component"], (TEXT_INPUT, *SELECTS))

    def row(self, row: dict[str, Any], where: Path) -> None:
        items = row.get("components")
        listed = items if isinstance(items, list) else []
        wide = any(isinstance(i, dict) and i.get("type") in (*SELECTS, TEXT_INPUT) for i in listed)
        if wide and len(listed) > 1:
            form.put(
                self.errors,
                [*where, "components"],
                form.error(
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
                ),
            )
            return
        kinds = (TEXT_INPUT,) if self.modal else ROW_ITEMS
        self.children(items, [*where, "components"], kinds, low=1, high=MAX_ROW_ITEMS)

    def custom_id(self, item: dict[str, Any], where: Path) -> None:
        if item.get("custom_id") is None:
            form.put(self.errors, [*where, "custom_id"], form.required())
            return
        found = form.text(item["custom_id"], self.errors, [*where, "custom_id"], limit=MAX_CUSTOM_ID, low=1)
        if found in self.custom_ids:
            form.put(
                self.errors,
                [*where, "custom_id"],
                form.error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            )
        self.custom_ids.add(found)

    def button(self, item: dict[str, Any], where: Path) -> None:
        style = item.get("style")
        if style not in BUTTON_STYLES:
            form.put(self.errors, [*where, "style"], form.choices(BUTTON_STYLES))
            return
        form.text(item.get("label"), self.errors, [*where, "label"], limit=MAX_LABEL)
        exclusive = form.error(
            "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE",
            "A custom id and url cannot both be specified",
        )
        if style == LINK:
            if item.get("custom_id") is not None:
                form.put(self.errors, [*where, "custom_id"], exclusive)
            if not item.get("url"):
                form.put(self.errors, [*where, "url"], form.required())
            else:
                form.url(item["url"], self.errors, [*where, "url"], schemes=form.LINK_SCHEMES, limit=512)
        elif style == PREMIUM:
            if not item.get("sku_id"):
                form.put(self.errors, [*where, "sku_id"], form.required())
        else:
            if item.get("url") is not None:
                form.put(self.errors, [*where, "url"], exclusive)
            self.custom_id(item, where)

    def select(self, item: dict[str, Any], where: Path) -> None:
        self.custom_id(item, where)
        form.text(item.get("placeholder"), self.errors, [*where, "placeholder"], limit=MAX_PLACEHOLDER)
        for key, low in (("min_values", 0), ("max_values", 1)):
            if item.get(key) is not None:
                form.integer(item[key], self.errors, [*where, key], low=low, high=MAX_VALUES)
        if item.get("type") != STRING_SELECT:
            return
        options = item.get("options")
        if options is None:
            form.put(self.errors, [*where, "options"], form.required())
            return
        self.children_options(options, [*where, "options"])

    def children_options(self, options: Any, where: Path) -> None:
        if not form.is_list(options, self.errors, where):
            return
        if not 1 <= len(options) <= MAX_SELECT_OPTIONS:
            form.put(self.errors, where, form.bad_length(1, MAX_SELECT_OPTIONS))
        for index, option in enumerate(options):
            if not form.is_object(option, self.errors, [*where, index]):
                continue
            for key in ("label", "value"):
                form.text(option.get(key), self.errors, [*where, index, key], limit=MAX_OPTION_TEXT, low=1)
            form.text(
                option.get("description"), self.errors, [*where, index, "description"], limit=MAX_OPTION_TEXT
            )

    def text_input(self, item: dict[str, Any], where: Path) -> None:
        self.custom_id(item, where)
        if item.get("style") not in TEXT_INPUT_STYLES:
            form.put(self.errors, [*where, "style"], form.choices(TEXT_INPUT_STYLES))
        if item.get("label") is not None:
            form.text(item["label"], self.errors, [*where, "label"], limit=MAX_INPUT_LABEL, low=1)
        for key in ("min_length", "max_length"):
            if item.get(key) is not None:
                form.integer(item[key], self.errors, [*where, key], low=0, high=MAX_INPUT_LENGTH)


def check_message_components(rows: Any, errors: Errors, *, v2: bool) -> None:
    """Record what is wrong with a message's `components` (action rows, or the v2 layout)."""
    if rows is None:
        return
    allowed, high = (TOP_LEVEL_V2, MAX_ROWS_V2) if v2 else (TOP_LEVEL, MAX_ROWS)
    _Check(errors).children(rows, ["components"], allowed, low=0, high=high)


def check_modal_components(rows: Any, errors: Errors) -> None:
    """Record what is wrong with a modal's `components` (rows of one text input, labels, text)."""
    _Check(errors, modal=True).children(rows, ["components"], MODAL_TOP_LEVEL, low=1, high=MAX_ROWS)


#: Fields Discord fills in when it stores a component without them.
DEFAULTS: dict[int, dict[str, Any]] = {
    **{kind: {"min_values": 1, "max_values": 1} for kind in SELECTS},
    CONTAINER: {"accent_color": None, "spoiler": False},
    SEPARATOR: {"spacing": 1, "divider": True},
    THUMBNAIL: {"description": None, "spoiler": False},
}


def stored_components(components: list[Any]) -> list[Any]:
    """The components as Discord stores them: defaults filled in, and every one with a numeric `id`,
    counting up in tree order past the ids the sender chose."""
    taken = {item["id"] for item in _walk(components) if isinstance(item.get("id"), int)}
    counter = 0
    for item in _walk(components):
        for key, value in DEFAULTS.get(item.get("type") or 0, {}).items():
            item.setdefault(key, value)
        if not isinstance(item.get("id"), int):
            counter += 1
            while counter in taken:
                counter += 1
            item["id"] = counter
    return components


def _walk(items: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        found.append(item)
        found += _walk(item.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(item.get(key), dict):
                found += _walk([item[key]])
    return found
