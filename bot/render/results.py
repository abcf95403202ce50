"""The results comment (one per pull request, edited in place) and the results check run."""

from __future__ import annotations

from bot.core.limits import COMMENT_MAX_CHARS
from bot.core.pairing import Pair, Pairing, RunJob
from bot.core.results import LogComparison, TestResults
from bot.core.runners import AMD64, ARM64
from bot.core.words import count, verb
from bot.render.check_run import clip
from bot.render.safe import code, fence, link, text

MARKER = "<!-- parity-bot:results -->"
CHECK_NAME = "Arch parity results"
RERUN_ACTION = {"label": "Rerun arm64", "description": "Rerun failed arm64 legs", "identifier": "rerun-arm64"}
_ICON = {"success": "✅", "failure": "❌", "cancelled": "⛔", "skipped": "⏭️", "timed_out": "⌛"}
MAX_TESTS = 15  # per list; the rest are counted
SECTION_CHARS = 12_000  # of one pair's log section, about: later failures are listed by name


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def _side(job: RunJob | None) -> str:
    if job is None:
        return "—"
    if not job.done:
        return f"⏳ {job.status.replace('_', ' ')}"
    conclusion = job.conclusion or "?"
    flaky = " (flaky: passed on rerun)" if job.flaky else ""
    return f"{_ICON.get(conclusion, '❔')} {link(conclusion, job.html_url)} {_duration(job.seconds)}{flaky}"


def _matrix(pair: Pair) -> str:
    return ", ".join(f"{key}={value}" for key, value in pair.matrix.items())


def _differs(pair: Pair) -> bool:
    return (
        pair.outcome_differs
        or pair.arm64 is None
        or pair.note is not None
        or any(side is not None and side.flaky for side in (pair.amd64, pair.arm64))
    )


def differences(pairing: Pairing, tests: TestResults) -> int:
    return (
        sum(1 for pair in pairing.pairs if _differs(pair))
        + sum(1 for c in tests.comparisons if c.diff.differs)
        + len(tests.swallowed)
        + sum(1 for logs in tests.logs if not logs.pair.outcome_differs and logs.differs)
    )


def one_arch_failures(pairing: Pairing, tests: TestResults) -> list[str]:
    """What fails on one architecture only (the results check fails on these)."""
    found = [
        f"{code(pair.job_id)} {text(_matrix(pair))}: {pair.amd64.conclusion if pair.amd64 else '?'} on "
        f"amd64, {pair.arm64.conclusion if pair.arm64 else '?'} on arm64"
        for pair in pairing.pairs
        if pair.outcome_differs
    ]
    for comparison in tests.comparisons:
        for arch, ids in comparison.diff.failed_only_on.items():
            if ids:
                found.append(
                    f"{count(len(ids), 'test')} of {code(comparison.label)} "
                    f"{verb(len(ids), 'fails', 'fail')} on {arch} only"
                )
    found += [
        f"{code(item.job.name)} ({item.arch}) passed with {count(item.failed, 'failing test')} "
        f"in {code(item.artifact)} (failures swallowed)"
        for item in tests.swallowed
    ]
    for logs in tests.logs:
        for arch, failed in logs.failed_only_on.items():
            if failed:
                found.append(
                    f"{count(len(failed), 'test')} of {code(logs.pair.job_id)} {text(_matrix(logs.pair))} "
                    f"{verb(len(failed), 'fails', 'fail')} on {arch} only (from its log): "
                    + ", ".join(code(failure.test) for failure in failed[:MAX_TESTS])
                    + (f" and {len(failed) - MAX_TESTS} more" if len(failed) > MAX_TESTS else "")
                )
    return found


def comment(
    sha: str, pairing: Pairing, tests: TestResults, limit: int = COMMENT_MAX_CHARS, excerpts: bool = True
) -> str:
    pairs = sorted(pairing.pairs, key=lambda pair: (not _differs(pair), pair.workflow, pair.job_id))
    head = [MARKER, f"## Arch parity results for `{sha[:7]}`", ""]
    ready = sum(1 for pair in pairs if pair.ready)
    state = "all legs finished" if pairing.complete else "some legs are still running"
    head.append(
        f"{count(len(pairs), 'amd64/arm64 pair')}, {ready} finished ({state}); "
        f"{count(differences(pairing, tests), 'difference')}."
    )
    head.append("")
    for item in tests.swallowed:
        head.append(
            f"> ⚠️ **Failures swallowed**: {code(item.job.name)} ({item.arch}) succeeded, "
            f"but {code(item.artifact)} reports {count(item.failed, 'failing test')}."
        )
    if tests.swallowed:
        head.append("")
    body: list[str] = []
    for workflow in sorted({pair.workflow for pair in pairs}):
        body += [
            f"**{text(workflow)}**",
            "",
            "| job | matrix | amd64 | arm64 | arm64/amd64 time |",
            "| --- | --- | --- | --- | --- |",
        ]
        for pair in (p for p in pairs if p.workflow == workflow):
            ratio = f"{pair.ratio:.2f}×" if pair.ratio is not None else ""
            arm = _side(pair.arm64) if pair.arm64 is not None else f"— {text(pair.note or '')}"
            if pair.arm64 is not None and pair.note and not pair.arm64.done:
                arm = f"⏳ {text(pair.note)}"
            body.append(
                f"| {code(pair.job_id, table=True)} | {text(_matrix(pair))} | {_side(pair.amd64)} "
                f"| {arm} | {ratio} |"
            )
        body.append("")
    # JUnit reports first (the order), then the logs of the pairs that differ; a pair
    # that failed the same way on both sides is one row of the table, not a section.
    details = _test_details(tests) + [_log_details(logs, excerpts) for logs in tests.logs if logs.differs]
    out = "\n".join(head + body)
    for extra in details:
        candidate = out + "\n" + extra
        if len(candidate) > limit - 200:
            out += (
                "\n\n_Truncated: the full difference does not fit in one comment "
                f'({limit} characters); the "{CHECK_NAME}" check run has the summary._'
            )
            break
        out = candidate
    return out[:limit]


def _block(lines: tuple[str, ...], excerpts: bool) -> list[str]:
    return [fence("\n".join(lines)), ""] if excerpts and lines else []


def _log_details(logs: LogComparison, excerpts: bool) -> str:
    """Why a pair differs, from the failed side's log: its failing step and error, and the
    tests that failed on one architecture only, each with its excerpt (collapsed)."""
    pair = logs.pair
    lines: list[str] = []
    headline: list[str] = []
    for arch in (ARM64, AMD64):
        reading = logs.readings.get(arch)
        if reading is None:
            continue
        step, there = logs.step_outcome(arch)
        other = AMD64 if arch == ARM64 else ARM64
        if step is not None:
            headline.append(f"<code>{text(step)}</code> failed on {arch}")
            did = text(_DID.get(there, there)) if there else None
            elsewhere = f"on {other} it {did}" if did else f"no such step ran on {other}"
            lines.append(f"**{arch}**: step {code(step)} failed; {elsewhere}.")
        else:
            lines.append(f"**{arch}**: failed; the jobs API names no failed step.")
        lines.append("")
        lines += _block(reading.error, excerpts)
        if reading.problem:
            lines += [f"_The {arch} log: {text(reading.problem)}._", ""]
        elif not reading.runners and logs.junit is None:
            lines += [f"_No test runner's output known to parity-bot was found in the {arch} log._", ""]
    if logs.junit is not None:
        lines += [f"Tests: see the JUnit comparison of {code(logs.junit)} below.", ""]
    for arch in (ARM64, AMD64):
        failed = logs.failed_only_on.get(arch) or []
        if failed:
            headline.append(f"{count(len(failed), 'test')} failed on {arch} only")
            lines += [f"Failed on {arch} only ({len(failed)}):", ""]
        for failure in failed[:MAX_TESTS]:
            # Excerpts while the section has room: one pair never crowds the others out.
            if excerpts and failure.excerpt and sum(map(len, lines)) < SECTION_CHARS:
                lines += [
                    f"<details><summary><code>{text(failure.test)}</code></summary>",
                    "",
                    *_block(failure.excerpt, excerpts),
                    "</details>",
                    "",
                ]
            else:
                lines.append(f"- {code(failure.test)}")
        if len(failed) > MAX_TESTS:
            lines += [f"- and {len(failed) - MAX_TESTS} more", ""]
    summary = "; ".join(headline) or "outcomes differ"
    matrix = f" ({text(_matrix(pair))})" if pair.matrix else ""
    return (
        f"<details><summary><code>{text(pair.job_id)}</code>{matrix}: {summary}</summary>\n\n"
        + "\n".join(lines).rstrip()
        + "\n\n</details>"
    )


_DID = {"success": "passed", "failure": "failed too", "skipped": "was skipped", "cancelled": "was cancelled"}


def _ids(title: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    shown = ", ".join(code(test) for test in ids[:MAX_TESTS])
    more = f" and {len(ids) - MAX_TESTS} more" if len(ids) > MAX_TESTS else ""
    return [f"- {title} ({len(ids)}): {shown}{more}"]


def _test_details(tests: TestResults) -> list[str]:
    sections: list[str] = []
    for comparison in tests.comparisons:
        diff = comparison.diff
        lines: list[str] = []
        for arch in ("arm64", "amd64"):
            lines += _ids(f"failed only on {arch}", diff.failed_only_on.get(arch, []))
        for arch in ("arm64", "amd64"):
            lines += _ids(f"skipped only on {arch}", diff.skipped_only_on.get(arch, []))
        for arch in ("amd64", "arm64"):
            lines += _ids(f"only on {arch}", diff.present_only_on.get(arch, []))
        if diff.slower_on_arm64:
            lines.append(
                "- slowest on arm64: "
                + ", ".join(
                    f"{code(test)} {arm / amd:.1f}× ({amd:.2f}s → {arm:.2f}s)"
                    for test, amd, arm in diff.slower_on_arm64
                )
            )
        summary = "tests differ" if diff.differs else "same tests, same outcomes"
        sections.append(
            f"<details><summary><code>{text(comparison.label)}</code>: {summary} "
            f"({len(comparison.amd64.cases or {})} on amd64, "
            f"{len(comparison.arm64.cases or {})} on arm64)</summary>\n\n"
            + ("\n".join(lines) or "No difference.")
            + "\n\n</details>"
        )
    for artifact in tests.unreadable:
        sections.append(f"- {code(artifact.name)} could not be read: {text(artifact.error)}")
    for artifact in tests.unattributed:
        sections.append(f"- {code(artifact.name)}: no architecture in its name and its run has both")
    return sections


def check_output(pairing: Pairing, tests: TestResults, fail_on_difference: bool) -> tuple[str, str, str]:
    """(conclusion, title, summary) of the results check run."""
    failing = one_arch_failures(pairing, tests)
    if failing:
        conclusion = "failure" if fail_on_difference else "neutral"
        title = (
            f"{count(len(failing), 'result')} {verb(len(failing), 'differs', 'differ')} between amd64 and arm64"
        )
        summary = clip("\n".join(f"- {line}" for line in failing))
    else:
        conclusion = "success"
        title = "amd64 and arm64 agree"
        summary = (
            f"{count(len(pairing.pairs), 'pair')} compared; no job or test fails on one architecture only."
        )
    return conclusion, title, summary
