"""The sandbox computes channel permissions in Discord's documented order (plain state, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from discord_sandbox import WORLD_FILE_NAME, Sandbox, default_world
from discord_sandbox.state.model import (
    ADMINISTRATOR,
    EMBED_LINKS,
    MANAGE_MESSAGES,
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Overwrite,
)
from discord_sandbox.state.permissions import permission_names
from discord_sandbox.state.sandbox_state import SandboxState


class Names:
    """Ids of the default world by name."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.guild = next(g for g in state.guilds.values() if g.name == "Sandbox Guild")

    def user(self, name: str) -> int:
        found = self.state.find_user(name)
        assert found is not None
        return found.id

    def role(self, name: str) -> int:
        return next(r.id for r in self.guild.roles.values() if r.name == name)

    def channel(self, name: str) -> int:
        return next(c.id for c in self.guild.channels.values() if c.name == name)

    def overwrite(self, channel: str, target: int, kind: int, *, allow: int = 0, deny: int = 0) -> None:
        self.guild.channels[self.channel(channel)].permission_overwrites.append(
            Overwrite(id=target, type=kind, allow=allow, deny=deny)
        )

    def can(self, user: str, channel: str, bits: int) -> bool:
        return self.state.channel_permissions(self.channel(channel), self.user(user)) & bits == bits


@pytest.fixture
def world() -> Names:
    return Names(default_world())


def test_without_overwrites_a_channel_has_the_guild_permissions(world: Names) -> None:
    bot = world.state.application.bot_user_id
    bits = world.state.channel_permissions(world.channel("rpg"), bot)
    assert bits == world.state.permissions_for(world.guild.id, bot)
    assert set(permission_names(bits)) >= {"VIEW_CHANNEL", "SEND_MESSAGES", "EMBED_LINKS", "MANAGE_MESSAGES"}


def test_an_everyone_deny_applies_to_every_role_a_member_has(world: Names) -> None:
    world.overwrite("rpg", world.guild.id, OVERWRITE_ROLE, deny=SEND_MESSAGES)
    assert not world.can("dave", "rpg", SEND_MESSAGES)
    assert not world.can("gamesched", "rpg", SEND_MESSAGES)  # its own role allows it: the channel says no
    assert world.can("dave", "rpg", VIEW_CHANNEL | READ_MESSAGE_HISTORY)
    assert world.can("dave", "general", SEND_MESSAGES)  # other channels are untouched


def test_a_role_allow_beats_the_everyone_deny(world: Names) -> None:
    world.overwrite("rpg", world.guild.id, OVERWRITE_ROLE, deny=SEND_MESSAGES)
    world.overwrite("rpg", world.role("Player"), OVERWRITE_ROLE, allow=SEND_MESSAGES)
    assert world.can("dave", "rpg", SEND_MESSAGES)
    assert not world.can("frank", "rpg", SEND_MESSAGES)  # no Player role


def test_role_overwrites_apply_all_denies_then_all_allows(world: Names) -> None:
    world.overwrite("rpg", world.role("Moderator"), OVERWRITE_ROLE, deny=SEND_MESSAGES)
    world.overwrite("rpg", world.role("Player"), OVERWRITE_ROLE, allow=SEND_MESSAGES)
    assert world.can("carol", "rpg", SEND_MESSAGES)  # Moderator and Player: the allow wins


def test_the_member_overwrite_comes_last(world: Names) -> None:
    world.overwrite("rpg", world.role("Player"), OVERWRITE_ROLE, allow=SEND_MESSAGES)
    world.overwrite("rpg", world.user("carol"), OVERWRITE_MEMBER, deny=SEND_MESSAGES)
    world.overwrite("rpg", world.guild.id, OVERWRITE_ROLE, deny=EMBED_LINKS)
    world.overwrite("rpg", world.user("frank"), OVERWRITE_MEMBER, allow=EMBED_LINKS)
    assert not world.can("carol", "rpg", SEND_MESSAGES)
    assert world.can("dave", "rpg", SEND_MESSAGES)
    assert world.can("frank", "rpg", EMBED_LINKS)
    assert not world.can("dave", "rpg", EMBED_LINKS)


def test_without_view_channel_nothing_is_left(world: Names) -> None:
    world.overwrite("rpg", world.guild.id, OVERWRITE_ROLE, deny=VIEW_CHANNEL, allow=MANAGE_MESSAGES)
    assert world.state.channel_permissions(world.channel("rpg"), world.user("dave")) == 0


def test_without_send_messages_embeds_are_implicitly_denied(world: Names) -> None:
    world.overwrite("rpg", world.user("dave"), OVERWRITE_MEMBER, deny=SEND_MESSAGES, allow=EMBED_LINKS)
    assert not world.can("dave", "rpg", EMBED_LINKS)
    assert world.can("dave", "rpg", VIEW_CHANNEL | READ_MESSAGE_HISTORY)


def test_the_owner_and_administrators_are_never_held_back(world: Names) -> None:
    world.overwrite("rpg", world.user("alice"), OVERWRITE_MEMBER, deny=VIEW_CHANNEL | SEND_MESSAGES)
    world.guild.roles[world.role("Moderator")].permissions |= ADMINISTRATOR
    world.overwrite("rpg", world.role("Moderator"), OVERWRITE_ROLE, deny=VIEW_CHANNEL)
    assert world.can("alice", "rpg", VIEW_CHANNEL | SEND_MESSAGES | MANAGE_MESSAGES)
    assert world.can("carol", "rpg", VIEW_CHANNEL | SEND_MESSAGES)


def test_overwrites_outlive_a_restart(tmp_path: Path) -> None:
    first = Sandbox(world_file=tmp_path / WORLD_FILE_NAME)
    names = Names(first.state)
    names.overwrite("rpg", names.role("gamesched"), OVERWRITE_ROLE, deny=SEND_MESSAGES)
    first.save()

    second = Names(Sandbox(world_file=tmp_path / WORLD_FILE_NAME).state)
    assert not second.can("gamesched", "rpg", SEND_MESSAGES)
    kept = second.guild.channels[second.channel("rpg")].permission_overwrites
    assert kept == [Overwrite(id=second.role("gamesched"), type=OVERWRITE_ROLE, allow=0, deny=SEND_MESSAGES)]
