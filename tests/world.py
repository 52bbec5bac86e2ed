"""Finding things in the sandbox's world by name, for readable tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class World:
    raw: dict[str, Any]

    def guild(self, name: str) -> dict[str, Any]:
        return next(g for g in self.raw["guilds"] if g["name"] == name)

    def guild_id(self, name: str = "Sandbox Guild") -> int:
        return int(self.guild(name)["id"])

    def channel_id(self, name: str, guild: str = "Sandbox Guild") -> int:
        return int(next(c["id"] for c in self.guild(guild)["channels"] if c["name"] == name))

    def role_id(self, name: str, guild: str = "Sandbox Guild") -> int:
        return int(next(r["id"] for r in self.guild(guild)["roles"] if r["name"] == name))

    def user_id(self, username: str) -> int:
        return int(next(u["id"] for u in self.raw["users"] if u["username"] == username))


async def fetch_world(base_url: str) -> World:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/sandbox/api/world")
        response.raise_for_status()
        return World(response.json())
