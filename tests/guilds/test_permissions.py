"""Who is a manager, who may host: owner, Administrator, Manage Server, manager roles, host roles."""

from __future__ import annotations

import pytest

from gamesched.guilds.directory import GuildInfo, MemberInfo, RoleInfo
from gamesched.guilds.permissions import ADMINISTRATOR, MANAGE_GUILD, compute_access, member_permissions

GUILD_ID, OWNER, ADMIN_ROLE, MOD_ROLE, HOST_ROLE, PLAYER_ROLE = 100, 1, 200, 201, 202, 203
GUILD = GuildInfo(
    id=GUILD_ID,
    name="Test",
    owner_id=OWNER,
    roles={
        GUILD_ID: RoleInfo(GUILD_ID, "@everyone", 1 << 10),
        ADMIN_ROLE: RoleInfo(ADMIN_ROLE, "Admin", ADMINISTRATOR),
        MOD_ROLE: RoleInfo(MOD_ROLE, "Mod", MANAGE_GUILD),
        HOST_ROLE: RoleInfo(HOST_ROLE, "Game Host", 0),
        PLAYER_ROLE: RoleInfo(PLAYER_ROLE, "Player", 0),
    },
)


def member(user_id: int, *roles: int) -> MemberInfo:
    return MemberInfo(user_id=user_id, username=f"user{user_id}", role_ids=frozenset(roles))


@pytest.mark.parametrize(
    ("who", "manager_roles", "host_roles", "is_manager", "can_host"),
    [
        pytest.param(member(OWNER), [], [], True, True, id="owner is manager"),
        pytest.param(member(2, ADMIN_ROLE), [PLAYER_ROLE], [], True, True, id="administrator always manager"),
        pytest.param(member(3, MOD_ROLE), [], [], True, True, id="manage server without manager roles"),
        pytest.param(
            member(3, MOD_ROLE),
            [PLAYER_ROLE],
            [],
            False,
            False,
            id="manage server does not count once manager roles are set",
        ),
        pytest.param(member(4, PLAYER_ROLE), [PLAYER_ROLE], [], True, True, id="configured manager role"),
        pytest.param(member(5, HOST_ROLE), [], [HOST_ROLE], False, True, id="host role may host"),
        pytest.param(member(5, HOST_ROLE), [], [], False, False, id="no host roles: managers only"),
        pytest.param(member(6), [], [HOST_ROLE], False, False, id="plain member"),
    ],
)
def test_access(
    who: MemberInfo, manager_roles: list[int], host_roles: list[int], is_manager: bool, can_host: bool
) -> None:
    access = compute_access(GUILD, who, manager_role_ids=manager_roles, host_role_ids=host_roles)
    assert (access.is_manager, access.can_host) == (is_manager, can_host)


def test_everyone_role_permissions_apply_to_every_member() -> None:
    assert member_permissions(GUILD, member(9)) == 1 << 10


def test_administrator_implies_every_permission() -> None:
    assert member_permissions(GUILD, member(9, ADMIN_ROLE)) & MANAGE_GUILD
