"""Move a stopped consumer group's committed offsets: to a point in time, or to an end.

`provisioning offsets reset` prints the plan — each partition's committed offset
now and where it would go — and changes nothing unless --execute is given (as
kafka-consumer-groups --reset-offsets). The group's next consumer starts at the
new offsets: moving back re-reads (the consumers' idempotency makes that
harmless), moving forward SKIPS what lies between — those requests are never
ingested. --dry-run is accepted and is what happens without --execute.

Where to (one of):
  --to-datetime TIME  the first offset at or after TIME (the end of the partition
                      when nothing is that recent); --to TIME is the same
  --by-duration D     the same for now minus D: PT2H, P1DT30M (ISO 8601, as Kafka's
                      tool takes it), or 2h, 30m, 1d, 45s
  --to-earliest       the oldest offset each partition still retains
  --to-latest         the end of each partition: skip everything not yet read

TIME is ISO 8601 with a time zone (2026-11-26T10:00:00Z) or relative to now
(-30m, -2h, -1d; also -45s).

It refuses while the group has members: stop every consumer of the group first.
By default it moves every topic the group has committed offsets for; --topic
(repeatable: a topic name, or orders / actions / outcomes) limits or names them.
--json prints the plan (or what was done) as one JSON object.

Examples:
  provisioning offsets reset --group provisioning-ingest --by-duration PT2H
  provisioning offsets reset --group provisioning-ingest --by-duration PT2H --execute
  provisioning offsets reset --group provisioning-ingest --to-datetime 2026-11-26T10:00:00Z
  provisioning offsets reset --group provisioning-ingest --to-latest --topic orders --json
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

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
from provisioning.errors import EXIT_OK, ProvisioningError
from provisioning.settings import Settings, load_settings

TIMEOUT = 30.0  # seconds for each admin request

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RELATIVE = re.compile(r"-(\d+)([smhd])")
_SHORT_DURATION = re.compile(r"(\d+)([smhd])")
# ISO 8601 durations as kafka-consumer-groups --by-duration takes them: PnDTnHnMnS
_ISO_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
End = Literal["earliest", "latest"]
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


def parse_duration(text: str) -> timedelta:
    """``PT2H``, ``P1DT30M``, ``PT45S`` (ISO 8601, as Kafka's tool), or ``2h``/``30m``/``1d``."""
    text = text.strip()
    if match := _SHORT_DURATION.fullmatch(text):
        return timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    match = _ISO_DURATION.fullmatch(text)
    if match is None or not any(match.groupdict().values()) or text.upper().endswith("T"):
        raise ValueError(f"{text!r} is not a duration: PT2H, P1DT30M, PT45S, or 2h, 30m, 1d")
    parts = {name: float(value or 0) for name, value in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def to_millis(moment: datetime) -> int:
    """Kafka's timestamp (milliseconds since the epoch) of ``moment``."""
    return int(moment.timestamp() * 1000)


def time_argument(text: str) -> datetime:
    """:func:`parse_time` as an argparse ``type``: a bad value is a usage error naming it."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def duration_argument(text: str) -> timedelta:
    """:func:`parse_duration` as an argparse ``type``."""
    try:
        return parse_duration(text)
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


def describe_target(to: datetime | End) -> str:
    return f"the {to} offsets" if isinstance(to, str) else to.isoformat()


def reset_offsets(
    settings: Settings,
    group: str,
    to: datetime | End,
    topics: Sequence[str] = (),
    *,
    dry_run: bool = False,
) -> list[Move]:
    """Move ``group``'s offsets on each partition of ``topics`` to the first at or after ``to``
    (a moment), or to the earliest or latest offset each partition has.

    ``topics`` defaults to those the group has committed offsets for. Raises
    :class:`GroupActiveError` while the group has members, and changes nothing
    when ``dry_run``.
    """
    admin = kafka.admin(settings)
    kafka.require_reachable(admin, settings)
    require_stopped(admin, group)
    committed = committed_offsets(admin, group)
    names = list(dict.fromkeys(topics)) or sorted({topic for topic, _ in committed})
    if not names:
        raise OffsetsError(
            f"group {group!r} has no committed offsets: name the topics to set with --topic"
        )
    partitions = partitions_of(admin, names)
    if isinstance(to, str):
        spec = OffsetSpec.earliest() if to == "earliest" else OffsetSpec.latest()  # type: ignore[no-untyped-call]
        targets = _list_offsets(admin, dict.fromkeys(partitions, spec))
    else:
        targets = offsets_at(admin, partitions, to_millis(to))
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
        help="plan (or, with --execute, make) a move of a stopped group's committed offsets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reset.add_argument("--group", required=True, help="the consumer group (must have no members)")
    where = reset.add_mutually_exclusive_group(required=True)
    for flag in ("--to-datetime", "--to"):
        where.add_argument(
            flag,
            type=time_argument,
            dest="moment",
            metavar="TIME",
            help="the first offset at or after TIME: ISO 8601 with a zone "
            "(2026-11-26T10:00:00Z) or relative (-2h, -30m, -1d)"
            if flag == "--to-datetime"
            else "the same as --to-datetime",
        )
    where.add_argument(
        "--by-duration",
        type=duration_argument,
        metavar="DURATION",
        help="the first offset at or after now minus DURATION: PT2H, P1DT30M, or 2h, 30m, 1d",
    )
    where.add_argument(
        "--to-earliest",
        action="store_const",
        const="earliest",
        dest="end",
        help="the oldest offset each partition retains",
    )
    where.add_argument(
        "--to-latest",
        action="store_const",
        const="latest",
        dest="end",
        help="the end of each partition (skips everything unread)",
    )
    reset.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="TOPIC",
        dest="topics",
        help="a topic to move (repeatable; default: every topic the group committed offsets for)",
    )
    mode = reset.add_mutually_exclusive_group()
    mode.add_argument(
        "--execute", action="store_true", help="move the offsets (without: print the plan only)"
    )
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan and change nothing (the default; kept for older scripts)",
    )
    reset.add_argument("--json", action="store_true", help="print one JSON object")
    reset.set_defaults(func=run, end=None)
    accept_relative_times(reset)


def target(args: argparse.Namespace) -> datetime | End:
    """Where ``args`` (parsed by :func:`add_arguments`) asks to move the offsets."""
    if args.end is not None:
        end: End = args.end
        return end
    if args.by_duration is not None:
        duration: timedelta = args.by_duration
        return datetime.now(UTC) - duration
    moment: datetime = args.moment
    return moment


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    topics = [topic_name(settings, name) for name in args.topics]
    to = target(args)
    moves = reset_offsets(settings, args.group, to, topics, dry_run=not args.execute)
    if args.json:
        report = {
            "group": args.group,
            "to": to if isinstance(to, str) else to.isoformat(),
            "executed": args.execute,
            "moves": [asdict(move) for move in moves],
        }
        print(json.dumps(report, indent=2))
        return EXIT_OK
    if args.execute:
        print(f"moved group {args.group} to {describe_target(to)}:")
    else:
        print(
            f"would move group {args.group} to {describe_target(to)} "
            "(the plan: nothing changed; run again with --execute to move):"
        )
    for move in moves:
        print(f"  {move}")
    return EXIT_OK


__all__ = [
    "GroupActiveError",
    "Move",
    "OffsetsError",
    "accept_relative_times",
    "add_arguments",
    "committed_offsets",
    "describe_target",
    "duration_argument",
    "offsets_at",
    "parse_duration",
    "parse_time",
    "partitions_of",
    "require_stopped",
    "reset_offsets",
    "run",
    "target",
    "time_argument",
    "to_millis",
    "topic_name",
]
