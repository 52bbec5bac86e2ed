"""The gateway: HELLO, heartbeats, IDENTIFY/READY, RESUME with replay, member chunks, compression."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from ..state import discord_json
from ..state.model import APP_GATEWAY_GUILD_MEMBERS, APP_GATEWAY_MESSAGE_CONTENT, APP_GATEWAY_PRESENCE
from .connection import Connection, receive_text
from .events import (
    ALWAYS,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    VALID_INTENTS,
    guild_create_payload,
    ready_payload,
)
from .member_queries import select_members

if TYPE_CHECKING:
    from ..state.sandbox_state import SandboxState

log = structlog.get_logger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_RESUME = 0, 1, 2, 3, 6
OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 7, 8, 9, 10, 11
CLOSE_UNKNOWN_ERROR, CLOSE_UNKNOWN_OPCODE, CLOSE_DECODE_ERROR = 4000, 4001, 4002
CLOSE_NOT_AUTHENTICATED, CLOSE_AUTH_FAILED, CLOSE_ALREADY_AUTHENTICATED = 4003, 4004, 4005
CLOSE_SESSION_TIMED_OUT, CLOSE_INVALID_INTENTS, CLOSE_DISALLOWED_INTENTS = 4009, 4013, 4014
CLOSE_INVALID_SHARD, CLOSE_SHARDING_REQUIRED = 4010, 4011
#: A client that closes with these codes is done with its session: it cannot be resumed.
FINAL_CLIENT_CLOSES = (1000, 1001)
#: Each privileged intent and the application flag that allows it.
PRIVILEGED = {
    INTENT_GUILD_MEMBERS: APP_GATEWAY_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES: APP_GATEWAY_PRESENCE,
    INTENT_MESSAGE_CONTENT: APP_GATEWAY_MESSAGE_CONTENT,
}
DEFAULT_BOT_TOKEN = "sandbox-bot-token"
HEARTBEAT_INTERVAL_MS = 41_250
#: A connection whose client has not heartbeated for this many intervals is closed (4009).
HEARTBEAT_GRACE = 1.5
#: A disconnected session can be resumed for this long.
RESUME_WINDOW_SECONDS = 180.0
RESUME_BUFFER = 5_000  # events kept per session for replay on RESUME
MAX_IDLE_SESSIONS = 20  # disconnected sessions kept resumable
CHUNK_SIZE = 1_000
#: GET /gateway/bot's session start limit: IDENTIFYs allowed per day, and how many may start at once.
SESSION_STARTS_PER_DAY = 1_000
SESSION_START_WINDOW_SECONDS = 86_400.0
#: Events about a guild whose payload names it as ``id`` (every other guild event says ``guild_id``).
GUILD_ID_AS_ID = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int, count: int) -> int:
    """The shard that receives a guild's events, as Discord routes them."""
    return (guild_id >> 22) % count


def event_guild(event: str, data: Any) -> int | None:
    """The guild an event is about (None: a DM, or not about a guild), which decides its shard."""
    if not isinstance(data, dict):
        return None
    raw = data.get("id") if event in GUILD_ID_AS_ID else data.get("guild_id")
    return int(raw) if raw is not None else None


def valid_shard(shard: Any) -> bool:
    """IDENTIFY's ``shard``: ``[shard_id, num_shards]`` with ``0 <= shard_id < num_shards``."""
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
        and shard[1] >= 1
        and 0 <= shard[0] < shard[1]
    )


@dataclass
class Session:
    """A gateway session; it outlives its connection so it can be resumed."""

    id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=RESUME_BUFFER))
    connection: Connection | None = None
    #: When its connection went away (the gateway's clock), for the resume window.
    disconnected_at: float | None = None

    def dispatch(self, event: str, data: Any) -> None:
        """Number, buffer and (if connected) send one event."""
        self.seq += 1
        frame = json.dumps({"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)

    def holds(self, guild_id: int | None) -> bool:
        """Whether this session gets events of ``guild_id``: every guild without sharding; with it, the
        guilds of its shard, and DMs on shard 0 only."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == 0 if guild_id is None else shard_of(guild_id, count) == shard_id

    def replay_after(self, seq: int) -> list[str] | None:
        """Frames after `seq`, or None if some were already dropped from the buffer."""
        if seq >= self.seq:
            return []
        if not self.buffer or self.buffer[0][0] > seq + 1:
            return None
        return [frame for s, frame in self.buffer if s > seq]


class Gateway:
    """All gateway sessions of the bot; dispatches events filtered by intents."""

    def __init__(
        self, state: Callable[[], SandboxState], *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._state = state
        self.now = now
        self.sessions: dict[str, Session] = {}
        #: The bot token IDENTIFY and RESUME must carry (4004 otherwise).
        self.token = DEFAULT_BOT_TOKEN
        #: Sent in HELLO; the control API can shorten it so tests see heartbeat behaviour quickly.
        self.heartbeat_interval_ms = HEARTBEAT_INTERVAL_MS
        #: Fault: False withholds HEARTBEAT_ACKs, as a zombied connection does.
        self.ack_heartbeats = True
        self.resume_window_seconds = RESUME_WINDOW_SECONDS
        #: GET /gateway/bot's recommended shard count; with ``require_sharding`` an IDENTIFY with fewer
        #: shards than this (or none) is closed with 4011, as Discord does to a bot in too many guilds.
        self.recommended_shards = 1
        self.require_sharding = False
        #: How many sessions may start at once (GET /gateway/bot's ``max_concurrency``).
        self.max_concurrency = 1
        #: When each IDENTIFY of the last day was accepted (the session start limit counts them).
        self.session_starts: deque[float] = deque()

    def dispatch(self, event: str, data: Any, *, intent: int = INTENT_GUILDS, redacted: Any = None) -> None:
        """Send an event to every session that asked for its intent; sessions without the message content
        intent get `redacted` instead, when given."""
        guild_id = event_guild(event, data)
        for session in self.sessions.values():
            if (intent == ALWAYS or session.intents & intent) and session.holds(guild_id):
                needs_redaction = redacted is not None and not session.intents & INTENT_MESSAGE_CONTENT
                session.dispatch(event, redacted if needs_redaction else data)

    def connected(self) -> list[Session]:
        """Sessions with a live websocket."""
        return [s for s in self.sessions.values() if s.connection is not None]

    def disconnect_all(self, code: int = CLOSE_UNKNOWN_ERROR) -> int:
        """Close every live websocket with a resumable code; returns how many were closed."""
        closed = 0
        for session in self.connected():
            assert session.connection is not None
            session.connection.close(code)
            session.connection = None
            closed += 1
        return closed

    def time_out_sessions(self) -> int:
        """Close every live connection with 4009 and forget its session, as Discord does to a client whose
        heartbeats stopped (e.g. its event loop stalled); returns how many."""
        timed_out = 0
        for session in self.connected():
            assert session.connection is not None
            session.connection.close(CLOSE_SESSION_TIMED_OUT)
            self.sessions.pop(session.id, None)
            timed_out += 1
        return timed_out

    def request_heartbeat(self) -> int:
        """Ask every connected client for a heartbeat now (op 1), as Discord sometimes does."""
        for session in self.connected():
            assert session.connection is not None
            session.connection.send({"op": OP_HEARTBEAT, "d": None})
        return len(self.connected())

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT so clients reconnect and resume."""
        for session in self.connected():
            assert session.connection is not None
            session.connection.send({"op": OP_RECONNECT, "d": None})

    def send_guild_create(self, guild_id: int) -> None:
        """GUILD_CREATE for a guild the bot just joined, per session's intents."""
        state = self._state()
        for session in self.sessions.values():
            if session.intents & INTENT_GUILDS and session.holds(guild_id):
                session.dispatch(
                    "GUILD_CREATE",
                    guild_create_payload(state, state.guilds[guild_id], intents=session.intents),
                )

    async def serve(self, socket: WebSocket[Any, Any, Any]) -> None:
        """Run one websocket connection until it closes."""
        await socket.accept()
        connection = Connection(socket, socket.query_params.get("compress"))
        writer = asyncio.create_task(connection.write_loop())
        interval = self.heartbeat_interval_ms
        connection.send({"op": OP_HELLO, "d": {"heartbeat_interval": interval, "_trace": ["sandbox"]}})
        connection.last_heartbeat = self.now()
        session: Session | None = None
        watchdog = asyncio.create_task(self._watch_heartbeats(connection, interval / 1000, lambda: session))
        client_close = 0
        try:
            while not connection.closed:
                raw = await receive_text(socket)
                try:
                    message = json.loads(raw)
                    op = message["op"]
                except (ValueError, KeyError, TypeError):
                    connection.close(CLOSE_DECODE_ERROR)
                    break
                session = self._handle(connection, session, op, message.get("d"), socket)
            await writer
        except WebSocketDisconnect as exc:
            client_close = exc.code or 0
        finally:
            writer.cancel()
            watchdog.cancel()
            if session is not None and session.connection is connection:
                session.connection = None
                session.disconnected_at = self.now()
                if client_close in FINAL_CLIENT_CLOSES:
                    self.sessions.pop(session.id, None)  # closed normally: not resumable
            log.debug("gateway_connection_closed", session_id=session.id if session else None)

    async def _watch_heartbeats(
        self, connection: Connection, interval: float, session: Callable[[], Session | None]
    ) -> None:
        """Close a connection whose client stopped heartbeating (4009); its session cannot be resumed."""
        while not connection.closed:
            overdue_at = connection.last_heartbeat + interval * HEARTBEAT_GRACE
            if self.now() >= overdue_at:
                current = session()
                log.info("gateway_heartbeat_timeout", session_id=current.id if current else None)
                if current is not None:
                    self.sessions.pop(current.id, None)
                connection.close(CLOSE_SESSION_TIMED_OUT)
                return
            await asyncio.sleep(max(0.01, overdue_at - self.now()))

    def _handle(
        self,
        connection: Connection,
        session: Session | None,
        op: int,
        data: Any,
        socket: WebSocket[Any, Any, Any],
    ) -> Session | None:
        if op == OP_HEARTBEAT:
            connection.last_heartbeat = self.now()
            if self.ack_heartbeats:
                connection.send({"op": OP_HEARTBEAT_ACK, "d": None})
        elif op == OP_IDENTIFY:
            if session is not None:
                connection.close(CLOSE_ALREADY_AUTHENTICATED)
                return session
            return self._identify(connection, data or {}, _resume_url(socket))
        elif op == OP_RESUME:
            return self._resume(connection, data or {})
        elif op == OP_REQUEST_MEMBERS:
            if session is None:
                connection.close(CLOSE_NOT_AUTHENTICATED)
            else:
                self._send_member_chunks(session, data or {})
        elif op not in (OP_PRESENCE, 4):  # presence and voice state updates are accepted and ignored
            connection.close(CLOSE_UNKNOWN_OPCODE)
        return session

    def _identify(self, connection: Connection, data: dict[str, Any], resume_url: str) -> Session | None:
        if not self._token_ok(data.get("token")):
            connection.close(CLOSE_AUTH_FAILED)
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents & ~VALID_INTENTS:
            connection.close(CLOSE_INVALID_INTENTS)
            return None
        allowed = self._state().application.flags
        if any(intents & intent and not allowed & flag for intent, flag in PRIVILEGED.items()):
            log.info("gateway_disallowed_intents", intents=intents)
            connection.close(CLOSE_DISALLOWED_INTENTS)
            return None
        shard = data.get("shard")
        if shard is not None and not valid_shard(shard):
            log.info("gateway_invalid_shard", shard=shard)
            connection.close(CLOSE_INVALID_SHARD)
            return None
        if self.require_sharding and (shard[1] if shard else 1) < self.recommended_shards:
            log.info("gateway_sharding_required", shard=shard, required=self.recommended_shards)
            connection.close(CLOSE_SHARDING_REQUIRED)
            return None
        self.session_starts.append(self.now())
        session = Session(id=secrets.token_hex(16), intents=int(data["intents"]), shard=shard)
        session.connection = connection
        self._forget_idle_sessions()
        self.sessions[session.id] = session
        state = self._state()
        guilds = [guild for guild in state.bot_guilds() if session.holds(guild.id)]
        session.dispatch(
            "READY",
            ready_payload(state, guilds, session_id=session.id, resume_url=resume_url, shard=session.shard),
        )
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild_create_payload(state, guild, intents=session.intents))
        log.info("gateway_identified", session_id=session.id, intents=session.intents, shard=session.shard)
        return session

    def session_start_limit(self) -> dict[str, int]:
        """GET /gateway/bot's ``session_start_limit``: IDENTIFYs left today and when the count resets."""
        now = self.now()
        while self.session_starts and now - self.session_starts[0] >= SESSION_START_WINDOW_SECONDS:
            self.session_starts.popleft()
        reset_after = (
            SESSION_START_WINDOW_SECONDS - (now - self.session_starts[0]) if self.session_starts else 0.0
        )
        return {
            "total": SESSION_STARTS_PER_DAY,
            "remaining": max(0, SESSION_STARTS_PER_DAY - len(self.session_starts)),
            "reset_after": int(reset_after * 1000),
            "max_concurrency": self.max_concurrency,
        }

    def _forget_idle_sessions(self) -> None:
        idle = [key for key, s in self.sessions.items() if s.connection is None]
        for key in idle[: max(0, len(idle) - MAX_IDLE_SESSIONS + 1)]:
            del self.sessions[key]

    def invalidate_all(self) -> None:
        """Drop every session (after a world reset): clients must IDENTIFY again."""
        self.disconnect_all()
        self.sessions.clear()

    def _expired(self, session: Session) -> bool:
        gone_since = session.disconnected_at
        return (
            session.connection is None
            and gone_since is not None
            and (self.now() - gone_since > self.resume_window_seconds)
        )

    def _token_ok(self, token: Any) -> bool:
        return isinstance(token, str) and token.removeprefix("Bot ") == self.token

    def _resume(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        if not self._token_ok(data.get("token")):
            connection.close(CLOSE_AUTH_FAILED)
            return None
        session = self.sessions.get(str(data.get("session_id")))
        if session is not None and self._expired(session):
            self.sessions.pop(session.id, None)
            session = None
        frames = session.replay_after(int(data.get("seq") or 0)) if session else None
        if session is None or frames is None:
            connection.send({"op": OP_INVALID_SESSION, "d": False})
            return None
        if session.connection is not None and session.connection is not connection:
            session.connection.close(CLOSE_UNKNOWN_ERROR)
        session.connection = connection
        session.disconnected_at = None
        for frame in frames:
            connection.send(frame)
        session.dispatch("RESUMED", {"_trace": ["sandbox"]})
        log.info("gateway_resumed", session_id=session.id, replayed=len(frames))
        return session

    def _send_member_chunks(self, session: Session, data: dict[str, Any]) -> None:
        state = self._state()
        guild = state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None or state.application.bot_user_id not in guild.members or not session.holds(guild.id):
            return
        query = data.get("query")
        user_ids = [int(u) for u in data.get("user_ids") or []]
        # Like Discord: without the members intent, a request for the whole list goes unanswered.
        if not session.intents & INTENT_GUILD_MEMBERS and not user_ids and not query:
            return
        members, not_found = select_members(state, guild.id, query, user_ids, int(data.get("limit") or 0))
        chunks = [members[i : i + CHUNK_SIZE] for i in range(0, len(members), CHUNK_SIZE)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [discord_json.member_json(state, m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": [str(u) for u in not_found] if index == 0 else [],
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", payload)


def _resume_url(socket: WebSocket[Any, Any, Any]) -> str:
    url = socket.url
    return f"{url.scheme}://{url.netloc}{url.path}"
