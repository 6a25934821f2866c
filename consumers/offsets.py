"""Move a stopped consumer group's committed offsets to a point in time.

`provisioning offsets reset` sets the group's committed offset on every
partition of its topics to the first offset at or after TIME (the end of the
partition when nothing is that recent). The group's next consumer starts there:
moving back re-reads (the consumers' idempotency makes that harmless), moving
forward SKIPS what lies between — those requests are never ingested.

It refuses while the group has members: stop every consumer of the group first.
By default it moves every topic the group has committed offsets for; --topic
(repeatable: a topic name, or orders / actions / outcomes) limits or names them.

TIME is ISO 8601 with a time zone (2026-11-26T10:00:00Z) or relative to now
(-30m, -2h, -1d; also -45s).

Examples:
  provisioning offsets reset --group provisioning-ingest --to -2h --dry-run
  provisioning offsets reset --group provisioning-ingest --to 2026-11-26T10:00:00Z
  provisioning offsets reset --group provisioning-ingest --to -1d --topic orders
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    OffsetSpec,
)

from provisioning import kafka
from provisioning.errors import ProvisioningError
from provisioning.settings import Settings, load_settings

TIMEOUT = 30.0  # seconds for each admin request

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RELATIVE = re.compile(r"-(\d+)([smhd])")
# Errors the broker answers an offset change with while the group has members.
_GROUP_BUSY = {
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.NON_EMPTY_GROUP,
}


class OffsetsError(ProvisioningError):
    """Offsets could not be read or moved; the message says which and why."""


class GroupActiveError(OffsetsError):
    """The consumer group still has members, so its committed offsets must not be moved."""


# ---------------------------------------------------------------------- times


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """``2026-11-26T10:00:00Z`` (ISO 8601 with a zone), or ``-2h``/``-30m``/``-1d``/``-45s`` ago."""
    text = text.strip()
    if match := _RELATIVE.fullmatch(text):
        ago = timedelta(seconds=int(match[1]) * _UNITS[match[2]])
        return (now or datetime.now(UTC)) - ago
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither ISO 8601 (2026-11-26T10:00:00Z) nor relative (-2h, -30m, -1d)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: add Z for UTC, or an offset like +01:00")
    return moment


def to_millis(moment: datetime) -> int:
    """Kafka's timestamp (milliseconds since the epoch) of ``moment``."""
    return int(moment.timestamp() * 1000)


def time_argument(text: str) -> datetime:
    """:func:`parse_time` as an argparse ``type``: a bad value is a usage error naming it."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def accept_relative_times(parser: argparse.ArgumentParser) -> None:
    """Let ``--to -2h`` through: argparse otherwise takes ``-2h`` for an unknown option."""
    parser._negative_number_matcher = re.compile(r"^-\d+([smhd]|\.\d+)?$")


def topic_name(settings: Settings, name: str) -> str:
    """``orders``, ``actions``, ``outcomes`` name the configured topics; other names are as is."""
    aliases = {
        "orders": settings.topic_orders,
        "actions": settings.topic_actions,
        "outcomes": settings.topic_outcomes,
    }
    return aliases.get(name, name)


# ---------------------------------------------------------------------- reset


@dataclass(frozen=True)
class Move:
    """One partition's committed offset, before and after a reset."""

    topic: str
    partition: int
    old: int | None  # None: the group had committed nothing there
    new: int

    def __str__(self) -> str:
        old = "none" if self.old is None else str(self.old)
        return f"{self.topic}[{self.partition}]: {old} → {self.new}"


def reset_offsets(
    settings: Settings,
    group: str,
    to: datetime,
    topics: Sequence[str] = (),
    *,
    dry_run: bool = False,
) -> list[Move]:
    """Move ``group``'s offsets on each partition of ``topics`` to the first at or after ``to``.

    ``topics`` defaults to those the group has committed offsets for. Raises
    :class:`GroupActiveError` while the group has members, and changes nothing
    when ``dry_run``.
    """
    admin = kafka.admin(settings)
    require_stopped(admin, group)
    committed = committed_offsets(admin, group)
    names = list(dict.fromkeys(topics)) or sorted({topic for topic, _ in committed})
    if not names:
        raise OffsetsError(
            f"group {group!r} has no committed offsets: name the topics to set with --topic"
        )
    targets = offsets_at(admin, partitions_of(admin, names), to_millis(to))
    moves = [Move(t, p, committed.get((t, p)), offset) for (t, p), offset in targets.items()]
    if not dry_run:
        _alter(admin, group, moves)
    return moves


def require_stopped(admin: AdminClient, group: str) -> None:
    """Raise :class:`GroupActiveError` if ``group`` has members."""
    future = admin.describe_consumer_groups([group], request_timeout=TIMEOUT)[group]
    try:
        description = future.result()
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.GROUP_ID_NOT_FOUND:
            return  # nothing ever joined it: setting offsets creates it
        raise OffsetsError(f"cannot describe group {group!r}: {exc}") from exc
    if description.members:
        names = ", ".join(sorted(f"{m.client_id} ({m.member_id})" for m in description.members))
        raise GroupActiveError(
            f"group {group!r} has {len(description.members)} member(s): {names}; "
            "stop its consumers first, then run the reset again"
        )


def committed_offsets(admin: AdminClient, group: str) -> dict[tuple[str, int], int]:
    """``{(topic, partition): offset}`` of every partition ``group`` has committed an offset for."""
    request = ConsumerGroupTopicPartitions(group)
    future = admin.list_consumer_group_offsets([request], request_timeout=TIMEOUT)[group]
    try:
        result = future.result()
    except KafkaException as exc:
        raise OffsetsError(f"cannot read the offsets of group {group!r}: {exc}") from exc
    return {
        (tp.topic, tp.partition): tp.offset
        for tp in result.topic_partitions or []
        if tp.error is None and tp.offset >= 0
    }


def partitions_of(admin: AdminClient, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of ``topics``; raises :class:`OffsetsError` naming a missing topic."""
    futures = admin.describe_topics(TopicCollection(list(topics)), request_timeout=TIMEOUT)
    found: list[TopicPartition] = []
    for topic in topics:
        try:
            description = futures[topic].result()
        except KafkaException as exc:
            raise OffsetsError(f"topic {topic!r}: {exc.args[0].str()}") from exc
        found += [TopicPartition(topic, info.id) for info in description.partitions]
    return sorted(found, key=lambda tp: (tp.topic, tp.partition))


def offsets_at(
    admin: AdminClient, partitions: Sequence[TopicPartition], millis: int
) -> dict[tuple[str, int], int]:
    """The first offset at or after ``millis`` on each partition; its end if none is as recent."""
    found = _list_offsets(admin, {tp: OffsetSpec.for_timestamp(millis) for tp in partitions})
    later = [tp for tp in partitions if found[tp.topic, tp.partition] < 0]
    if later:
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        found.update(_list_offsets(admin, dict.fromkeys(later, latest)))
    return found


def _list_offsets(
    admin: AdminClient, specs: dict[TopicPartition, OffsetSpec]
) -> dict[tuple[str, int], int]:
    futures = admin.list_offsets(
        specs, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=TIMEOUT
    )
    found: dict[tuple[str, int], int] = {}
    for tp, future in futures.items():
        try:
            found[tp.topic, tp.partition] = future.result().offset
        except KafkaException as exc:
            raise OffsetsError(f"{tp.topic}[{tp.partition}]: {exc.args[0].str()}") from exc
    return found


def _alter(admin: AdminClient, group: str, moves: Sequence[Move]) -> None:
    request = ConsumerGroupTopicPartitions(
        group, [TopicPartition(m.topic, m.partition, m.new) for m in moves]
    )
    future = admin.alter_consumer_group_offsets([request], request_timeout=TIMEOUT)[group]
    try:
        result = future.result()
    except KafkaException as exc:
        raise _refusal(group, exc.args[0]) from exc
    for tp in result.topic_partitions or []:
        if tp.error is not None:
            raise _refusal(group, tp.error, f"{tp.topic}[{tp.partition}]: ")


def _refusal(group: str, error: KafkaError, where: str = "") -> OffsetsError:
    if error.code() in _GROUP_BUSY:  # a consumer joined between the check and the change
        return GroupActiveError(
            f"group {group!r} gained a member while its offsets were being moved "
            f"({where}{error.str()}); stop its consumers and run the reset again"
        )
    return OffsetsError(f"could not move the offsets of group {group!r}: {where}{error.str()}")


# ---------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    reset = actions.add_parser(
        "reset",
        help="move a stopped group's committed offsets to a point in time",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reset.add_argument("--group", required=True, help="the consumer group (must have no members)")
    reset.add_argument(
        "--to",
        required=True,
        type=time_argument,
        metavar="TIME",
        help="ISO 8601 with a zone (2026-11-26T10:00:00Z) or relative (-2h, -30m, -1d)",
    )
    reset.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="TOPIC",
        dest="topics",
        help="a topic to move (repeatable; default: every topic the group committed offsets for)",
    )
    reset.add_argument(
        "--dry-run", action="store_true", help="print what would move and change nothing"
    )
    reset.set_defaults(func=run)
    accept_relative_times(reset)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    topics = [topic_name(settings, name) for name in args.topics]
    moves = reset_offsets(settings, args.group, args.to, topics, dry_run=args.dry_run)
    verb = "would move" if args.dry_run else "moved"
    print(f"{verb} group {args.group} to {args.to.isoformat()}:")
    for move in moves:
        print(f"  {move}")
    return 0


__all__ = [
    "GroupActiveError",
    "Move",
    "OffsetsError",
    "accept_relative_times",
    "add_arguments",
    "committed_offsets",
    "offsets_at",
    "parse_time",
    "partitions_of",
    "require_stopped",
    "reset_offsets",
    "run",
    "time_argument",
    "to_millis",
    "topic_name",
]
