"""Which members a REQUEST_GUILD_MEMBERS (op 8) asks for: by ids, or by a name prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..state.sandbox_state import SandboxState

MAX_QUERY_RESULTS = 100


def select_members(
    state: SandboxState, guild_id: int, query: str | None, user_ids: list[int], limit: int
) -> tuple[list[Any], list[int]]:
    guild = state.guilds[guild_id]
    if user_ids:
        found = [guild.members[u] for u in user_ids if u in guild.members]
        return found, [u for u in user_ids if u not in guild.members]
    members = list(guild.members.values())
    if query:
        prefix = query.lower()
        members = [m for m in members if matches(state, guild_id, m.user_id, prefix)]
        limit = min(limit or MAX_QUERY_RESULTS, MAX_QUERY_RESULTS)
    return (members[:limit] if limit else members), []


def matches(state: SandboxState, guild_id: int, user_id: int, prefix: str) -> bool:
    user = state.users[user_id]
    names = [user.username, user.global_name or "", state.member_display_name(guild_id, user_id)]
    return any(name.lower().startswith(prefix) for name in names)
