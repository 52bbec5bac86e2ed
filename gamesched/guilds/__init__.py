"""Guilds: what the bot sees of each Discord server, its settings, and who may do what there."""

from gamesched.guilds.bot_access import (
    ANNOUNCEMENT_PERMISSIONS,
    permission_labels,
    spoken_list,
    what_to_grant,
)
from gamesched.guilds.calendar_feeds import FEED_NOT_FOUND, FEED_PATH, CalendarFeeds
from gamesched.guilds.directory import (
    UNKNOWN_USER,
    ChannelInfo,
    DiscordDirectory,
    GuildInfo,
    MemberInfo,
    RoleInfo,
)
from gamesched.guilds.members import InvalidMention, MemberDisplay, MentionResolution, ResolvedEntry
from gamesched.guilds.module import register
from gamesched.guilds.page_context import GuildLink, Page, names_for, page_for, provide_page
from gamesched.guilds.permissions import GuildAccess
from gamesched.guilds.projection import ProjectedDirectory
from gamesched.guilds.service import GuildService
from gamesched.guilds.settings import EffectiveSettings, Setting, resolve_settings
from gamesched.guilds.sharded import ShardedDirectory
from gamesched.guilds.templates import TemplateChoice, TemplateService

__all__ = [
    "ANNOUNCEMENT_PERMISSIONS",
    "FEED_NOT_FOUND",
    "FEED_PATH",
    "UNKNOWN_USER",
    "CalendarFeeds",
    "ChannelInfo",
    "DiscordDirectory",
    "EffectiveSettings",
    "GuildAccess",
    "GuildInfo",
    "GuildLink",
    "GuildService",
    "InvalidMention",
    "MemberDisplay",
    "MemberInfo",
    "MentionResolution",
    "Page",
    "ProjectedDirectory",
    "ResolvedEntry",
    "RoleInfo",
    "Setting",
    "ShardedDirectory",
    "TemplateChoice",
    "TemplateService",
    "names_for",
    "page_for",
    "permission_labels",
    "provide_page",
    "register",
    "resolve_settings",
    "spoken_list",
    "what_to_grant",
]
