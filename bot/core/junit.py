"""JUnit reports from test-result artifacts, and the test-level difference of two legs.

Artifacts are zip files someone else's CI uploaded. Everything is capped before it is
read: the members the central directory lists, each member's inflation ratio, the bytes
inflated, the test cases kept. Reports are read as a stream (defusedxml's SAX parser: no
entity expansion, no external entities, no tree), so memory holds one element and the
cases kept, whatever the size of the XML. Every way an archive or a report can be unreadable
(a bad CRC, a compression method zipfile lacks, an encrypted member, broken XML) is a
JUnitError, which the caller shows on that artifact.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024  # all reports in one artifact, inflated
MAX_RATIO = 200  # a zip member that inflates more than this is a bomb
MAX_MEMBERS = 10_000  # entries in one archive's central directory (each costs a ZipInfo)
# Test cases kept: about 190 bytes each in memory. One artifact, and all of one commit's
# artifacts (what one job holds while it compares them).
MAX_CASES = 100_000
MAX_COMMIT_CASES = 200_000
CHUNK = 64 * 1024  # bytes inflated and parsed at a time

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class JUnitError(Exception):
    """An artifact or report that cannot be read safely."""


class TooManyCases(JUnitError):
    """More test cases than the reader was allowed to keep."""


@dataclass(frozen=True, slots=True)
class TestCase:
    id: str  # classname::name (or name)
    outcome: str
    seconds: float


def _seconds(value: str | None) -> float:
    """A case's `time`; one that is not a finite number of seconds (`1,5`, `NaN`) is
    unknown (0), which keeps the case out of the timing comparison only."""
    try:
        seconds = float(value or 0)
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


class _Cases(ContentHandler):
    """Collects <testcase> elements as the parser meets them, at any suite depth."""

    def __init__(self, cases: dict[str, TestCase], seen: list[int], max_cases: int) -> None:
        super().__init__()
        self.cases = cases
        self.seen = seen  # cases met so far in the artifact (one counter for all its reports)
        self.max_cases = max_cases
        self.depth = 0
        self.case: list[Any] | None = None  # [key, outcome, seconds, depth]

    def startElement(self, name: str, attrs: Any) -> None:
        self.depth += 1
        if self.depth == 1 and name not in ("testsuites", "testsuite"):
            raise JUnitError(f"not a JUnit report: the root element is <{name[:100]}>")
        if self.case is None:
            if name == "testcase":
                test = attrs.get("name") or "?"
                classname = attrs.get("classname")
                key = f"{classname}::{test}" if classname else test
                self.case = [key, PASSED, _seconds(attrs.get("time")), self.depth]
        elif self.depth == self.case[3] + 1:
            if name in ("failure", "error"):
                self.case[1] = FAILED
            elif name == "skipped" and self.case[1] != FAILED:
                self.case[1] = SKIPPED

    def endElement(self, name: str) -> None:
        if self.case is not None and self.depth == self.case[3]:
            key, outcome, seconds, _ = self.case
            self.case = None
            self.seen[0] += 1
            if self.seen[0] > self.max_cases:
                raise TooManyCases(f"more than {self.max_cases} test cases")
            self.cases[key] = TestCase(key, outcome, seconds)
        self.depth -= 1


def _parse(handle: IO[bytes], cases: dict[str, TestCase], seen: list[int], max_cases: int, room: int) -> int:
    """Feed one report to the parser chunk by chunk; the bytes read (at most `room`)."""
    import defusedxml.sax

    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(_Cases(cases, seen, max_cases))
    read = 0
    while chunk := handle.read(CHUNK):
        read += len(chunk)
        if read > room:
            raise JUnitError("reports inflate past the size limit")
        parser.feed(chunk)
    parser.close()
    return read


def parse_report(data: bytes, max_cases: int = MAX_CASES) -> dict[str, TestCase]:
    cases: dict[str, TestCase] = {}
    try:
        _parse(io.BytesIO(data), cases, [0], max_cases, MAX_XML_BYTES)
    except (SAXException, ValueError) as exc:  # defusedxml's refusals are ValueErrors
        raise JUnitError(f"not a safe XML document: {_why(exc)}") from None
    return cases


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, JUnitError) else f"{type(exc).__name__}: {text}"[:300]


def _members(handle: IO[bytes]) -> int:
    """How many entries the central directory declares, read from its end record before
    zipfile builds one object per entry."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    tail = min(size, 22 + 65_535)  # the end record, after a comment of at most 64 KB
    handle.seek(size - tail)
    data = handle.read(tail)
    handle.seek(0)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        raise JUnitError("artifact is not a zip file")
    return int.from_bytes(data[at + 10 : at + 12], "little")


# What zipfile and zlib raise on archives they cannot read: a bad CRC or a truncated
# member (BadZipFile, EOFError, zlib.error), a method it lacks such as deflate64
# (NotImplementedError), an encrypted member (RuntimeError), a seek past the end (OSError,
# ValueError).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError)


def read_artifact(source: bytes | IO[bytes], max_cases: int = MAX_CASES) -> dict[str, TestCase]:
    """Every JUnit report (`*.xml`) in an artifact zip, merged: the zip's bytes, or a
    seekable file holding them (a download spooled to disk)."""
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    if size > MAX_ZIP_BYTES:
        raise JUnitError(f"artifact is {size} bytes; the limit is {MAX_ZIP_BYTES}")
    members = _members(handle)
    if members > MAX_MEMBERS:
        raise JUnitError(f"artifact lists {members} files; the limit is {MAX_MEMBERS}")
    cases: dict[str, TestCase] = {}
    seen = [0]
    member = "the archive"
    try:
        with zipfile.ZipFile(handle) as archive:
            total = 0
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(".xml"):
                    continue
                member = info.filename[:200]
                if total + info.file_size > MAX_XML_BYTES:
                    raise JUnitError("reports inflate past the size limit")
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                    raise JUnitError(f"{member} inflates {MAX_RATIO}x or more (a zip bomb?)")
                with archive.open(info) as stream:
                    total += _parse(stream, cases, seen, max_cases, MAX_XML_BYTES - total)
    except JUnitError:
        raise
    except SAXException as exc:
        raise JUnitError(f"{member} is not a safe XML document: {_why(exc)}") from None
    except _UNREADABLE as exc:
        raise JUnitError(f"{member} cannot be read: {_why(exc)}") from None
    return cases


@dataclass(slots=True)
class TestDiff:
    failed_only_on: dict[str, list[str]] = field(default_factory=dict)  # arch -> test ids
    skipped_only_on: dict[str, list[str]] = field(default_factory=dict)
    present_only_on: dict[str, list[str]] = field(default_factory=dict)
    slower_on_arm64: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return (
            any(self.failed_only_on.values())
            or any(self.skipped_only_on.values())
            or any(self.present_only_on.values())
        )


SLOWEST = 5
MIN_SECONDS = 0.05  # below this a ratio is noise


def compare(amd64: dict[str, TestCase], arm64: dict[str, TestCase]) -> TestDiff:
    diff = TestDiff()
    sides = {"amd64": amd64, "arm64": arm64}
    for arch, mine in sides.items():
        other = arm64 if arch == "amd64" else amd64
        diff.failed_only_on[arch] = sorted(
            key
            for key, case in mine.items()
            if case.outcome == FAILED and key in other and other[key].outcome != FAILED
        )
        diff.skipped_only_on[arch] = sorted(
            key
            for key, case in mine.items()
            if case.outcome == SKIPPED and key in other and other[key].outcome != SKIPPED
        )
        diff.present_only_on[arch] = sorted(set(mine) - set(other))
    ratios = [
        (key, amd64[key].seconds, case.seconds)
        for key, case in arm64.items()
        if key in amd64 and amd64[key].seconds >= MIN_SECONDS and case.seconds >= MIN_SECONDS
    ]
    ratios.sort(key=lambda item: item[2] / item[1], reverse=True)
    diff.slower_on_arm64 = [item for item in ratios[:SLOWEST] if item[2] > item[1]]
    return diff


def failures(cases: dict[str, TestCase]) -> int:
    return sum(1 for case in cases.values() if case.outcome == FAILED)
