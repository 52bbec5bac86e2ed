"""Mentions as Discord resolves them: `allowed_mentions` checked like Discord, and who a message pings.

https://discord.com/developers/docs/resources/message#allowed-mentions-object

- Validation (400 Invalid Form Body, 50035): `parse` holds only "everyone", "roles", "users", each once;
  `users` and `roles` hold at most 100 snowflakes, each once; `parse: ["users"]` with a non-empty `users` list
  (or the same for roles) is MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE on `allowed_mentions` itself.
- Without `allowed_mentions`, a channel message parses every kind; interaction responses, followups and
  webhooks parse only users (Discord's documented defaults). Ids listed in `users`/`roles` ping only when
  the content mentions them.
- A role mention pings when the role is mentionable or the author has MENTION_EVERYONE in the channel;
  @everyone and @here ping only with MENTION_EVERYONE (and `everyone` allowed). A user mention pings a member
  of the channel's guild (in a DM: its recipient). Mentions in embeds never ping.
- The result fills the message object's `mentions`, `mention_roles` and `mention_everyone`; an edit that
  changes the content computes them again from its own `allowed_mentions` (or the defaults), as on Discord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import form
from .model import MENTION_EVERYONE, Channel
from .sandbox_state import SandboxState

PARSE_TYPES = ("everyone", "roles", "users")
MAX_IDS = 100
#: What is parsed when a request has no `allowed_mentions`.
PARSE_ALL = frozenset(PARSE_TYPES)
PARSE_USERS = frozenset({"users"})

USER_MENTION = re.compile(r"<@!?([0-9]{1,20})>")
ROLE_MENTION = re.compile(r"<@&([0-9]{1,20})>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)\b")


@dataclass
class Mentions:
    """Who a message pings: users, roles, and whether @everyone/@here went out."""

    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    everyone: bool = False


def check_allowed_mentions(value: Any, errors: form.Errors) -> None:
    """Record what is wrong with a request's `allowed_mentions` (absent or null is fine)."""
    if value is None:
        return
    path: form.Path = ["allowed_mentions"]
    if not form.is_object(value, errors, path):
        return
    found: form.Errors = {}
    parse = _unique_list(value.get("parse"), found, ["parse"], limit=None, item=_parse_type)
    users = _unique_list(value.get("users"), found, ["users"], limit=MAX_IDS, item=_snowflake)
    roles = _unique_list(value.get("roles"), found, ["roles"], limit=MAX_IDS, item=_snowflake)
    replied = value.get("replied_user")
    if replied is not None and not isinstance(replied, bool):
        form.put(found, ["replied_user"], form.error("BASE_TYPE_BOOLEAN", "Must be either true or false."))
    if not found:
        for kind, ids in (("users", users), ("roles", roles)):
            if kind in parse and ids:
                message = f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.'
                form.put(found, [], form.error("MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", message))
    for key, child in found.items():
        errors.setdefault("allowed_mentions", {})[key] = child


def _parse_type(value: Any) -> form.Errors | None:
    if isinstance(value, str) and value in PARSE_TYPES:
        return None
    choices = ", ".join(f"'{t}'" for t in PARSE_TYPES)
    return form.error("BASE_TYPE_CHOICES", f"Value must be one of {{{choices}}}.")


def _snowflake(value: Any) -> form.Errors | None:
    return None if form.is_snowflake(value) else form.not_snowflake(value)


def _unique_list(
    value: Any, errors: form.Errors, path: form.Path, *, limit: int | None, item: Any
) -> list[str]:
    """A list field whose items are checked by `item` and must not repeat; its items as strings."""
    if value is None:
        return []
    if not form.is_list(value, errors, path):
        return []
    if limit is not None and len(value) > limit:
        form.put(errors, path, form.too_long(limit))
        return []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        problem = item(entry)
        if problem is not None:
            form.put(errors, [*path, index], problem)
        elif str(entry) in seen:
            form.put(
                errors,
                [*path, index],
                form.error("SET_TYPE_ALREADY_CONTAINS_VALUE", "The set already contains this value"),
            )
        seen.add(str(entry))
    return [str(entry) for entry in value]


def resolve_mentions(
    state: SandboxState,
    channel: Channel | None,
    author_id: int,
    content: str,
    allowed: dict[str, Any] | None,
    *,
    default_parse: frozenset[str] = PARSE_ALL,
) -> Mentions:
    """Who `content` pings when `author_id` posts it in `channel` with these (already valid) allowed mentions."""
    if allowed is None:
        parse, listed_users, listed_roles = default_parse, set(), set()
    else:
        parse = frozenset(allowed.get("parse") or [])
        listed_users = {int(u) for u in allowed.get("users") or []}
        listed_roles = {int(r) for r in allowed.get("roles") or []}
    if channel is None or not content:
        return Mentions()
    guild = state.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    can_mention_everyone = bool(
        guild is not None and state.channel_permissions(channel.id, author_id) & MENTION_EVERYONE
    )
    found = Mentions()
    for raw in USER_MENTION.findall(content):
        user_id = int(raw)
        reachable = user_id in guild.members if guild is not None else user_id == channel.recipient_id
        if ("users" in parse or user_id in listed_users) and reachable and user_id not in found.users:
            found.users.append(user_id)
    if guild is not None:
        for raw in ROLE_MENTION.findall(content):
            role = guild.roles.get(int(raw))
            if role is None or role.id == guild.id or role.id in found.roles:
                continue
            allowed_here = "roles" in parse or role.id in listed_roles
            if allowed_here and (role.mentionable or can_mention_everyone):
                found.roles.append(role.id)
        found.everyone = bool(
            "everyone" in parse and can_mention_everyone and EVERYONE_MENTION.search(content)
        )
    return found
