"""JUnit reports from test-result artifacts, and the test-level difference of two legs.

Artifacts are zip files someone else's CI uploaded: sizes are capped before anything is
inflated, and XML is parsed by defusedxml (no entity expansion, no external entities)
before junitparser reads the model.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024  # all reports in one artifact, inflated
MAX_RATIO = 200  # a zip member that inflates more than this is a bomb

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class JUnitError(Exception):
    """An artifact or report that cannot be read safely."""


@dataclass(frozen=True, slots=True)
class TestCase:
    id: str  # classname::name (or name)
    outcome: str
    seconds: float


def parse_report(data: bytes) -> dict[str, TestCase]:
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException
    from junitparser import Error, Failure, JUnitXml, Skipped
    from junitparser import TestCase as Case

    try:
        root = safe_xml.fromstring(data)
    except (DefusedXmlException, safe_xml.ParseError) as exc:
        raise JUnitError(f"not a safe XML document: {exc}") from None
    try:
        report = JUnitXml.fromroot(root)
    except Exception as exc:  # junitparser raises plain exceptions on odd roots
        raise JUnitError(f"not a JUnit report: {exc}") from None
    cases: dict[str, TestCase] = {}
    stack: list[Any] = [report]
    while stack:  # suites nest (<testsuites><testsuite><testsuite>…)
        node = stack.pop()
        if not isinstance(node, Case):
            stack.extend(node)
            continue
        name = node.name or "?"
        key = f"{node.classname}::{name}" if node.classname else name
        results = node.result or []
        if any(isinstance(item, (Failure, Error)) for item in results):
            outcome = FAILED
        elif any(isinstance(item, Skipped) for item in results):
            outcome = SKIPPED
        else:
            outcome = PASSED
        cases[key] = TestCase(key, outcome, float(node.time or 0.0))
    return cases


def read_artifact(data: bytes) -> dict[str, TestCase]:
    """Every JUnit report (`*.xml`) in an artifact zip, merged."""
    if len(data) > MAX_ZIP_BYTES:
        raise JUnitError(f"artifact is {len(data)} bytes; the limit is {MAX_ZIP_BYTES}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise JUnitError("artifact is not a zip file") from None
    total = 0
    cases: dict[str, TestCase] = {}
    with archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.lower().endswith(".xml"):
                continue
            total += member.file_size
            if total > MAX_XML_BYTES:
                raise JUnitError("reports inflate past the size limit")
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise JUnitError(f"{member.filename} inflates {MAX_RATIO}x or more (a zip bomb?)")
            with archive.open(member) as handle:
                content = handle.read(MAX_XML_BYTES + 1)
            if len(content) > MAX_XML_BYTES:
                raise JUnitError("reports inflate past the size limit")
            cases.update(parse_report(content))
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
