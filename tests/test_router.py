"""The event router: one table says which deliveries are queued, under which key, and who
handles them; the App subscribes to exactly the events the table handles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.service import handlers, router

ROOT = Path(__file__).resolve().parents[1]
# GitHub sends these to every App; a manifest cannot subscribe to them.
ALWAYS_DELIVERED = {"installation", "installation_repositories"}


def _repo(name: str = "octo/lib") -> dict[str, Any]:
    owner, repo = name.split("/")
    return {
        "repository": {"name": repo, "owner": {"login": owner}, "default_branch": "main"},
        "installation": {"id": 77},
    }


def test_the_app_subscribes_to_exactly_the_routed_events() -> None:
    manifest = YAML(typ="safe").load((ROOT / "bot" / "app.yml").read_text())
    subscribed = set(manifest["default_events"])
    assert subscribed | ALWAYS_DELIVERED == set(router.WEBHOOK_EVENTS)
    assert not subscribed & ALWAYS_DELIVERED


@pytest.mark.parametrize(
    ("event", "payload", "key"),
    [
        ("pull_request", {"action": "synchronize", "number": 7, "pull_request": {"number": 7}}, "octo/lib#7"),
        ("issue_comment", {"action": "created", "issue": {"number": 3}}, "octo/lib#3"),
        ("issues", {"action": "edited", "issue": {"number": 9}}, "octo/lib#9"),
        ("check_run", {"action": "rerequested", "check_run": {"pull_requests": [{"number": 4}]}}, "octo/lib#4"),
        ("check_suite", {"action": "rerequested", "check_suite": {"pull_requests": []}}, "octo/lib"),
        ("workflow_job", {"action": "queued"}, "octo/lib:results"),
        ("workflow_run", {"action": "completed"}, "octo/lib:results"),
        ("push", {"ref": "refs/heads/main", "commits": []}, "octo/lib:push"),
        ("installation", {"action": "created", "repository": None}, "installation:77"),
    ],
)
def test_deliveries_are_queued_under_their_key(event: str, payload: dict[str, Any], key: str) -> None:
    assert router.accepts(event, {**_repo(), **payload}) == key


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("pull_request", {"action": "closed", "number": 7}),
        ("pull_request", {"action": "edited", "number": 7, "changes": {"title": {"from": "x"}}}),
        ("push", {"ref": "refs/heads/feature", "commits": []}),  # not the default branch
        ("push", {"ref": "refs/heads/main", "commits": [{"modified": ["README.md"]}]}),
        ("issue_comment", {"action": "deleted", "issue": {"number": 3}}),
        ("star", {"action": "created"}),
        # jobs the service queues itself are never started by a delivery
        ("scan", {"installation": 77, "repo": "octo/lib", "round": 1}),
        ("fix-pr", {"installation": 77, "repo": "octo/lib", "path": "x"}),
    ],
)
def test_deliveries_parity_bot_does_not_act_on_are_not_queued(event: str, payload: dict[str, Any]) -> None:
    assert router.accepts(event, {**_repo(), **payload}) is None


def test_an_edit_that_moves_the_base_is_checked_again() -> None:
    payload = {**_repo(), "action": "edited", "number": 7, "changes": {"base": {"ref": {}}}}
    assert router.accepts("pull_request", payload) == "octo/lib#7"


@pytest.mark.parametrize(
    ("event", "action", "handler"),
    [
        ("check_run", "rerequested", handlers.pull_request_check),
        ("check_run", "requested_action", handlers.button),
        ("workflow_job", "completed", handlers.results_of_run),
        ("workflow_job", "in_progress", handlers.watch_job),
        ("scan", None, handlers.scan),
        ("runner-watchdog", None, handlers.sweep),
    ],
)
def test_one_event_goes_to_the_handler_of_its_action(event: str, action: str | None, handler: object) -> None:
    found = router.route(event, {"action": action}, delivered=False)
    assert found is not None and found.handler is handler


def test_every_route_is_unambiguous() -> None:
    """No event and action pair is claimed by two routes (the first would silently win)."""
    claimed: set[tuple[str, str | None]] = set()
    for route in router.ROUTES:
        for action in sorted(route.actions) if route.actions is not None else [None]:
            assert (route.event, action) not in claimed, (route.event, action)
            claimed.add((route.event, action))
