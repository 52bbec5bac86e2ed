"""The pinned default world every sandbox starts from."""

from __future__ import annotations

from datetime import UTC, datetime

from .model import (
    CHANNEL_CATEGORY,
    EMBED_LINKS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
    Application,
    Channel,
    Guild,
    Member,
    Role,
    User,
)
from .sandbox_state import SandboxState

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES
WORLD_CREATED_AT = datetime(2024, 1, 1, tzinfo=UTC)

# (username, global_name, dms_open)
PEOPLE = [
    ("alice", "Alice Anders", True),
    ("bob", "Bob Baker", True),
    ("carol", "Carol Chen", True),
    ("dave", "Dave Dunn", True),
    ("erin", "Erin Evans", True),
    ("frank", "Frank Foster", True),
    ("grace", "Grace Green", True),
    ("heidi", "Heidi Hill", True),
    ("ivan", "Ivan Ivanov", True),
    ("judy", "Judy Jones", True),
    ("mallory", "Mallory Moss", False),
    ("niaj", "Niaj Nair", True),
    ("oscar", "Oscar Olsen", True),
    ("peggy", "Peggy Park", True),
    ("trent", "Trent Turner", True),
]

# username → (roles, nick) in Sandbox Guild; alice owns it
SANDBOX_MEMBERS = {
    "alice": (["Game Host"], None),
    "bob": (["Game Host", "Player"], "Bobby"),
    "carol": (["Moderator", "Player"], None),
    "dave": (["Player"], None),
    "erin": (["Player"], "Erin the Bold"),
    "frank": ([], None),
    "grace": (["Player"], None),
    "heidi": (["Game Host"], None),
    "ivan": (["Player"], None),
    "judy": ([], None),
    "mallory": (["Player"], None),
    "niaj": (["Player"], None),
}

# username → (roles, nick) in Other Guild; oscar owns it
OTHER_MEMBERS = {
    "oscar": ([], None),
    "peggy": (["Organizer"], None),
    "bob": ([], "Bob B."),
    "trent": ([], None),
}


def default_world() -> SandboxState:
    """Build the default world: the bot, fifteen people and two guilds."""
    state = SandboxState(application=Application(id=0, name="gamesched", bot_user_id=0, owner_id=0))
    app_id, bot_id = state.next_id(), state.next_id()
    state.users[bot_id] = User(id=bot_id, username="gamesched", bot=True)
    for username, global_name, dms_open in PEOPLE:
        user = User(id=state.next_id(), username=username, global_name=global_name, dms_open=dms_open)
        state.users[user.id] = user
    alice = _user_id(state, "alice")
    state.application = Application(
        id=app_id, name="gamesched", bot_user_id=bot_id, owner_id=alice, description="Game night scheduler"
    )

    sandbox = _guild(state, "Sandbox Guild", owner="alice", extra_roles=[("Game Host", 0, 0x2ECC71)])
    _role(state, sandbox, "Player", 0, 0x3498DB)
    _role(state, sandbox, "Moderator", MANAGE_GUILD | MANAGE_MESSAGES, 0xE67E22)
    _channel(state, sandbox, "general")
    games = _channel(state, sandbox, "Games", type=CHANNEL_CATEGORY)
    _channel(state, sandbox, "board-games", parent=games)
    _channel(state, sandbox, "rpg", parent=games)
    _channel(state, sandbox, "archive")
    _add_members(state, sandbox, SANDBOX_MEMBERS)

    other = _guild(state, "Other Guild", owner="oscar", extra_roles=[("Organizer", MANAGE_GUILD, 0x9B59B6)])
    _channel(state, other, "general")
    _channel(state, other, "lobby")
    _add_members(state, other, OTHER_MEMBERS)
    # One custom emoji, so ":dice:" in a game's texts has a guild emoji to become.
    sandbox.emojis[state.next_id()] = "dice"
    return state


def _user_id(state: SandboxState, username: str) -> int:
    user = state.find_user(username)
    assert user is not None, username
    return user.id


def _guild(state: SandboxState, name: str, *, owner: str, extra_roles: list[tuple[str, int, int]]) -> Guild:
    guild = Guild(id=state.next_id(), name=name, owner_id=_user_id(state, owner))
    state.guilds[guild.id] = guild
    # Discord gives @everyone the guild's own id.
    guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=EVERYONE_PERMISSIONS, position=0)
    for role_name, permissions, color in extra_roles:
        _role(state, guild, role_name, permissions, color)
    bot_role = _role(state, guild, "gamesched", BOT_PERMISSIONS, 0)
    bot_role.managed = True
    guild.members[state.application.bot_user_id] = Member(
        user_id=state.application.bot_user_id, roles=[bot_role.id], joined_at=WORLD_CREATED_AT
    )
    return guild


def _role(state: SandboxState, guild: Guild, name: str, permissions: int, color: int) -> Role:
    role = Role(
        id=state.next_id(), name=name, permissions=permissions, position=len(guild.roles), color=color
    )
    guild.roles[role.id] = role
    return role


def _channel(
    state: SandboxState, guild: Guild, name: str, *, type: int = 0, parent: Channel | None = None
) -> Channel:
    channel = Channel(
        id=state.next_id(),
        guild_id=guild.id,
        name=name,
        type=type,
        position=len(guild.channels),
        parent_id=parent.id if parent else None,
    )
    guild.channels[channel.id] = channel
    return channel


def _add_members(state: SandboxState, guild: Guild, members: dict[str, tuple[list[str], str | None]]) -> None:
    role_ids = {role.name: role.id for role in guild.roles.values()}
    for username, (roles, nick) in members.items():
        user_id = _user_id(state, username)
        guild.members[user_id] = Member(
            user_id=user_id, nick=nick, roles=[role_ids[r] for r in roles], joined_at=WORLD_CREATED_AT
        )
