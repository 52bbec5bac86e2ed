"""Sending queued DMs in batches: one look-up, one record and one queue update for many DMs.

The dispatcher hands over up to ``DM_BATCH`` due DM jobs at once (earliest due first), claimed up to
``CLAIM_AHEAD`` before they are due: steps 1 to 3 are done by the time a DM is due, and it goes out then
(step 4), not after its batch's claim and look-ups. For a batch:

1. one query finds the DMs already recorded (a redelivered job): they are not sent again; the same query
   finds, for DMs that are moot once another kind went out (a join DM after the reminder), whether it did;
2. one query checks the DMs that carry a condition (``StillRelevant``) against the games now: a "you're in"
   due after the game was cancelled, or after the person left, is dropped without a word;
3. one query finds the recipients' DM channels (``dm_channels``); only people the bot never DMed before
   cost a ``POST /users/@me/channels``, once, and their channels are kept;
4. the DMs go out concurrently, at most ``DM_IN_FLIGHT`` at a time across all batches (the bot's REST
   client also keeps to Discord's global request rate, see gamesched/discord/rate_limit.py); DMs claimed
   ahead are first checked against the queue at their due time, one read per due time: a DM cancelled
   (``Notifier.cancel``) since its claim is dropped;
5. one transaction records every outcome and queues the channel fallbacks for closed DMs.

Once in effect: each DM carries a nonce derived from its dedupe key, and Discord answers a second send
with the same nonce (within a few minutes) with the first message instead of a new one. If recording
fails because the database is unreachable, the outcomes stay in memory and the write is retried until
the database is back; the jobs stay claimed by this process meanwhile, so nothing sends them again. A
process killed between sending and recording leaves jobs that are re-claimed and re-sent with the same
nonce: Discord drops the duplicate as long as that happens within its nonce window.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import structlog
from sqlalchemy import BigInteger, Text, and_, any_, bindparam, delete, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from gamesched.core.clock import Clock
from gamesched.core.db import DATABASE_ERRORS, Database
from gamesched.core.driver import DriverStatement
from gamesched.core.queue import Job, JobQueue, NewJob, Postpone
from gamesched.games import SeatNow, seats_now
from gamesched.notifications.messenger import DirectMessage, DMChannelGone, DMsClosed, Messenger
from gamesched.notifications.models import DMChannel, Notification

log = structlog.get_logger(__name__)

DELIVER = "notifications.deliver"
FALLBACK = "notifications.fallback"
#: Opens the DM channels of people a delayed DM will go to, before it is due (see ``open_channels``).
OPEN_CHANNELS = "notifications.open_channels"
#: DM channels opened ahead at once: a few, so that urgent DMs going out meanwhile keep their turns.
OPEN_AHEAD_IN_FLIGHT = 4
#: DM jobs claimed together, and how many such batches run at once (one records while others send).
DM_BATCH = 50
DM_BATCHES = 3
#: How long before their due time DM jobs are claimed and their look-ups done. A 120-DM reminder wave's
#: claim and look-ups took 15-45 ms after its moment on the 2-core machine; this covers them with room for
#: a busy loop. A condition (``StillRelevant``) is thus checked at most this long before its DM is sent; a
#: cancel is honoured up to the due time (``JobQueue.cancel`` and ``still_claimed``).
CLAIM_AHEAD = timedelta(milliseconds=250)
#: DMs in flight to Discord at once, over all batches.
DM_IN_FLIGHT = 32
#: Closed-DM fallbacks wait this long so that one channel message covers a whole burst of DMs.
FALLBACK_GATHER = timedelta(seconds=3)
#: How long outcomes Discord gave are kept in memory while the database is unreachable.
RECORD_PATIENCE_SECONDS = 600.0
#: Discord lets a bot post 5 messages per 5 s in one channel (its rate-limit headers say so). A DM beyond
#: that is postponed in the queue instead of waiting in a sending slot, so one busy recipient never holds
#: back a wave; the margin covers the clock difference between us and Discord's window. We take 4 of the 5:
#: the request that empties a bucket makes discord.py sleep out the rest of the window before it returns,
#: which would hold a sending slot (and its batch) for up to 5 s.
CHANNEL_BURST = 4
CHANNEL_WINDOW_SECONDS = 5.0
CHANNEL_MARGIN_SECONDS = 0.25


@dataclass(slots=True)
class ChannelSend:
    """A DM counted against its channel's window: when it reached Discord at the latest (when its answer
    came back; infinity while it is on its way)."""

    done_at: float = math.inf


#: The game statuses in which news about seats and changes still make sense.
ACTIVE = ("scheduled", "in_progress")


class StillRelevant(msgspec.Struct, frozen=True, kw_only=True):
    """What must still hold when a DM about a game comes due, or it is not sent (nor its closed-DM fallback
    posted): the DM was worded when it was requested, and the game may have moved on since."""

    #: The game must be in one of these statuses.
    game_statuses: tuple[str, ...] = ACTIVE
    #: The seat the recipient must hold: ``confirmed``, ``waitlisted``, ``on_roster`` (either), ``off_roster``
    #: (e.g. "the host removed you"), or None for no condition (the host's DMs).
    seat: str | None = None
    #: Kinds of DM about the same game which, once sent to the recipient, make this one moot (a join DM
    #: after the reminder already told the seat).
    unless_sent: tuple[str, ...] = ()
    #: The start the DM names, which the game must still have (a reminder worded just before the game moved).
    starts_at: datetime | None = None

    def holds(self, now: SeatNow | None, sent_kinds: set[str]) -> bool:
        if now is None or now.game_status not in self.game_statuses:
            return False
        if self.starts_at is not None and now.scheduled_at != self.starts_at:
            return False
        if self.unless_sent and sent_kinds.intersection(self.unless_sent):
            return False
        if self.seat is None:
            return True
        if self.seat == "on_roster":
            return now.seat is not None
        if self.seat == "off_roster":
            return now.seat is None
        return now.seat == self.seat


class DMRequest(msgspec.Struct, frozen=True):
    """A DM to send: to whom, about what, and the key that makes it happen once. Queued as it is (the
    delivery job's payload). ``only_if`` (with ``game_id``) is checked when the DM is due."""

    guild_id: int
    user_id: int
    kind: str
    dedupe_key: str
    message: DirectMessage
    channel_id: int | None = None  # where to fall back when DMs are closed
    game_id: str | None = None
    fallback_summary: str = ""
    only_if: StillRelevant | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    dm: DMRequest
    outcome: str  # sent | dms_closed


def nonce_for(dedupe_key: str) -> str:
    """The nonce sent with a DM: the same for every send of one DM, at most 25 characters (Discord's limit)."""
    return hashlib.blake2b(dedupe_key.encode(), digest_size=12).hexdigest()


class DMDelivery:
    """The batch handler of ``notifications.deliver`` jobs; runs only where the bot runs."""

    def __init__(
        self,
        *,
        db: Database,
        queue: JobQueue,
        clock: Clock,
        messenger: Messenger,
        in_flight: int = DM_IN_FLIGHT,
        record_patience_seconds: float = RECORD_PATIENCE_SECONDS,
    ) -> None:
        self.db = db
        self.queue = queue
        self.clock = clock
        self.messenger = messenger
        self.record_patience_seconds = record_patience_seconds
        self._sending = asyncio.Semaphore(in_flight)
        #: Recent DMs to each person, for Discord's per-channel limit (``_channel_turn``).
        self._channel_sends: dict[int, list[ChannelSend]] = {}
        #: DM channels being opened right now, so concurrent DMs to one person open it once.
        self._opening: dict[int, asyncio.Future[int]] = {}
        self._opening_ahead = asyncio.Semaphore(OPEN_AHEAD_IN_FLIGHT)

    async def deliver(self, jobs: list[Job]) -> Mapping[int, Exception]:
        """Send a batch of due DMs; answers the jobs that failed (the rest are done)."""
        dms = {job.id: msgspec.convert(job.payload, DMRequest) for job in jobs}
        due = {job.id: job.due_at for job in jobs}
        claimed_at = self.clock.now()
        self._forget_quiet_channels()
        # What is recorded already, where each person stands now, and the DM channels we know: three
        # look-ups that need only the batch, so they go at once, on three connections. One after the other,
        # they took 20-35 ms before a 120-DM reminder wave's first send on the 2-core machine; at once, 17-21.
        (recorded, sent_kinds), seats, channels = await _at_once(
            self._recorded(dms.values()),
            self._seats(dms.values()),
            self._known_channels({dm.user_id for dm in dms.values()}),
        )
        todo = {job_id: dm for job_id, dm in dms.items() if dm.dedupe_key not in recorded}
        if len(todo) < len(dms):
            log.info("dm_already_sent", count=len(dms) - len(todo))
        todo = _still_relevant(todo, sent_kinds, seats)
        if not todo:
            return {}
        known = set(channels)
        opened: dict[int, int] = {}
        # Reminders first: they are the DMs whose timing people notice.
        order = sorted(todo, key=lambda job_id: (todo[job_id].kind != "reminder", job_id))
        failures: dict[int, Exception] = {}
        outcomes: list[_Outcome] = []
        unrecorded: list[_Outcome] = []
        recording: asyncio.Task[None] | None = None

        # A DM claimed ahead may be cancelled (``Notifier.cancel``) before its due time: one look per due
        # time among the batch's DMs (a reminder wave's batch has one) drops those, just before they go out.
        checks: dict[datetime, asyncio.Future[set[int]]] = {}

        async def cancelled(job_id: int) -> bool:
            moment = due[job_id]
            if moment <= claimed_at:  # due when claimed: it went out without a second look before, too
                return False
            check = checks.get(moment)
            if check is None:
                ids = [j for j in todo if due[j] == moment]
                check = checks[moment] = asyncio.ensure_future(self._still_claimed(ids))
            return job_id not in await asyncio.shield(check)

        async def send(job_id: int) -> tuple[int, str | Exception | None]:
            await self.clock.sleep_until(due[job_id])  # a batch claimed ahead may hold a later DM
            try:
                if await cancelled(job_id):
                    return job_id, None
            except Exception as exc:  # the database is out of reach: the job is tried again later
                return job_id, exc
            return job_id, await self._send(todo[job_id], channels, opened)

        # Claimed ahead: what is left is sending, at the due time. One wait for the batch's earliest DM, so
        # that its sends start in the order below.
        await self.clock.sleep_until(min(due[job_id] for job_id in todo))

        # Outcomes are recorded as they come in, one write at a time, each taking what arrived during the
        # previous one: few transactions, and only DMs still in flight are unrecorded if the process dies.
        # Tasks start in the order they are made: reminders, and the earliest jobs, take the first turns.
        sends = [asyncio.create_task(send(job_id)) for job_id in order]
        for next_done in asyncio.as_completed(sends):
            job_id, result = await next_done
            if result is None:
                log.info("dm_cancelled", kind=todo[job_id].kind, user_id=todo[job_id].user_id)
                continue
            if isinstance(result, Exception):
                failures[job_id] = result
                continue
            outcome = _Outcome(todo[job_id], result)
            outcomes.append(outcome)
            unrecorded.append(outcome)
            if recording is None or recording.done():
                if recording is not None:
                    await recording  # raises if the database stayed away past our patience
                recording = asyncio.create_task(self._record(unrecorded, self._take(opened)))
                unrecorded = []
        if recording is not None:
            await recording
        if unrecorded or opened:
            await self._record(unrecorded, self._take(opened))
        for outcome in outcomes:
            if outcome.outcome == "dms_closed":
                log.info("dm_closed", user_id=outcome.dm.user_id, kind=outcome.dm.kind)
        log.info(
            "dm_batch_delivered",
            sent=sum(o.outcome == "sent" for o in outcomes),
            closed=sum(o.outcome == "dms_closed" for o in outcomes),
            failed=sum(not isinstance(f, Postpone) for f in failures.values()),
            postponed=sum(isinstance(f, Postpone) for f in failures.values()),
            channels_opened=len({o.dm.user_id for o in outcomes} - known),
        )
        return failures

    async def open_channels(self, jobs: list[Job]) -> Mapping[int, Exception]:
        """Open the DM channels of people who will get a DM later (a job per person, payload ``user_id``).

        A wave of reminders then costs one request per DM instead of two for everyone the bot has never
        DMed: their channels were opened while nothing was urgent. People whose channel is already kept
        cost nothing but the look-up; closed DMs are left to the DM itself to record (and fall back).
        """
        users = {job.id: int(job.payload["user_id"]) for job in jobs}
        known = await self._known_channels(set(users.values()))
        opened: dict[int, int] = {}
        failures: dict[int, Exception] = {}

        async def open_ahead(job_id: int, user_id: int) -> None:
            async with self._opening_ahead:
                try:
                    await self._open_channel(user_id, {}, opened)
                except DMsClosed:
                    pass
                except Exception as exc:  # the job's error: the dispatcher retries it with backoff
                    failures[job_id] = exc

        await asyncio.gather(*(open_ahead(j, u) for j, u in users.items() if u not in known))
        if opened:
            await self._record([], opened)
        return failures

    async def _open_channel(self, user_id: int, channels: dict[int, int], opened: dict[int, int]) -> int:
        """Open the person's DM channel once, however many of their DMs are waiting for it."""
        opening = self._opening.get(user_id)
        if opening is None:
            opening = self._opening[user_id] = asyncio.ensure_future(self.messenger.open_dm(user_id))
            opening.add_done_callback(lambda _f: self._opening.pop(user_id, None))
            channel_id = await opening
            channels[user_id] = opened[user_id] = channel_id
            return channel_id
        channel_id = await asyncio.shield(opening)
        channels[user_id] = channel_id
        return channel_id

    @staticmethod
    def _take(opened: dict[int, int]) -> dict[int, int]:
        """The DM channels opened since the last write (to be kept with it)."""
        taken = dict(opened)
        opened.clear()
        return taken

    def _channel_turn(self, user_id: int) -> ChannelSend | float:
        """The DM to ``user_id`` may start now: its place among the channel's sends (counted from now on);
        else how many seconds until it may.

        A send counts from when its answer came back, not from when it was allowed: it may wait a while
        for a sending slot and for the global pace, and Discord's window starts when the first DM reaches
        it. Counted from the start, a fifth DM could follow the first by a little under 5 s there, in its
        window, and be refused. (Not yet seen to happen: the 429s ``make bench``'s DM wave met were the
        global limit's, see benchmarks/dm_rate.py.)"""
        now = self.clock.now().timestamp()
        sends = [s for s in self._channel_sends.get(user_id, ()) if s.done_at > now - CHANNEL_WINDOW_SECONDS]
        self._channel_sends[user_id] = sends
        if len(sends) < CHANNEL_BURST:
            sends.append(send := ChannelSend())
            return send
        oldest = min(s.done_at for s in sends)
        if oldest == math.inf:  # all still on their way
            return CHANNEL_WINDOW_SECONDS + CHANNEL_MARGIN_SECONDS
        return oldest + CHANNEL_WINDOW_SECONDS + CHANNEL_MARGIN_SECONDS - now

    def _forget_quiet_channels(self) -> None:
        now = self.clock.now().timestamp()
        quiet = [
            u
            for u, sends in self._channel_sends.items()
            if all(s.done_at <= now - CHANNEL_WINDOW_SECONDS for s in sends)
        ]
        for user_id in quiet:
            del self._channel_sends[user_id]

    async def _send(self, dm: DMRequest, channels: dict[int, int], opened: dict[int, int]) -> str | Exception:
        """Send one DM; ``sent`` or ``dms_closed``, or the error that makes its job try again (or later)."""
        turn = self._channel_turn(dm.user_id)
        if not isinstance(turn, ChannelSend):
            return Postpone(turn, "the recipient's DM channel is at Discord's per-channel limit")
        try:
            return await self._send_now(dm, channels, opened)
        finally:
            turn.done_at = self.clock.now().timestamp()

    async def _send_now(
        self, dm: DMRequest, channels: dict[int, int], opened: dict[int, int]
    ) -> str | Exception:
        async with self._sending:
            try:
                for attempt in (1, 2):
                    channel_id = channels.get(dm.user_id)
                    if channel_id is None:
                        channel_id = await self._open_channel(dm.user_id, channels, opened)
                    try:
                        await self.messenger.send_dm(channel_id, dm.message, nonce=nonce_for(dm.dedupe_key))
                        return "sent"
                    except DMChannelGone:
                        if attempt == 2:
                            raise
                        channels.pop(dm.user_id, None)
                        await self._forget_channel(dm.user_id)
            except DMsClosed:
                return "dms_closed"
            except Exception as exc:  # the job's error: the dispatcher retries it with backoff
                return exc
        raise AssertionError("unreachable")

    async def _recorded(self, dms: Iterable[DMRequest]) -> tuple[set[str], dict[tuple[str, int], set[str]]]:
        """The keys already recorded, and — for DMs that are moot after another kind — the kinds already
        sent to each (game, person) among those kinds. One query."""
        dms = list(dms)
        moot_after = [dm for dm in dms if dm.only_if and dm.only_if.unless_sent and dm.game_id]
        params = {
            "keys": list({dm.dedupe_key for dm in dms}),
            "users": list({dm.user_id for dm in moot_after}),
            "games": list({dm.game_id for dm in moot_after}),
            "kinds": list({k for dm in moot_after if dm.only_if for k in dm.only_if.unless_sent}),
        }
        async with self.db.read(bypass_rls=True) as conn:
            rows = await _RECORDED.rows(conn, params)
        recorded: set[str] = set()
        kinds: dict[tuple[str, int], set[str]] = {}
        for row in rows:
            recorded.add(row.dedupe_key)
            if row.game_id is not None:
                kinds.setdefault((row.game_id, row.user_id), set()).add(row.kind)
        return recorded, kinds

    async def _seats(self, dms: Iterable[DMRequest]) -> dict[tuple[str, int], SeatNow]:
        """Where each person of a DM with a condition stands now in its game."""
        pairs = {(dm.game_id, dm.user_id) for dm in dms if dm.only_if and dm.game_id}
        if not pairs:
            return {}
        async with self.db.read(bypass_rls=True) as conn:
            return await seats_now(conn, pairs)

    async def _still_claimed(self, job_ids: list[int]) -> set[int]:
        async with self.db.read(bypass_rls=True) as conn:
            return await self.queue.still_claimed(conn, job_ids)

    async def _known_channels(self, user_ids: set[int]) -> dict[int, int]:
        async with self.db.read() as conn:
            rows = await _KNOWN_CHANNELS.rows(conn, {"user_ids": list(user_ids)})
        return {row.user_id: row.channel_id for row in rows}

    async def _forget_channel(self, user_id: int) -> None:
        async with self.db.uow() as uow:
            await uow.session.execute(delete(DMChannel).where(DMChannel.user_id == user_id))

    async def _record(self, outcomes: list[_Outcome], opened: dict[int, int]) -> None:
        """Write what Discord answered; while the database is unreachable, keep trying (the DMs went out
        and must not go out again)."""
        deadline = asyncio.get_running_loop().time() + self.record_patience_seconds
        delay = 0.1
        while True:
            try:
                await self._write(outcomes, opened)
                return
            except DATABASE_ERRORS as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning(
                    "dm_record_waiting_for_database", error=str(exc), dms=len(outcomes), retry_in=delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _write(self, outcomes: list[_Outcome], opened: dict[int, int]) -> None:
        async with self.db.uow(bypass_rls=True) as uow:
            # Plain statements run once per row set (asyncpg's executemany): a multi-row VALUES would be
            # compiled anew for every batch size, which showed up as the top cost of a DM wave.
            if opened:
                rows = [{"user_id": u, "channel_id": c} for u, c in opened.items()]
                await uow.session.execute(_KEEP_CHANNEL, rows)
            if outcomes:
                await uow.session.execute(_RECORD, [_record_of(o) for o in outcomes])
            await self.queue.enqueue_many(uow.session, self._fallbacks(outcomes))

    def _fallbacks(self, outcomes: Iterable[_Outcome]) -> list[NewJob]:
        channels = {(o.dm.guild_id, o.dm.channel_id) for o in outcomes if o.outcome == "dms_closed"}
        due = self.clock.now() + FALLBACK_GATHER
        return [
            NewJob(
                FALLBACK,
                {"guild_id": guild_id, "channel_id": channel_id},
                due,
                f"dm-fallback:{channel_id}",
                replace=False,
            )
            for guild_id, channel_id in sorted(channels, key=str)
            if channel_id is not None
        ]


_RECORD = text(
    "INSERT INTO notifications"
    " (guild_id, channel_id, game_id, user_id, kind, dedupe_key, outcome, fallback_summary, relevance)"
    " VALUES (:guild_id, :channel_id, :game_id, :user_id, :kind, :dedupe_key, :outcome, :fallback_summary,"
    " CAST(:relevance AS jsonb))"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
_KEEP_CHANNEL = text(
    "INSERT INTO dm_channels (user_id, channel_id) VALUES (:user_id, :channel_id)"
    " ON CONFLICT (user_id) DO UPDATE SET channel_id = EXCLUDED.channel_id"
)


#: Recorded DMs among a batch's keys, and the kinds sent to the (game, person) pairs of DMs that are moot
#: after another kind (``StillRelevant.unless_sent``); arrays, so the statement is the same for every batch.
_RECORDED = DriverStatement(
    select(Notification.dedupe_key, Notification.game_id, Notification.user_id, Notification.kind).where(
        or_(
            Notification.dedupe_key == any_(bindparam("keys", type_=ARRAY(Text))),
            and_(
                Notification.user_id == any_(bindparam("users", type_=ARRAY(BigInteger))),
                Notification.game_id == any_(bindparam("games", type_=ARRAY(Text))),
                Notification.kind == any_(bindparam("kinds", type_=ARRAY(Text))),
            ),
        )
    )
)
_KNOWN_CHANNELS = DriverStatement(
    select(DMChannel.user_id, DMChannel.channel_id).where(
        DMChannel.user_id == any_(bindparam("user_ids", type_=ARRAY(BigInteger)))
    )
)


async def _at_once(*lookups: Awaitable[Any]) -> list[Any]:
    """The lookups' results, run at once; the first failure is raised as itself (the dispatcher tells a
    database out of reach by its type), after all have ended."""
    results = await asyncio.gather(*lookups, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _still_relevant(
    todo: dict[int, DMRequest],
    sent_kinds: dict[tuple[str, int], set[str]],
    seats: Mapping[tuple[str, int], SeatNow],
) -> dict[int, DMRequest]:
    """Drop the DMs whose condition no longer holds (their jobs are done: nothing to say any more)."""
    # A DM going out in this very batch counts as sent (a reminder and a join DM due together).
    in_batch: dict[tuple[str, int], set[str]] = {}
    for dm in todo.values():
        if dm.game_id:
            in_batch.setdefault((dm.game_id, dm.user_id), set()).add(dm.kind)
    kept: dict[int, DMRequest] = {}
    for job_id, dm in todo.items():
        if dm.only_if is None or dm.game_id is None:
            kept[job_id] = dm
            continue
        pair = (dm.game_id, dm.user_id)
        sent = sent_kinds.get(pair, set()) | (in_batch[pair] - {dm.kind})
        if dm.only_if.holds(seats.get(pair), sent):
            kept[job_id] = dm
        else:
            state = seats.get(pair)
            log.info(
                "dm_no_longer_relevant",
                kind=dm.kind,
                game_id=dm.game_id,
                user_id=dm.user_id,
                game_status=state.game_status if state else None,
                seat=state.seat if state else None,
            )
    return kept


def _record_of(outcome: _Outcome) -> dict[str, Any]:
    dm = outcome.dm
    return {
        "guild_id": dm.guild_id,
        "channel_id": dm.channel_id,
        "game_id": dm.game_id,
        "user_id": dm.user_id,
        "kind": dm.kind,
        "dedupe_key": dm.dedupe_key,
        "outcome": outcome.outcome,
        "fallback_summary": dm.fallback_summary,
        "relevance": None if dm.only_if is None else msgspec.json.encode(dm.only_if).decode(),
    }
