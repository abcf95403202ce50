"""The bot's replies to `/parity` commands and to the "Rerun arm64" button, as Markdown."""

from __future__ import annotations

from bot.core.commands import HELP, Command, Run
from bot.core.limits import COMMAND_ECHO_MAX_CHARS, RERUN_MAX_AGE_DAYS
from bot.core.pairing import RunJob
from bot.core.words import count, verb
from bot.render.safe import code, link, text

# Put in every reply to a command comment, so a retried delivery can tell it was answered.
REPLY_MARKER = "<!-- parity-bot:reply {id} -->"


def reply(user: str, answers: list[str], marker: str = "") -> str:
    head = f"{marker}\n@{user}" if marker else f"@{user}"
    return head + "\n\n" + "\n\n".join(answers)


def needs_write_access(user: str, marker: str = "") -> str:
    head = f"{marker}\n" if marker else ""
    return (
        f"{head}@{user} thanks, but `/parity` commands need write access to this repository, "
        "so I have not acted on this one."
    )


def needs_write_access_to_rerun(user: str) -> str:
    return f"@{user} thanks, but rerunning legs needs write access to this repository."


def help_answer(command: Command) -> str:
    if not command.unknown:
        return HELP
    said = command.unknown
    if len(said) > COMMAND_ECHO_MAX_CHARS:
        said = said[:COMMAND_ECHO_MAX_CHARS] + "…"
    prefix = f"I did not understand {code(f'/parity {said}')}.\n\n"
    return prefix + HELP


def fix_answer(command: Command, queued: list[str], default_branch: str) -> str:
    if not queued:
        what = code(command.workflow) if command.workflow else "any workflow"
        return (
            f"I have nothing to fix in {what} on {code(default_branch)} (as of the "
            "last scan): it is at parity, not judged, or cannot be fixed automatically."
        )
    listed = ", ".join(code(path) for path in queued)
    return f"Opening pull requests from the default branch that add the arm64 legs to {listed}."


def check_answer(sha: str) -> str:
    return f'Judged the workflows again at `{sha[:7]}`: see the "Arch parity" check.'


def _run_link(run: Run) -> str:
    return link(run.get("name") or run.get("path"), run.get("html_url"))


def rerun_answer(
    command: Command,
    sha: str,
    rerun: list[tuple[Run, RunJob]],
    refused: list[tuple[RunJob, str]],
    running: list[Run],
    too_old: list[Run],
) -> str:
    """What a rerun did: the legs rerun, those GitHub refused, and the runs left alone."""
    arch = "amd64 and arm64" if command.arch == "all" else str(command.arch)
    legs = f"{arch} leg" if command.all_jobs else f"failed or cancelled {arch} leg"
    parts: list[str] = []
    if rerun:
        listed = "\n".join(f"- {link(job.name, job.html_url)} in {_run_link(run)}" for run, job in rerun)
        parts.append(f"Rerunning {count(len(rerun), legs)} at `{sha[:7]}`:\n{listed}")
    parts += [f"- {text(job.name)}: GitHub refused the rerun ({text(error)})" for job, error in refused]
    if running:
        parts.append(
            "Not rerun: "
            + ", ".join(_run_link(run) for run in running)
            + " still running. GitHub only reruns finished runs; ask again when it ends."
        )
    if too_old:
        parts.append(
            f"Not rerun: {count(len(too_old), 'run')} {verb(len(too_old), 'is', 'are')} older than "
            f"{RERUN_MAX_AGE_DAYS} days, which GitHub no longer reruns."
        )
    if not parts:
        parts.append(f"Nothing to rerun: no {legs} at `{sha[:7]}`.")
    return "\n\n".join(parts)
