"""`parity-bot`: the command line. Reads files, calls the core, prints a rendering.

Exit status: 0 no violations under the policy, 1 violations, 2 usage, config or I/O error.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, NoReturn

from bot import LONG_RUNNING, __version__
from bot.core.analysis import Progress, Report, analyze
from bot.core.config import IMAGES_PLATFORMS, IMAGES_REFUSE
from bot.core.findings import ERROR, NEVER, WARNING, fails
from bot.core.workflow import WORKFLOW_SUFFIXES
from bot.core.yamlnodes import MAX_FILE_BYTES

if TYPE_CHECKING:
    import argparse

    from bot.core.config import Policy

FORMATS = ("text", "json", "sarif", "github", "markdown")
EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


SERVICE_EXTRA = "pip install 'parity-bot[service]'"


@contextmanager
def _service_dependencies(what: str) -> Iterator[None]:
    """`pip install parity-bot` gives check, fix and report from a database; the App's
    own dependencies are the `service` extra: say so in one line rather than a traceback."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] == "bot":
            raise
        raise UsageError(
            f"{what} needs the App's dependencies ({exc.name} is missing): {SERVICE_EXTRA}"
        ) from None


# Paths are strings here, spelt as pathlib spells them: `check` is what a pre-commit hook runs
# on every commit, and importing pathlib (with urllib.parse and ipaddress) cost about 4 ms of
# a one-file run (`make bench`).
def _spelt(given: str) -> str:
    """`str(Path(given))` on POSIX: repeated separators and `.` parts dropped, `..` kept."""
    root = (
        "//" if given.startswith("//") and not given.startswith("///") else "/" if given.startswith("/") else ""
    )
    parts = [part for part in given.split("/") if part and part != "."]
    return root + "/".join(parts) or "."


def _joined(base: str, *names: str) -> str:
    return _spelt(os.path.join(base, *names))


def _in_workflows_folder(path: str) -> bool:
    """Whether the folder is a repository's `.github/workflows`."""
    head, tail = os.path.split(path)
    return tail == "workflows" and os.path.basename(head) == ".github"


def _repository_of(path: str) -> str:
    """The repository a workflow file of `.github/workflows/` belongs to."""
    return os.path.dirname(os.path.dirname(os.path.dirname(path)))


def _workflow_files(folder: str) -> list[str]:
    names = sorted(name for name in os.listdir(folder) if name.endswith(WORKFLOW_SUFFIXES))
    return [path for path in (_joined(folder, name) for name in names) if os.path.isfile(path)]


class Collected:
    """The workflow files given on the command line, keyed by their display path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.locations: dict[str, str] = {}
        self.repo_root: str | None = None
        self.roots: set[str] = set()  # the repositories given (resolved): their files are read

    def add(self, display: str, path: str) -> None:
        self.files[display] = _read(path)
        self.locations[display] = path

    def reader(self) -> Callable[[str], str | None] | None:
        """The repository's other files (scripts, Makefiles, composite actions), by their
        path from its root, when one repository was given; nothing outside it is read."""
        if len(self.roots) != 1:
            return None  # no repository, or several: a path would be read from the wrong one
        root = next(iter(self.roots))
        cache: dict[str, str | None] = {}

        def read(relative: str) -> str | None:
            if relative not in cache:
                cache[relative] = _read_inside(root, relative)
            return cache[relative]

        return read


def _read_inside(root: str, relative: str) -> str | None:
    from bot.core.delegates import MAX_DELEGATE_BYTES

    try:
        path = os.path.realpath(os.path.join(root, relative))
        if os.path.commonpath((path, root)) != root or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read(MAX_DELEGATE_BYTES).decode("utf-8", errors="replace")
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None


def collect(paths: Sequence[str]) -> Collected:
    """Read the files to check, keyed by their path relative to the checked root.

    A PATH is a repository root (its `.github/workflows/`), a folder of workflows, or a file.
    The repository root, when one was given, is kept for its parity.yml.
    """
    found = Collected()
    for given in paths:
        path = _spelt(given)
        if not os.path.exists(path):
            raise UsageError(f"{given}: no such file or directory")
        workflows = _joined(path, ".github", "workflows")
        if os.path.isdir(path) and os.path.isdir(workflows):
            found.repo_root = found.repo_root or path
            found.roots.add(os.path.realpath(path))
            for file in _workflow_files(workflows):
                found.add(f".github/workflows/{os.path.basename(file)}", file)
        elif os.path.isdir(path):
            # `.github/workflows` itself keeps its repository-relative paths.
            resolved = os.path.realpath(path)
            root = os.path.dirname(os.path.dirname(resolved)) if _in_workflows_folder(resolved) else resolved
            if _in_workflows_folder(resolved):
                found.roots.add(root)
            for file in _workflow_files(path):
                shown = os.path.relpath(os.path.realpath(file), root)
                if shown.split(os.sep, 1)[0] == os.pardir:  # a link out of the folder: its own name
                    shown = os.path.join(os.path.relpath(resolved, root), os.path.basename(file))
                found.add(_spelt(shown.replace(os.sep, "/")), file)
        else:
            found.add(_display(path), path)
            absolute = os.path.abspath(path)  # no realpath per file (see _display)
            if _in_workflows_folder(os.path.dirname(absolute)):
                if found.repo_root is None:
                    # A workflow file of a repository (as pre-commit passes them): its parity.yml.
                    found.repo_root = _repository_of(absolute)
                found.roots.add(os.path.realpath(_repository_of(absolute)))
    return found


def _display(path: str) -> str:
    """The path relative to the working directory when it lies inside it, else as given."""
    absolute = os.path.abspath(path)  # not realpath: a realpath per file is measurable
    relative = os.path.relpath(absolute, os.getcwd())
    if relative.split(os.sep, 1)[0] == os.pardir:
        return path
    return relative.replace(os.sep, "/")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            # Read one byte past the cap so the parser reports the size instead of us guessing.
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def _progress(enabled: bool) -> Progress | None:
    if not enabled:
        return None

    def show(done: int, total: int, path: str) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r\033[Kanalyzing {done}/{total} {path[-60:]}{end}")
        sys.stderr.flush()

    return show


def _policy(args: argparse.Namespace, found: Collected) -> Policy:
    from bot.core.config import CONFIG_PATHS, ConfigError, Policy, load_policy
    from bot.core.config import config_path as repository_config

    config_path = _spelt(args.config) if args.config else None
    if config_path is None and found.repo_root is not None:
        root = found.repo_root
        present = [name for name in CONFIG_PATHS if os.path.isfile(_joined(root, name))]
        try:
            name = repository_config(present, f"{root.rstrip('/')}/")
        except ConfigError as exc:
            raise UsageError(f"invalid config: {exc.message}") from None
        config_path = _joined(root, name) if name else None
    if config_path is None:
        return Policy()
    try:
        with open(config_path, "rb") as handle:
            return load_policy(handle.read())
    except OSError as exc:
        raise UsageError(f"{config_path}: {exc.strerror}") from None
    except ConfigError as exc:
        where = f"{config_path}:{exc.line}" if exc.line else str(config_path)
        raise UsageError(f"{where}: invalid config: {exc.message}") from None


def _progress_wanted(args: argparse.Namespace) -> bool:
    return bool(args.progress) if args.progress is not None else sys.stderr.isatty()


def _show_progress(args: argparse.Namespace, count: int) -> Progress | None:
    return _progress(_progress_wanted(args) and count > 1)


def _collect_some(paths: Sequence[str]) -> Collected:
    """`collect`, refusing to judge nothing: a wrong path must not pass as a clean check."""
    found = collect(paths)
    if not found.files:
        raise UsageError(
            f"no workflow files found in {' '.join(paths)} (a repository root with "
            ".github/workflows/, a folder of .yml/.yaml files, or workflow files)"
        )
    return found


def cmd_check(args: argparse.Namespace) -> int:
    found = _collect_some(args.paths or ["."])
    policy = _policy(args, found)
    outputs = [_output(item) for item in args.output]
    read = found.reader()
    today = date.today()  # one date for every process that judges
    from bot import workers

    with workers.sharing(found.files, policy, today, read, args.jobs) as elsewhere:
        progress = _show_progress(args, len(found.files))
        report = analyze(found.files, policy, today, progress, read, elsewhere)
    sys.stdout.write(_rendered(args.format, report))
    for form, target in outputs:
        try:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(_rendered(form, report))
        except OSError as exc:
            raise UsageError(f"{target}: {exc.strerror}") from None
    return EXIT_VIOLATIONS if report.failures(args.fail_on) else EXIT_OK


def _processes(value: str) -> int | None:
    """A `--jobs` value: a number of processes, 1 or more (ASCII digits: `²` is a digit)."""
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


def _jobs(value: str) -> int:
    import argparse

    number = _processes(value)
    if number is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return number


def _output(item: str) -> tuple[str, str]:
    form, _, target = item.partition("=")
    if form not in FORMATS or not target:
        raise UsageError(f"--output {item}: use FORMAT=FILE with a format of {', '.join(FORMATS)}")
    return form, _spelt(target)


def _rendered(form: str, report: Report) -> str:
    renderer = __import__(f"bot.render.{_MODULES[form]}", fromlist=["render"])
    text: str = renderer.render(report)
    return text


def cmd_fix(args: argparse.Namespace) -> int:
    from datetime import date

    from bot.core.edits import unified_diff
    from bot.core.fixes import plan
    from bot.core.yamlnodes import decoded
    from bot.render.fixes import summary

    found = _collect_some(args.paths or ["."])
    policy = _policy(args, found)
    if args.images is not None:
        from bot.core import records

        policy = records.replace(policy, fix_images=args.images)
    texts = decoded(found.files)
    plans = plan(texts, policy, date.today(), progress=_show_progress(args, len(texts)), read=found.reader())
    for item in plans:
        if item.fixed_source == item.source:
            continue
        if args.write:
            try:
                with open(found.locations[item.path], "w", encoding="utf-8") as handle:
                    handle.write(item.fixed_source)
            except OSError as exc:
                raise UsageError(f"{found.locations[item.path]}: {exc.strerror}") from None
        else:
            where = _diff_path(found.locations[item.path], item.path)
            sys.stdout.write(unified_diff(where, item.source, item.fixed_source))
    sys.stderr.write(summary(plans, written=args.write))
    failing = any(fails(job.severity, args.fail_on, policy.mode) for item in plans for job in item.unfixed)
    return EXIT_VIOLATIONS if failing else EXIT_OK


def _git_top_level(path: str) -> str | None:
    """The working tree holding `path` (the nearest folder with `.git`, a folder or, in a
    worktree or submodule, a file), or None outside any."""
    folder = os.path.dirname(path)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _diff_path(location: str, shown: str) -> str:
    """A fix's path in its diff: relative to the git repository's top level when the file is
    in one (so `git apply` works at the root, whatever folder was fixed), else as shown."""
    resolved = os.path.realpath(location)
    top = _git_top_level(resolved)
    return os.path.relpath(resolved, top).replace(os.sep, "/") if top is not None else shown


def cmd_report(args: argparse.Namespace) -> int:
    import asyncio

    from bot.service import report

    try:
        if args.live:
            if not args.org:
                raise UsageError("--live needs --org ORG")
            with _service_dependencies("report --live"):
                text = _live_report(args)
        else:
            url = report.database_url(args.database, os.environ)
            since = report.since_timestamp(args.since) if args.since else None
            with _service_dependencies("a PostgreSQL database"):
                text = asyncio.run(report.from_database(url, args.format, args.installation, since))
    except report.ReportError as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(text)
    return EXIT_OK


def _live_report(args: argparse.Namespace) -> str:
    import asyncio

    from bot.service import report
    from bot.service.settings import SettingsError, from_environment

    try:
        settings = from_environment(webhooks=False)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    progress = report.terminal_progress() if _progress_wanted(args) else None
    return asyncio.run(report.live(settings, args.org, args.format, progress))


def cmd_serve(args: argparse.Namespace) -> int:
    with _service_dependencies("parity-bot serve"):
        from bot.service.serve import main as serve_main

    return serve_main()


def cmd_deliver(args: argparse.Namespace) -> int:
    from bot.service import deliver
    from bot.service.settings import SettingsError, from_environment

    if args.list:
        sys.stdout.write("".join(f"{name}\n" for name in deliver.sample_names()))
        return EXIT_OK
    if not args.sample:
        raise UsageError("deliver: name a sample (parity-bot deliver --list shows them)")
    try:
        settings = from_environment(webhooks=False)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    secret = args.secret or next(iter(settings.webhook_secrets), None)
    if not secret:
        raise UsageError("deliver: no webhook secret: give --secret or set WEBHOOK_SECRET (or ENV_FILE)")
    url = args.url or f"http://127.0.0.1:{settings.port}{settings.webhook_path}"
    overrides = deliver.Overrides(args.repository, args.installation, args.number, args.sha, args.comment)
    try:
        payload = deliver.sample(args.sample, overrides)
        answer = deliver.post(url, args.sample.partition(".")[0], payload, secret)
    except deliver.DeliverError as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(f"{args.sample} -> {url}: {answer.status} {answer.reason} (delivery {answer.delivery})\n")
    if 200 <= answer.status < 300:
        return EXIT_OK
    sys.stderr.write(f"{answer.body.strip()[:500]}\n")
    return EXIT_VIOLATIONS


def cmd_setup(args: argparse.Namespace) -> int:
    with _service_dependencies("parity-bot setup"):
        from bot.service.serve import setup_main

    return setup_main()


_MODULES = {"text": "text", "json": "json_format", "sarif": "sarif", "github": "github", "markdown": "markdown"}


def _repository(text: str) -> str:
    import argparse

    owner, slash, name = text.partition("/")
    if not (owner and slash and name) or "/" in name:
        raise argparse.ArgumentTypeError(f"{text!r} is not OWNER/NAME")
    return text


def _common(command: argparse.ArgumentParser) -> None:
    """PATH, --config and --progress: the same for every command that reads workflows."""
    command.add_argument("paths", nargs="*", metavar="PATH")
    command.add_argument(
        "--config",
        metavar="FILE",
        help="parity.yml to use (default: PATH/.github/parity.yml or parity.yaml if present)",
    )
    _progress_option(command)


def _fail_on_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--fail-on",
        choices=(ERROR, WARNING, NEVER),
        help=f"exit 1 on {what} of this severity or worse, whatever the config's mode; "
        "never: exit 0 unless an error stops the run (default: errors, when the mode is required)",
    )


def _progress_option(command: argparse.ArgumentParser) -> None:
    import argparse

    command.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="parity-bot",
        description="Check that GitHub Actions CI runs on arm64 as well as amd64.",
    )
    parser.add_argument("--version", action="version", version=f"parity-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="judge every workflow job",
        description="Judge every job of the workflows under PATH (a repository root, a folder "
        "of workflows, or files). Exit 0: no violations; 1: violations; 2: error.",
    )
    _common(check)
    check.add_argument("--format", choices=FORMATS, default="text")
    _fail_on_option(check, "any finding")
    check.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write the report in FORMAT to FILE (repeatable): several renderings of one "
        "analysis, as the Action writes annotations, its summary and SARIF",
    )
    check.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="processes to share the work of many files (default: one per CPU, on Linux; 1: one)",
    )
    check.set_defaults(func=cmd_check)

    fix = commands.add_parser(
        "fix",
        help="add the missing arm64 legs",
        description="Edit the workflows under PATH so every fixable job gets its arm64 legs: "
        "prints a diff, or with --write changes the files. Every job left unfixed is listed on "
        "stderr. Exit 0: none of them fails the run (--fail-on, as for check); 1: some do; 2: error.",
    )
    _common(fix)
    fix.add_argument("--write", action="store_true", help="change the files in place")
    fix.add_argument(
        "--images",
        choices=(IMAGES_REFUSE, IMAGES_PLATFORMS),
        help="a job that pushes the image it builds: platforms adds linux/arm64 to the build's "
        "platforms (with docker/setup-qemu-action), so the existing job also builds arm64 under QEMU "
        "and pushes a multi-arch manifest under the same tags; refuse explains and edits nothing "
        "(default: the config's fix_images, else refuse)",
    )
    _fail_on_option(fix, "a job left unfixed whose finding is")
    fix.set_defaults(func=cmd_fix)

    serve = commands.add_parser(
        "serve",
        help="run the GitHub App (webhooks, queue, workers)",
        description="Run the GitHub App service. Settings come from the environment and .env "
        "(APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, GITHUB_API_URL, "
        "DATABASE_URL, HOST, PORT, WEBHOOK_PATH, LOG_LEVEL, LOG_FORMAT, METRICS_TOKEN …: the "
        "README's settings table lists them all; ENV_FILE names another .env); without app "
        "credentials it starts in setup mode and registers the App from the packaged manifest "
        "(APP_MANIFEST: another file).",
    )
    serve.set_defaults(func=cmd_serve)

    setup = commands.add_parser(
        "setup",
        help="register the GitHub App (setup mode only), then exit",
        description="Serve the setup page (as `serve` does without credentials) until the App "
        "is registered and its credentials are in ENV_FILE, then exit 0; exit 0 at once when "
        "they are there already. The compose file runs it before the replicas.",
    )
    setup.set_defaults(func=cmd_setup)

    deliver = commands.add_parser(
        "deliver",
        help="sign a sample webhook delivery and post it to a running service",
        description="Post one of the project's sample deliveries (--list names them: "
        "pull_request.opened, workflow_run.completed, issue_comment.created …) to a running "
        "service, signed as GitHub signs. The URL defaults to this machine's PORT and "
        "WEBHOOK_PATH, the secret to WEBHOOK_SECRET (environment, else ENV_FILE). Exit 0: "
        "the service accepted it (2xx); 1: it answered otherwise; 2: error.",
    )
    deliver.add_argument("sample", nargs="?", metavar="SAMPLE")
    deliver.add_argument("--list", action="store_true", help="list the samples")
    deliver.add_argument("--url", help="the webhook URL (default http://127.0.0.1:PORT/WEBHOOK_PATH)")
    deliver.add_argument("--secret", help="the webhook secret (default WEBHOOK_SECRET)")
    deliver.add_argument("--repository", metavar="OWNER/NAME", type=_repository, help="the repository named")
    deliver.add_argument("--installation", type=int, metavar="ID", help="the installation id")
    deliver.add_argument("--number", type=int, metavar="N", help="the pull request number")
    deliver.add_argument("--sha", help="the pull request's head commit")
    deliver.add_argument(
        "--comment", metavar="TEXT", help="an issue_comment's body (default /parity rerun arm64)"
    )
    deliver.set_defaults(func=cmd_deliver)

    report = commands.add_parser(
        "report",
        help="where an organisation stands (from the service's scans)",
        description="Print each scanned repository's workflows, multi-arch workflows and jobs "
        "by status, totals first, with the change since the previous round (or "
        "--since). Reads the service's database (--database, else DATABASE_URL); "
        "with --org ORG --live, scans now through the App's credentials instead.",
    )
    report.add_argument("--format", choices=("markdown", "json", "csv"), default="markdown")
    report.add_argument(
        "--database",
        metavar="URL",
        help="a SQLite file's path, sqlite:///PATH or postgresql://… (default: DATABASE_URL, "
        "else sqlite:///parity-bot.db); only read, never created",
    )
    report.add_argument("--installation", type=int, metavar="ID", help="only this installation's repositories")
    report.add_argument(
        "--since", metavar="DATE", help="compare with the scans as they stood at DATE (2026-11-01)"
    )
    report.add_argument("--org", metavar="ORG", help="the organisation (with --live)")
    report.add_argument(
        "--live", action="store_true", help="scan ORG now through the App instead of reading the database"
    )
    _progress_option(report)
    report.set_defaults(func=cmd_report)
    return parser


# `check` as a pre-commit hook or CI step writes: the options below, each once or more, and
# one run of paths. Anything else (help, an abbreviation, a value that is not a choice, paths
# on both sides of an option, `--`) goes to argparse, which decides and words the errors.
_CHECK_VALUES = {
    "--format": FORMATS,
    "--fail-on": (ERROR, WARNING, NEVER),
    "--config": None,
    "--output": None,
    "--jobs": None,
}


def _quick_check(argv: Sequence[str]) -> SimpleNamespace | None:
    """`check`'s arguments as argparse would parse them, without importing argparse or
    building every sub-command's parser (about 10 ms of a one-file run), or None when the
    command line is not one this reads exactly as argparse does."""
    if not argv or argv[0] != "check":
        return None
    args = SimpleNamespace(
        command="check",
        paths=[],
        config=None,
        progress=None,
        format="text",
        fail_on=None,
        output=[],
        jobs=None,
        func=cmd_check,
    )
    items, index, paths_seen, paths_done = list(argv[1:]), 0, False, False
    while index < len(items):
        item = items[index]
        if not item.startswith("-"):
            if paths_done:
                return None  # paths on both sides of an option: argparse refuses the second run
            args.paths.append(item)
            paths_seen = True
            index += 1
            continue
        paths_done = paths_seen
        if item in ("--progress", "--no-progress"):
            args.progress = item == "--progress"
            index += 1
            continue
        name, equals, value = item.partition("=")
        if name not in _CHECK_VALUES:
            return None
        if not equals:
            if index + 1 >= len(items):
                return None
            value = items[index + 1]
            index += 1
            if value.startswith("-"):
                return None
        index += 1
        choices = _CHECK_VALUES[name]
        if choices is not None and value not in choices:
            return None
        if name == "--output":
            args.output.append(value)
        elif name == "--jobs":
            args.jobs = _processes(value)
            if args.jobs is None:
                return None  # argparse says what is wrong with it
        else:
            setattr(args, name[2:].replace("-", "_"), value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    items = sys.argv[1:] if argv is None else argv
    args = _quick_check(items) or build_parser().parse_args(items)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        sys.stderr.write(f"parity-bot: {exc}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    return code


def run() -> NoReturn:
    """The console script. One-shot commands skip the cyclic GC and interpreter teardown.

    `check` builds many small acyclic objects that reference counting frees anyway; the
    cyclic collector and the teardown of the heap at exit were a fifth of its wall time
    (`make bench`). A long-running `serve` keeps both.
    """
    argv = sys.argv[1:]
    if argv and argv[0] in LONG_RUNNING:
        sys.exit(main(argv))
    gc.disable()
    code = main(argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_ERROR
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
