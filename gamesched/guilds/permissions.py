"""Who may do what in a guild, computed from the bot's view of the member and the guild's roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gamesched.guilds.directory import GuildInfo, MemberInfo

ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 53) - 1


@dataclass(frozen=True, slots=True)
class GuildAccess:
    """A member's standing in one guild (only ever built for members: non-members get 404 before this)."""

    guild_id: int
    user_id: int
    member: MemberInfo
    is_owner: bool
    permissions: int
    is_manager: bool
    #: In the channel asked about; without one, in at least one channel open for games.
    can_host: bool
    #: The host roles that count where ``can_host`` was worked out (empty: only managers may host there).
    host_role_ids: frozenset[int] = frozenset()

    @property
    def role_ids(self) -> frozenset[int]:
        return self.member.role_ids

    @property
    def is_admin(self) -> bool:
        return self.is_owner or bool(self.permissions & ADMINISTRATOR)

    @property
    def can_manage_channels(self) -> bool:
        return self.is_admin or bool(self.permissions & MANAGE_CHANNELS) or self.is_manager

    def has_any_role(self, role_ids: Iterable[int]) -> bool:
        return not self.member.role_ids.isdisjoint(role_ids)


def member_permissions(guild: GuildInfo, member: MemberInfo) -> int:
    """Discord's base permissions: @everyone (role id = guild id) OR'ed with the member's roles."""
    if member.user_id == guild.owner_id:
        return ALL_PERMISSIONS
    bits = 0
    for role_id in {guild.id, *member.role_ids}:
        role = guild.roles.get(role_id)
        if role is not None:
            bits |= role.permissions
    return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits


def compute_access(
    guild: GuildInfo,
    member: MemberInfo,
    *,
    manager_role_ids: Iterable[int],
    host_role_ids: Iterable[int],
) -> GuildAccess:
    """Managers: the owner, Administrator, and holders of a manager role — or Manage Server when no manager
    roles are configured. Hosts: managers, and holders of an allowed host role."""
    host_roles = frozenset(host_role_ids)
    permissions = member_permissions(guild, member)
    is_owner = member.user_id == guild.owner_id
    manager_roles = set(manager_role_ids)
    admin = is_owner or bool(permissions & ADMINISTRATOR)
    if manager_roles:
        is_manager = admin or not member.role_ids.isdisjoint(manager_roles)
    else:
        is_manager = admin or bool(permissions & MANAGE_GUILD)
    can_host = is_manager or not member.role_ids.isdisjoint(host_roles)
    return GuildAccess(
        guild_id=guild.id,
        user_id=member.user_id,
        member=member,
        is_owner=is_owner,
        permissions=permissions,
        is_manager=is_manager,
        can_host=can_host,
        host_role_ids=host_roles,
    )
