"""Size of `parity-bot fix` next to a hand-written change, job by job, in changed lines
(removed + added).

The input is a folder with `before/` (workflows with gaps) and `after/` (the same workflows
mended by hand): by default the pair this repository ships in `benchmarks/data/fix/`, whose
`after/` is the smallest change a maintainer would write; any other pair by argument, e.g.
the team's corpus: `benchmarks/fix_size.py ../shared/corpus/ipfs_kit_py`. A folder without
workflows in `before/` stops it with one line and exit 1.

Run: `.venv/bin/python benchmarks/fix_size.py [PAIR]`.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.analysis import analyze  # noqa: E402
from bot.core.config import Policy  # noqa: E402
from bot.core.fixes import line_edits, plan  # noqa: E402

SHIPPED = ROOT / "benchmarks" / "data" / "fix"
# A fixed day: runner retirements are judged against it, so the figures do not drift.
TODAY = date(2026, 11, 28)


def _jobs(path: str, text: str) -> list[tuple[int, str]]:
    report = analyze({path: text}, Policy(), TODAY)
    return sorted((job.job.line, job.job.id) for job in report.workflows[0].jobs)


def _by_job(path: str, before: str, after: str) -> dict[str, tuple[int, int]]:
    """(removed, added) lines per job of `before`, each edit owned by the job it falls in."""
    starts = _jobs(path, before)
    sizes: dict[str, tuple[int, int]] = {}
    for edit in line_edits(before, after):
        owner = next((job for line, job in reversed(starts) if line <= edit.start), "(top)")
        removed, added = sizes.get(owner, (0, 0))
        sizes[owner] = (removed + edit.end - edit.start + 1, added + edit.text.count("\n"))
    return sizes


def _read(folder: Path) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.glob("*"))
        if p.suffix in (".yml", ".yaml") and p.is_file()
    }


def _statuses(files: dict[str, str]) -> dict[tuple[str, str], str]:
    report = analyze(files, Policy(), TODAY)
    return {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}


def main() -> None:
    pair = Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED
    before = _read(pair / "before")
    if not before:
        sys.exit(f"nothing to measure: no workflow files (.yml, .yaml) in {pair / 'before'}")
    after = {**before, **_read(pair / "after")}
    ours = {**before, **{item.path: item.fixed_source for item in plan(before, Policy(), TODAY)}}
    was, hand_result, fix_result = _statuses(before), _statuses(after), _statuses(ours)
    print(
        f"{'file':<24} {'job':<24} {'before':<11} {'hand -/+':>9} {'result':<11} {'fix -/+':>8} {'result':<11}"
    )
    totals = {"hand": [0, 0], "fix": [0, 0]}
    rows = 0
    for name in sorted(before):
        human = _by_job(name, before[name], after[name])
        fixed = _by_job(name, before[name], ours[name])
        for job in sorted(set(human) | set(fixed)):
            (hr, ha), (fr, fa) = human.get(job, (0, 0)), fixed.get(job, (0, 0))
            for key, (removed, added) in (("hand", (hr, ha)), ("fix", (fr, fa))):
                totals[key][0] += removed
                totals[key][1] += added
            rows += 1
            print(
                f"{name:<24} {job:<24} {was.get((name, job), '-'):<11} {hr:>4}/{ha:<4} "
                f"{hand_result.get((name, job), '-'):<11} {fr:>3}/{fa:<4} {fix_result.get((name, job), '-')}"
            )
    (hr, ha), (fr, fa) = totals["hand"], totals["fix"]
    print(f"\n{rows} jobs changed in {pair}; lines: hand -{hr} +{ha} ({hr + ha}), fix -{fr} +{fa} ({fr + fa})")


if __name__ == "__main__":
    main()
