"""Size of `parity-bot fix` on ipfs_kit_py's `before` state next to the real hand-written
change (`before-to-after.patch`), job by job, in changed lines (removed + added).

Run: `.venv/bin/python benchmarks/fix_size.py`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.core.analysis import analyze
from bot.core.config import Policy
from bot.core.fixes import line_edits, plan

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ipfs_kit_py"
TODAY = date(2026, 11, 28)


def _jobs(path: str, text: str) -> list[tuple[int, str]]:
    report = analyze({path: text}, Policy(), TODAY)
    return sorted((job.job.line, job.job.id) for job in report.workflows[0].jobs)


def _by_job(path: str, before: str, after: str) -> dict[str, tuple[int, int]]:
    starts = _jobs(path, before)
    sizes: dict[str, tuple[int, int]] = {}
    for edit in line_edits(before, after):
        owner = next((job for line, job in reversed(starts) if line <= edit.start), "(top)")
        removed, added = sizes.get(owner, (0, 0))
        sizes[owner] = (removed + edit.end - edit.start + 1, added + edit.text.count("\n"))
    return sizes


def main() -> None:
    before = {p.name: p.read_text(encoding="utf-8") for p in sorted((CORPUS / "before").glob("*.yml"))}
    after = {p.name: p.read_text(encoding="utf-8") for p in sorted((CORPUS / "after").glob("*.yml"))}
    ours = {item.path: item.fixed_source for item in plan(before, Policy(), TODAY)}
    report = analyze(before, Policy(), TODAY)
    status = {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}
    after_status = {
        (wf.path, job.job.id): job.status for wf in analyze(after, Policy(), TODAY).workflows for job in wf.jobs
    }
    rows = []
    for name in sorted(set(before) & (set(after) | set(ours))):
        human = _by_job(name, before[name], after.get(name, before[name]))
        fixed = _by_job(name, before[name], ours.get(name, before[name]))
        for job in sorted(set(human) | set(fixed)):
            rows.append(
                (
                    name,
                    job,
                    human.get(job, (0, 0)),
                    fixed.get(job, (0, 0)),
                    after_status.get((name, job), "-"),
                    status.get((name, job), "-"),
                )
            )
    print(f"{'file':<34} {'job':<36} {'hand -/+':>9} {'fix -/+':>8}  hand-written result")
    total_h = [0, 0]
    total_f = [0, 0]
    for name, job, (hr, ha), (fr, fa), hand_status, _ in rows:
        if (hr, ha) == (0, 0):
            continue
        print(f"{name:<34} {job:<36} {hr:>4}/{ha:<4} {fr:>3}/{fa:<4}  {hand_status}")
    for *_, (hr, ha), (fr, fa), _, _ in rows:
        total_h[0] += hr
        total_h[1] += ha
        total_f[0] += fr
        total_f[1] += fa
    both = [row for row in rows if row[2] != (0, 0)]
    fix_on_same = [sum(row[3]) for row in both]
    hand_on_same = [sum(row[2]) for row in both]
    print(
        f"\njobs the hand-written change touched: {len(both)}; changed lines there: "
        f"hand {sum(hand_on_same)}, fix {sum(fix_on_same)}"
    )
    print(
        f"whole state: hand -{total_h[0]} +{total_h[1]}, fix -{total_f[0]} +{total_f[1]} "
        f"(fix also covers {sum(1 for r in rows if r[2] == (0, 0))} jobs the hand change left)"
    )


if __name__ == "__main__":
    main()
