"""Members as people see them: display names at render time, and @mention resolution for rosters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from gamesched.core.inputs import parse_snowflake
from gamesched.guilds.directory import UNKNOWN_USER, DiscordDirectory, MemberInfo

MAX_SUGGESTIONS = 5
MAX_PLACEHOLDER_LENGTH = 100
#: How alike (0 to 100, rapidfuzz's WRatio) a name must be to a typed one to be suggested: "@erinn" → erin.
SUGGESTION_SCORE = 75
#: Without the members intent Discord only searches by prefix: suggestions are ranked among the members
#: whose names start like the typed one (this many at most).
SUGGESTION_POOL = 100
_USER_MENTION = re.compile(r"^<@!?([0-9]{15,21})>$")


#: Not frozen: a frozen dataclass sets each field through ``object.__setattr__`` (2.5 µs a member against
#: 0.5), and every read of a game builds one per player. Nothing changes one after it is built.
@dataclass(slots=True)
class MemberDisplay:
    discord_id: int
    display_name: str
    avatar_url: str | None
    present: bool
    #: To tell apart members who show the same name ("Sam (@sam_k)").
    username: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedEntry:
    input: str
    user_id: int | None = None
    placeholder: str | None = None


@dataclass(frozen=True, slots=True)
class InvalidMention:
    input: str
    reason: str
    suggestions: list[MemberInfo] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MentionResolution:
    entries: list[ResolvedEntry]
    invalid: list[InvalidMention]

    @property
    def ok(self) -> bool:
        return not self.invalid


async def display_members(
    directory: DiscordDirectory, guild_id: int, user_ids: Iterable[int]
) -> dict[int, MemberDisplay]:
    """Nick → global name → username; people who left show as "Unknown user"."""
    wanted = list(dict.fromkeys(user_ids))
    found = await directory.members(guild_id, wanted)
    result: dict[int, MemberDisplay] = {}
    for user_id in wanted:
        member = found.get(user_id)
        if member is None:
            result[user_id] = MemberDisplay(user_id, UNKNOWN_USER, None, present=False)
        else:
            result[user_id] = MemberDisplay(
                user_id, member.display_name, member.avatar_url, present=True, username=member.username
            )
    return result


def _names(member: MemberInfo) -> set[str]:
    return {n.casefold() for n in (member.username, member.global_name, member.nick) if n}


async def resolve_mentions(
    directory: DiscordDirectory, guild_id: int, entries: Sequence[str]
) -> MentionResolution:
    """``@name`` must match exactly one member; ``<@id>`` must be a member; text without ``@`` is a placeholder."""
    resolved: list[ResolvedEntry] = []
    invalid: list[InvalidMention] = []
    seen: set[int] = set()
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        member, problem = await _resolve_one(directory, guild_id, entry)
        if problem is not None:
            invalid.append(problem)
        elif member is None:
            resolved.append(ResolvedEntry(entry, placeholder=entry))
        elif member.user_id in seen:
            invalid.append(InvalidMention(entry, f"{member.display_name} is already in the list"))
        else:
            seen.add(member.user_id)
            resolved.append(ResolvedEntry(entry, user_id=member.user_id))
    return MentionResolution(resolved, invalid)


async def _resolve_one(
    directory: DiscordDirectory, guild_id: int, entry: str
) -> tuple[MemberInfo | None, InvalidMention | None]:
    mention = _USER_MENTION.match(entry)
    if mention:
        user_id = parse_snowflake(mention.group(1))
        member = None if user_id is None else await directory.member(guild_id, user_id)
        if member is None:
            return None, InvalidMention(entry, "That user is not a member of this server.")
        return member, None
    if not entry.startswith("@"):
        if "@" in entry:
            return None, InvalidMention(
                entry, "Mentions start with @ (for example @alice); placeholders have no @."
            )
        if len(entry) > MAX_PLACEHOLDER_LENGTH:
            return None, InvalidMention(
                entry, f"Placeholders are at most {MAX_PLACEHOLDER_LENGTH} characters."
            )
        return None, None
    name = entry[1:].strip()
    if not name:
        return None, InvalidMention(entry, "Type a name after the @.")
    candidates = [m for m in await directory.search_members(guild_id, name, limit=25) if not m.bot]
    exact = [m for m in candidates if name.casefold() in _names(m)]
    if len(exact) == 1:
        return exact[0], None
    if len(exact) > 1:
        return None, InvalidMention(
            entry, f"{len(exact)} members are called @{name}; pick one.", exact[:MAX_SUGGESTIONS]
        )
    suggestions = await similar_members(directory, guild_id, name, also=candidates)
    reason = f"No member of this server is called @{name}."
    # "Did you mean" only ever comes with the names it means.
    if suggestions:
        reason += " Did you mean one of these?"
    return None, InvalidMention(entry, reason, suggestions)


async def similar_members(
    directory: DiscordDirectory, guild_id: int, name: str, *, also: Sequence[MemberInfo] = ()
) -> list[MemberInfo]:
    """Members whose username, global name or nick is like ``name`` (typos, a letter too many or too few),
    best first. With the members intent every member is compared; without it, those Discord finds by the
    name's first letters, plus ``also``."""
    pool = {m.user_id: m for m in directory.cached_members(guild_id)}
    if not pool:
        for prefix in dict.fromkeys((name[:2], name[:1])):
            for m in await directory.search_members(guild_id, prefix, limit=SUGGESTION_POOL):
                pool.setdefault(m.user_id, m)
    for m in also:
        pool.setdefault(m.user_id, m)
    people = [m for m in pool.values() if not m.bot]
    choices = [(m, n) for m in people for n in (m.username, m.global_name, m.nick) if n]
    found = process.extract(
        name,
        [n for _, n in choices],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=SUGGESTION_SCORE,
        limit=None,
    )
    best: dict[int, tuple[float, MemberInfo]] = {}
    for _, score, index in found:
        member = choices[index][0]
        if member.user_id not in best or best[member.user_id][0] < score:
            best[member.user_id] = (score, member)
    ranked = sorted(best.values(), key=lambda pair: (-pair[0], pair[1].display_name.casefold()))
    return [member for _, member in ranked[:MAX_SUGGESTIONS]]
