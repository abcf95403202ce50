"""`fix_images: platforms`: a job that pushes the image it builds gets linux/arm64 in its
build's platforms (and QEMU before buildx), announced, never a second pushing leg; without
the opt-in it is refused, and the refusal names the opt-in.

The invariant here is the test's own, read from the YAML and not from the engine's
`invariant` module: no leg added (the same matrix values on the same runners), no step
removed or moved, the only changes are platforms values that gained linux/arm64 and one
docker/setup-qemu-action step before the first of them. Then `check` finds the job at
parity, a second `fix` changes nothing, and the file still validates."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bot.core import invariant
from bot.core.analysis import JobReport, analyze
from bot.core.config import IMAGES_PLATFORMS, Policy, load_policy
from bot.core.edits import apply
from bot.core.emulation import bake_platforms, platform_items
from bot.core.fixes import IMAGES_SUGGESTS, JobFix, apply_plans, plan
from bot.core.verdicts import AMD64_ONLY, PARITY
from bot.core.yamlnodes import parse, plain
from bot.render.review import suggestions
from tests.conftest import CORPUS, TODAY, workflow_files
from tests.test_cli import run
from tests.test_fixes import _schema_errors

IMAGES = Policy(fix_images=IMAGES_PLATFORMS)
QEMU = "docker/setup-qemu-action"
OPT_IN = "`fix_images: platforms` in .github/parity.yml or `parity-bot fix --images platforms`"
ANNOUNCED = (
    "the existing job now also builds linux/arm64 under QEMU",
    "one multi-arch manifest under the same tags as before",
    "several times slower than the amd64 one",
)


def image_job(build: str, setup: str = "      - uses: docker/setup-buildx-action@v3\n") -> str:
    """A workflow whose job `image` sets up `setup`, then runs `build` (steps, indented)."""
    return (
        "on: push\n"
        "jobs:\n"
        "  image:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n" + setup + build
    )


def fix(source: str, policy: Policy = IMAGES) -> tuple[str, JobFix]:
    files = {"ci.yml": source}
    plans = plan(files, policy, TODAY)
    assert len(plans) == 1 and len(plans[0].jobs) == 1, plans
    return apply_plans(plans).get("ci.yml", source), plans[0].jobs[0]


def jobs(files: dict[str, str], policy: Policy = IMAGES) -> dict[str, JobReport]:
    report = analyze(files, policy, TODAY)
    return {f"{wf.path}:{job.job.id}": job for wf in report.workflows for job in wf.jobs}


# --------------------------------------------------------------- the test's own invariant


def _action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0]


def _platforms_widened(old: Any, new: Any, key: str) -> bool:
    if key == "platforms":
        if old is None:  # the runner's platform, and arm64
            return platform_items(str(new)) == ["linux/amd64", "linux/arm64"]
        return platform_items(str(new)) == [*platform_items(str(old)), "linux/arm64"]
    if key == "set" and isinstance(old, str) and isinstance(new, str):
        pairs = list(zip(old.splitlines(), new.splitlines(), strict=True))
        return all(
            one == other or bake_platforms(other) == [p + ",linux/arm64" for p in bake_platforms(one)]
            for one, other in pairs
        )
    return False


def assert_only_platforms_widened(before: str, after: str, job_id: str) -> None:
    old_jobs, new_jobs = plain(parse(before))["jobs"], plain(parse(after))["jobs"]
    for name in old_jobs:
        if name != job_id:
            assert old_jobs[name] == new_jobs[name], name
    old, new = old_jobs[job_id], new_jobs[job_id]
    assert {k: v for k, v in old.items() if k != "steps"} == {k: v for k, v in new.items() if k != "steps"}
    old_steps, new_steps = list(old["steps"]), list(new["steps"])
    if len(new_steps) == len(old_steps) + 1:
        added = next(i for i, (a, b) in enumerate(zip([*old_steps, None], new_steps, strict=True)) if a != b)
        assert _action(new_steps[added]) == QEMU, new_steps[added]
        del new_steps[added]
    else:
        added = None
        assert len(new_steps) == len(old_steps)
    changed = [i for i, (a, b) in enumerate(zip(old_steps, new_steps, strict=True)) if a != b]
    assert changed, "no build was widened"
    assert added is None or added <= changed[0], "QEMU must be set up before the first widened build"
    for index in changed:
        a, b = old_steps[index], new_steps[index]
        assert {k: v for k, v in a.items() if k != "with"} == {k: v for k, v in b.items() if k != "with"}
        keys = set(a.get("with", {})) | set(b.get("with", {}))
        for key in keys:
            one, other = a.get("with", {}).get(key), b.get("with", {}).get(key)
            if one != other:
                assert _platforms_widened(one, other, key), (index, key, one, other)


def assert_fixed(before: str, after: str, job_id: str = "image", path: str = "ci.yml") -> None:
    """The invariant, then `check` finds the job at parity with the same runners, and a
    second fix changes nothing."""
    assert_only_platforms_widened(before, after, job_id)
    old, new = jobs({path: before})[f"{path}:{job_id}"], jobs({path: after})[f"{path}:{job_id}"]
    assert old.status == AMD64_ONLY and new.status == PARITY, new.verdict.reason

    def runs(report: JobReport) -> set[tuple[str, tuple[str, ...]]]:
        return {(str(leg.matrix), leg.runner) for leg in report.legs}

    assert runs(old) == runs(new)  # no leg added: the arm64 build runs in the same job
    assert {leg.arch for leg in new.legs if leg.emulated} == {"arm64"}
    # and the arm64 build can run: QEMU is registered before the first build that pushes
    steps = new.job.steps
    first = min(
        step.index for step in steps if "build-push-action" in str(step.uses) or "bake" in str(step.uses)
    )
    assert any(str(step.uses).startswith(QEMU) or "binfmt" in str(step.run) for step in steps[:first]), (
        "no QEMU before the build"
    )
    # a second fix leaves the job alone (the file's other jobs may still get their legs)
    assert job_id not in {job.job_id for item in plan({path: after}, IMAGES, TODAY) for job in item.jobs}


def assert_announced(job: JobFix) -> None:
    assert job.fixed and job.suggests == IMAGES_SUGGESTS, job.reason
    note = next(note for note in job.notes if note.startswith(ANNOUNCED[0]))
    assert all(part in note for part in ANNOUNCED), note


# ------------------------------------------------------------------------------ the forms


BUILD = """\
      - name: Build and push
        uses: docker/build-push-action@v6
        with:
          context: .
          platforms: {platforms}
          push: true
          tags: ghcr.io/o/r:latest
"""


def test_a_scalar_gains_linux_arm64_in_its_own_style_after_a_qemu_step_named_like_its_neighbour() -> None:
    source = image_job(
        BUILD.format(platforms="'linux/amd64'  # amd64 for now"),
        setup="\n      # buildx for the cache\n      - name: Set up Buildx\n"
        "        uses: docker/setup-buildx-action@v3\n\n",
    )
    fixed, job = fix(source)
    assert fixed == source.replace(
        "\n      # buildx",
        "\n      - name: Set up QEMU\n        uses: docker/setup-qemu-action@v3\n\n      # buildx",
    ).replace("'linux/amd64'  #", "'linux/amd64,linux/arm64'  #")
    assert_fixed(source, fixed)
    assert_announced(job)
    assert "docker/setup-qemu-action@v3" in job.notes[0]


def test_a_comma_list_keeps_its_spacing_and_a_block_list_gets_a_line() -> None:
    source = image_job(BUILD.format(platforms='"linux/amd64, linux/386"'))
    fixed, job = fix(source)
    assert 'platforms: "linux/amd64, linux/386, linux/arm64"\n' in fixed
    assert_fixed(source, fixed)
    block = image_job(BUILD.format(platforms="|\n            linux/amd64\n            linux/386"))
    fixed, job = fix(block)
    assert "platforms: |\n            linux/amd64\n            linux/386\n            linux/arm64\n" in fixed
    assert_fixed(block, fixed)
    assert_announced(job)


def test_a_build_without_platforms_gets_the_runners_platform_and_arm64() -> None:
    source = image_job(BUILD.replace("          platforms: {platforms}\n", ""))
    fixed, job = fix(source)
    assert fixed.endswith("          tags: ghcr.io/o/r:latest\n          platforms: linux/amd64,linux/arm64\n")
    assert "      - uses: docker/setup-qemu-action@v3\n      - uses: docker/setup-buildx-action@v3\n" in fixed
    assert_fixed(source, fixed)
    assert "(it had none: it built the runner's linux/amd64)" in job.notes[0]


def test_qemu_already_set_up_is_not_added_again() -> None:
    source = image_job(
        BUILD.format(platforms="linux/amd64"),
        setup="      - run: docker run --privileged --rm tonistiigi/binfmt --install all\n"
        "      - uses: docker/setup-buildx-action@v3\n",
    )
    fixed, job = fix(source)
    assert fixed == source.replace("platforms: linux/amd64", "platforms: linux/amd64,linux/arm64")
    assert_fixed(source, fixed)
    assert "setup-qemu" not in job.notes[0]


def test_qemu_is_pinned_to_the_major_of_the_files_buildx() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"), "      - uses: docker/setup-buildx-action@v2\n")
    fixed, _ = fix(source)
    assert "      - uses: docker/setup-qemu-action@v2\n      - uses: docker/setup-buildx-action@v2\n" in fixed
    source = image_job(BUILD.format(platforms="linux/amd64"), "      - uses: docker/setup-buildx-action@main\n")
    assert "docker/setup-qemu-action@v4\n" in fix(source)[0]  # no major to follow: the newest


@pytest.mark.parametrize(
    ("ref", "how"),
    [("8d2750c68a42422c14e847fe6c8ac0403b4cbd6f # v3", "a commit"), ("v3.1.0", "an exact release")],
)
def test_a_file_that_pins_docker_actions_exactly_is_refused_unless_qemu_is_there(ref: str, how: str) -> None:
    source = image_job(
        BUILD.format(platforms="linux/amd64"), f"      - uses: docker/setup-buildx-action@{ref}\n"
    )
    fixed, job = fix(source)
    assert fixed == source and not job.fixed
    assert f"the file pins its docker actions to {how} (docker/setup-buildx-action@" in job.reason
    assert "add docker/setup-qemu-action pinned the same way before step" in job.reason
    pinned = source.replace(
        "      - uses: docker/setup-buildx-action@",
        f"      - uses: docker/setup-qemu-action@{ref}\n      - uses: docker/setup-buildx-action@",
    )
    fixed, job = fix(pinned)
    assert job.fixed and fixed == pinned.replace("linux/amd64", "linux/amd64,linux/arm64")
    assert_fixed(pinned, fixed)


def test_bake_gets_linux_arm64_in_its_platform_override() -> None:
    source = image_job(
        "      - uses: docker/bake-action@v6\n"
        "        with:\n"
        "          push: true\n"
        "          set: |\n"
        "            *.platform=linux/amd64\n"
        "            *.cache-from=type=gha\n"
    )
    fixed, job = fix(source)
    assert "            *.platform=linux/amd64,linux/arm64\n            *.cache-from=type=gha\n" in fixed
    assert_fixed(source, fixed)
    assert_announced(job)
    from_file = source.replace("            *.platform=linux/amd64\n", "")
    fixed, job = fix(from_file)
    assert fixed == from_file and "takes its platforms from the bake file" in job.reason


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (
            BUILD.format(platforms="${{ env.PLATFORMS }}"),
            "step 'Build and push' (line 8) takes its platforms from an expression (${{ env.PLATFORMS }}), "
            "which the engine does not edit",
        ),
        (BUILD.format(platforms="${{ matrix.platform }}"), "takes its platforms from the matrix"),
        (
            "      - run: docker buildx build --platform linux/amd64 --push -t ghcr.io/o/r .\n",
            "(line 8) pushes from a script (runs `docker buildx build --platform linux/amd64 --push`)",
        ),
        (
            BUILD.format(platforms="linux/amd64").replace("push: true", "push: true\n          load: true"),
            "loads the image into docker (load: true), which cannot hold a multi-platform image",
        ),
    ],
)
def test_forms_the_engine_does_not_edit_are_refused_with_their_reason(build: str, reason: str) -> None:
    source = image_job(build)
    if "matrix." in build:
        source = source.replace(
            "    steps:\n", "    strategy:\n      matrix:\n        platform: [linux/amd64]\n    steps:\n"
        )
    fixed, job = fix(source)
    assert fixed == source and not job.fixed
    assert reason in job.reason, job.reason


def test_a_build_with_docker_s_own_driver_is_refused() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"), setup="")
    fixed, job = fix(source)
    assert fixed == source
    assert "no docker/setup-buildx-action runs before step 'Build and push' (line 7)" in job.reason


def test_a_job_that_also_publishes_elsewhere_keeps_the_publish_refusal() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64") + "      - run: twine upload dist/*\n")
    fixed, job = fix(source)
    assert fixed == source and not job.fixed
    assert job.reason.startswith("it pushes an image") or job.reason.startswith("it publishes"), job.reason


def test_emulated_arm64_that_does_not_count_is_refused_saying_so() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"))
    fixed, job = fix(source, Policy(fix_images=IMAGES_PLATFORMS, allow_emulated=False))
    assert fixed == source
    assert "built under QEMU, which allow_emulated: false does not count" in job.reason


# ------------------------------------------------------------------ without the opt-in


def test_without_the_opt_in_the_job_is_refused_and_the_refusal_names_it() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"))
    fixed, job = fix(source, Policy())
    assert fixed == source and not job.fixed
    assert "an arm64 leg would push the same tags again" in job.reason and OPT_IN in job.reason
    finding = next(item for item in jobs({"ci.yml": source}, Policy())["ci.yml:image"].findings)
    assert finding.rule == "missing-arm64-leg" and OPT_IN in finding.message
    # opted in, `check` no longer says fix cannot do it
    opted = next(item for item in jobs({"ci.yml": source})["ci.yml:image"].findings)
    assert "fix cannot add it" not in opted.message


def test_the_config_key_and_the_flag(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    source = image_job(BUILD.format(platforms="linux/amd64"))
    (workflows / "ci.yml").write_text(source)
    refused = run("fix", str(tmp_path))
    assert (refused.returncode, refused.stdout) == (1, "") and OPT_IN in refused.stderr
    flagged = run("fix", "--images", "platforms", str(tmp_path))
    assert flagged.returncode == 0, flagged.stderr
    assert "+          platforms: linux/amd64,linux/arm64\n" in flagged.stdout
    assert "+      - uses: docker/setup-qemu-action@v3\n" in flagged.stdout
    assert all(part in flagged.stderr for part in ANNOUNCED)
    (tmp_path / ".github" / "parity.yml").write_text("fix_images: platforms\n")
    assert load_policy("fix_images: platforms\n").fix_images == IMAGES_PLATFORMS
    configured = run("fix", "--write", str(tmp_path))
    assert configured.returncode == 0 and "fixed 1 job in 1 file" in configured.stderr
    assert run("check", str(tmp_path)).returncode == 0
    # the flag overrides the config
    (workflows / "ci.yml").write_text(source)
    assert run("fix", "--images", "refuse", str(tmp_path)).returncode == 1


def test_the_suggestion_says_what_changes() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"))
    lines = len(source.splitlines())
    patch = f"@@ -0,0 +1,{lines} @@\n" + "".join("+" + line for line in source.splitlines(keepends=True))
    report = analyze({"ci.yml": source}, IMAGES, TODAY)
    found, outside, notes, _ = suggestions(
        {"ci.yml": source.encode()}, {"ci.yml": patch}, IMAGES, report, TODAY
    )
    assert found and not outside
    body = "\n".join(item.comment["body"] for item in found)
    assert f"job `image` {IMAGES_SUGGESTS}." in body
    assert "Check before committing" in body and "under QEMU" in body
    assert any("under QEMU" in note for note in notes)


# ---------------------------------------------------------- the engine's own invariant


def test_the_engines_invariant_refuses_more_than_widened_platforms() -> None:
    source = image_job(BUILD.format(platforms="linux/amd64"))
    before = jobs({"ci.yml": source})["ci.yml:image"]
    fixed, _ = fix(source)
    assert invariant.platform_changes(before, jobs({"ci.yml": fixed})["ci.yml:image"]) == []
    for broken in (
        fixed.replace("tags: ghcr.io/o/r:latest", "tags: ghcr.io/o/r:arm"),  # another input
        fixed.replace("      - uses: actions/checkout@v4\n", ""),  # a step dropped
        fixed.replace("linux/amd64,linux/arm64", "linux/arm64,linux/amd64"),  # not appended
        fixed.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    timeout-minutes: 5\n"),
    ):
        assert invariant.platform_changes(before, jobs({"ci.yml": broken})["ci.yml:image"]), broken
    late = source.replace(
        "      - name: Build and push\n",
        "      - uses: docker/setup-buildx-action@v3\n      - name: Build and push\n",
    )
    moved = (
        fixed.replace("      - uses: docker/setup-qemu-action@v3\n", "")
        + "      - uses: docker/setup-qemu-action@v3\n"
    )
    assert invariant.platform_changes(
        jobs({"ci.yml": late})["ci.yml:image"], jobs({"ci.yml": moved})["ci.yml:image"]
    )


# -------------------------------------------------------------------------- the corpus

IPFS = ["ipfs_kit_py/before", "ipfs_kit_py/after", "ipfs_kit_py/optional", "ipfs_kit_py/latest"]
# the buildx jobs of ipfs_kit_py that push: fixed, but for amd64-release.yml's, whose
# platforms are `${{ env.AMD64_ARCH }}`
IMAGE_JOBS = {
    ("amd64-python-package.yml", "docker-build"): True,
    ("blue_green_pipeline.yml", "build"): True,
    ("final-mcp-server.yml", "publish-docker"): True,
    ("amd64-release.yml", "amd64-docker-build"): False,
    ("amd64-release.yml", "amd64-docker-gpu-build"): False,
}


def texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in workflow_files(folder)}


@pytest.mark.parametrize("state", IPFS)
def test_the_corpus_image_jobs_get_their_platforms_and_nothing_else_changes(state: str) -> None:
    files = texts(CORPUS / state)
    default, opted = plan(files, Policy(), TODAY), plan(files, IMAGES, TODAY)
    outcomes = {(item.path, job.job_id): job for item in opted for job in item.jobs}
    for key, fixed in IMAGE_JOBS.items():
        assert outcomes[key].fixed is fixed, (key, outcomes[key].reason)
    assert "takes its platforms from an expression (${{ env.AMD64_ARCH }})" in (
        outcomes[("amd64-release.yml", "amd64-docker-build")].reason
    )
    # every other job's outcome is what the default gives it
    others = {(item.path, job.job_id): (job.fixed, job.reason) for item in default for job in item.jobs}
    assert {key: (job.fixed, job.reason) for key, job in outcomes.items() if key not in IMAGE_JOBS} == {
        key: value for key, value in others.items() if key not in IMAGE_JOBS
    }
    fixed_files = {**files, **apply_plans(opted)}
    for (path, job_id), fixed in IMAGE_JOBS.items():
        if fixed:
            assert_fixed(files[path], _only_job(files[path], job_id), job_id, path)
    again = plan(fixed_files, IMAGES, TODAY)
    assert apply_plans(again) == {}


def _only_job(before: str, job_id: str) -> str:
    """The file with only `job_id`'s image fix applied: the other jobs' fixes are the
    default ones, which their own invariant (test_fix_invariant) covers."""
    (item,) = plan({"x.yml": before}, IMAGES, TODAY)
    (job,) = [job for job in item.jobs if job.job_id == job_id]
    text = apply(before, job.edits)
    assert text != before
    return text


def test_the_fixed_corpus_validates_against_the_workflow_schema(tmp_path: Path) -> None:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is a test dependency"
    files = texts(CORPUS / "ipfs_kit_py/latest")
    fixed = {**files, **apply_plans(plan(files, IMAGES, TODAY))}
    for kind, contents in (("original", files), ("fixed", fixed)):
        (tmp_path / kind).mkdir()
        for name, text in contents.items():
            (tmp_path / kind / name).write_text(text, encoding="utf-8")
    assert _schema_errors(tool, tmp_path / "fixed") <= _schema_errors(tool, tmp_path / "original")


def test_synthetic_fixes_validate_against_the_workflow_schema(tmp_path: Path) -> None:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is a test dependency"
    sources = [
        image_job(BUILD.format(platforms="linux/amd64")),
        image_job(BUILD.replace("          platforms: {platforms}\n", "")),
        image_job(BUILD.format(platforms="|\n            linux/amd64")),
        image_job(
            "      - uses: docker/bake-action@v6\n        with:\n          push: true\n"
            "          set: '*.platform=linux/amd64'\n"
        ),
    ]
    for index, source in enumerate(sources):
        fixed, job = fix(textwrap.dedent(source))
        assert job.fixed, job.reason
        (tmp_path / f"{index}.yml").write_text(fixed, encoding="utf-8")
    assert _schema_errors(tool, tmp_path) == set()
