"""What /api/v1/me answers: the viewer and the guilds they share with the bot."""

from __future__ import annotations

import msgspec


class UserProfile(msgspec.Struct, kw_only=True):
    discord_id: str
    username: str
    global_name: str | None
    display_name: str
    avatar_url: str | None


class MemberGuild(msgspec.Struct, kw_only=True):
    id: str
    name: str
    icon_url: str | None
    is_manager: bool
    can_host: bool


class MeResponse(msgspec.Struct, kw_only=True):
    user: UserProfile
    guilds: list[MemberGuild]
