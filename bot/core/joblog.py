"""One Actions job's log, made readable: its lines, its steps, its error, its failing tests.

A job log (`GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs`) is plain text, one line
per line of output, each prefixed by the runner with a UTC timestamp
(`2024-05-01T12:00:00.1234567Z `). Steps are not marked in it; the jobs API gives every
step's name, number, conclusion and times (to the second), so a line belongs to the step
whose times hold its timestamp. Colours (ANSI escapes) and GitHub's `##[group]` /
`##[endgroup]` markers are removed; `##[error]` lines are kept, since the error is what a
maintainer looks for first.

The text is someone else's CI output: every line is cut at MAX_LINE_CHARS, credential
shapes are redacted from whatever is quoted, and nothing in it is trusted to be well formed
(a log read from its end starts in the middle of a line; that part line is dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core import dialects
from bot.core.dialects.base import EXCERPT_LINES, MAX_FAILURES, Failure
from bot.core.lazyre import lazy
from bot.core.records import field, record
from bot.core.secrets import redacted, redacted_lines

MAX_LOG_BYTES = 20 * 1024 * 1024  # read of one job's log: its last 20 MB when it is longer
MAX_LINE_CHARS = 2000  # of one line; a longer line is cut (a hostile log may have one line)
MAX_LINES = 300_000  # the last ones of a log are read (a test summary is at the end)
QUOTED_FAILURES = 20  # failures of one log kept with their excerpt; the rest by name only
QUOTED_LINE_CHARS = 300  # of a line quoted in a comment (20 of them must fit many times over)
ERROR_CONTEXT = 8  # lines shown before a step's `##[error]` line
ERROR = "##[error]"

_ANSI = lazy(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_MARKER = lazy(r"^##\[(?:group|command|debug|notice|warning|section)\]")


@record(frozen=True)
class Step:
    """A job's step as the jobs API lists it; times are UTC seconds, `2024-05-01T12:00:00`
    (comparable as text with a log line's timestamp), empty when unknown."""

    number: int
    name: str
    conclusion: str | None
    started: str = ""
    completed: str = ""


@record()
class JobLog:
    lines: list[str]
    stamps: list[str]  # the second each line was written (`2024-05-01T12:00:00`), or ""
    cut: bool = False  # only the end was read: the log is longer than MAX_LOG_BYTES


def _second(value: object) -> str:
    """GitHub's time (`2024-05-01T12:00:00Z`, `…T04:00:00.000-08:00`) as a UTC second."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def steps_of(job: Mapping[str, Any]) -> tuple[Step, ...]:
    """The steps of a job as the Actions API (or a `workflow_job` payload) lists them."""
    steps = job.get("steps")
    found: list[Step] = []
    for item in steps if isinstance(steps, list) else ():
        if not isinstance(item, dict):
            continue
        number = item.get("number")
        found.append(
            Step(
                number=number if isinstance(number, int) else len(found) + 1,
                name=str(item.get("name") or "")[:200],
                conclusion=item.get("conclusion") if isinstance(item.get("conclusion"), str) else None,
                started=_second(item.get("started_at")),
                completed=_second(item.get("completed_at")),
            )
        )
    return tuple(found)


def _stamp(line: str) -> tuple[str, str]:
    """(the line's second, the line without its timestamp); ("", line) when it has none."""
    if len(line) > 20 and line[4] == "-" and line[10] == "T" and line[13] == ":":
        space = line.find(" ", 19, 40)
        if space > 0 and line[space - 1] == "Z":
            return line[:19], line[space + 1 :]
    return "", line


def clean(data: bytes, cut: bool = False) -> JobLog:
    """The log's lines, without timestamps, colours and group markers.

    `cut`: the bytes are the end of a longer log, so the first line is a fragment."""
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    # From the end, at most MAX_LINES: 20 MB of empty lines is 20 million of them.
    raw = text.rsplit("\n", MAX_LINES)
    if len(raw) > MAX_LINES:
        cut = True
    if cut and raw:
        raw = raw[1:]
    if raw and raw[-1] == "":
        raw.pop()
    lines: list[str] = []
    stamps: list[str] = []
    for line in raw:
        second, line = _stamp(line.rstrip("\r")[: MAX_LINE_CHARS + 40])
        if "\x1b" in line:
            line = _ANSI.sub("", line)
        if line.startswith("##["):
            if line.startswith("##[endgroup]"):
                continue
            if not line.startswith(ERROR):
                line = _MARKER.sub("", line)
        lines.append(line[:MAX_LINE_CHARS])
        stamps.append(second)
    return JobLog(lines, stamps, cut)


def failed_step(steps: Iterable[Step]) -> Step | None:
    """The step that failed the job: the first that failed, timed out or was cancelled."""
    return next((s for s in steps if s.conclusion in ("failure", "timed_out", "cancelled")), None)


def step_lines(log: JobLog, step: Step) -> range:
    """The lines written while `step` ran (by their timestamps); all lines when its times
    are unknown or no line carries a timestamp."""
    if not step.started or not any(log.stamps):
        return range(len(log.lines))
    end = step.completed or "9999"
    first = next((i for i, s in enumerate(log.stamps) if s and s >= step.started), len(log.lines))
    last = first
    for i in range(first, len(log.lines)):
        if log.stamps[i] and log.stamps[i] > end:
            break
        last = i + 1
    return range(first, last)


def error_excerpt(log: JobLog, where: range) -> tuple[str, ...]:
    """The last `##[error]` line in `where` (else in the whole log) with the lines before it."""
    for span in (where, range(len(log.lines))):
        for i in reversed(span):
            if log.lines[i].startswith(ERROR):
                start = max(span.start, i - ERROR_CONTEXT)
                return quoted(log.lines[start : i + 1])
    return ()


def quoted(lines: Iterable[str]) -> tuple[str, ...]:
    """Lines as a comment may quote them: at most EXCERPT_LINES of QUOTED_LINE_CHARS,
    credentials redacted (before the cut, so no credential is cut in half and missed)."""
    return tuple(_cut(line) for line in redacted_lines(list(lines)[-EXCERPT_LINES:]))


def _cut(line: str) -> str:
    return line if len(line) <= QUOTED_LINE_CHARS else line[: QUOTED_LINE_CHARS - 1] + "…"


@record()
class Reading:
    """What one job's log says: the step that failed with its error, and the tests the
    runners' own output names as failed. `problem` says why the log was not (fully) read."""

    job_id: int
    step: str | None = None
    error: tuple[str, ...] = ()
    runners: tuple[str, ...] = ()  # dialects whose output the log holds
    failures: dict[str, Failure] = field(default_factory=dict)
    problem: str | None = None
    complete: bool = True  # the whole log was read and every failure it names kept


def size(reading: Reading) -> int:
    """About how many characters a reading holds (what a cache of them counts)."""
    quoted = sum(len(test) + sum(map(len, failure.excerpt)) for test, failure in reading.failures.items())
    return 256 + quoted + sum(map(len, reading.error))


def unread(job_id: int, steps: Sequence[Step], problem: str) -> Reading:
    """What is known of a job whose log could not be read: its failed step (the jobs API
    names it), and why."""
    step = failed_step(steps)
    return Reading(job_id, step.name if step else None, problem=problem)


def read(job_id: int, data: bytes, steps: Sequence[Step], cut: bool = False) -> Reading:
    """A job's log read: its failing step and error, its failing tests (by every dialect)."""
    log = clean(data, cut)
    # A private key printed over many lines is taken out before any window of lines is quoted.
    if b"PRIVATE KEY-----" in data:
        log.lines = redacted_lines(log.lines)
    step = failed_step(steps)
    where = step_lines(log, step) if step is not None else range(len(log.lines))
    reading = Reading(job_id, step.name if step else None, error_excerpt(log, where))
    runners: list[str] = []
    for name, parse in dialects.DIALECTS:
        try:
            found = parse(log.lines)
        except Exception:  # a parser's bug costs its dialect, never the reading
            continue
        if found is None:
            continue
        runners.append(name)
        if len(found) >= MAX_FAILURES:
            reading.complete = False  # the dialect kept as many as it may: others may be lost
        for failure in found:
            test = _cut(redacted(failure.test))
            if test in reading.failures:
                continue
            if len(reading.failures) >= MAX_FAILURES:
                reading.complete = False
                break
            # Names for all, excerpts for the first: what a reading holds stays small.
            keep = len(reading.failures) < QUOTED_FAILURES
            reading.failures[test] = Failure(test, quoted(failure.excerpt) if keep else ())
    reading.runners = tuple(runners)
    if log.cut:
        reading.complete = False
        reading.problem = f"longer than {MAX_LOG_BYTES // (1024 * 1024)} MB: only its end was read"
    return reading
