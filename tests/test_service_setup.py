"""First run: no credentials, so the service registers the App through the manifest flow.

Whoever completes that flow chooses whose App the service runs as: these
tests play the stranger (through a proxy, under a rebound name, on the network address,
replaying or forging a callback) against the real service and the fake GitHub.
"""

from __future__ import annotations

import html
import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.service.setup import env_text, is_loopback
from tests.fake_github import FakeGitHub
from tests.service_harness import APP_ID, Service, app_key, example, moment, wait_until


def registration(github: FakeGitHub, code: str, app_id: int = APP_ID, secret: str = "fresh-secret") -> None:
    github.manifest_codes[code] = {
        "id": app_id,
        "name": "parity-bot",
        "pem": app_key()[0],
        "webhook_secret": secret,
        "html_url": "https://github.com/apps/parity-bot",
    }


def load_page(browser: httpx.Client, url: str) -> tuple[str, dict[str, Any]]:
    """The setup page as a browser loads it: the state its form sends to GitHub, and the
    manifest."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    action = re.search(r"action='([^']+)'", page.text)
    assert action is not None
    value = re.search(r"value='([^']+)'", page.text)
    assert value is not None
    return html.unescape(action.group(1)), json.loads(html.unescape(value.group(1)))


def token_of(service: Service) -> str:
    def find() -> str | None:
        for line in service.log_lines():
            if (found := re.search(r"\?token=([0-9a-f]+)", line.get("url", ""))) is not None:
                return found.group(1)
        return None

    token: str = wait_until(find, 30, "the setup link in the log")
    return token


def conversions(github: FakeGitHub) -> int:
    return len(github.calls("POST", r"^/app-manifests/[^/]+/conversions$"))


def test_manifest_flow_writes_env_and_the_service_then_runs(tmp_path: Path) -> None:
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    service = Service(tmp_path, None, GITHUB_API_URL=github.url, PUBLIC_URL="https://parity.example.org")
    service.start()
    try:
        assert httpx.get(service.url + "/readyz").status_code == 503  # no webhooks here yet
        with httpx.Client() as browser:
            target, manifest = load_page(browser, service.url + "/")
            assert target.startswith(f"{github.url}/settings/apps/new?state=")
            assert manifest["hook_attributes"]["url"] == "https://parity.example.org/api/github/webhooks"
            # Back to the address this browser used, where its state cookie lives.
            assert manifest["redirect_url"] == f"{service.url}/setup/callback"
            assert "pull_request" in manifest["default_events"]
            assert manifest["default_permissions"]["checks"] == "write"
            state = target.split("state=", 1)[1]
            # A callback that did not come from this page is refused.
            refused = browser.get(service.url + "/setup/callback", params={"code": "x", "state": "no"})
            assert "state does not match" in refused.text
            registration(github, "c0de")
            done = browser.get(service.url + "/setup/callback", params={"code": "c0de", "state": state})
        assert "parity-bot is registered" in done.text
        assert github.calls("POST", r"^/app-manifests/c0de/conversions$")
        env = (tmp_path / ".env").read_text()
        assert f'APP_ID="{APP_ID}"' in env and 'WEBHOOK_SECRET="fresh-secret"' in env
        assert (tmp_path / ".env").stat().st_mode & 0o077 == 0  # the key is readable by us only
    finally:
        service.stop()
    # Restarted with nothing but the .env, it is a working App.
    service.env.update({"GITHUB_API_URL": github.url})
    service.restart()
    try:
        response = service.deliver("installation", example("installation.created"), secret="fresh-secret")
        assert response.status_code == 202
        assert httpx.get(service.url + "/readyz").status_code == 200
    finally:
        service.stop()
        github.stop()


def test_setup_mode_says_where_its_page_is_and_answers_probes_like_a_registered_service(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, None, GITHUB_API_URL="http://127.0.0.1:9")  # never called here
    service.start()
    try:
        ready = httpx.get(service.url + "/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"message": "setup mode: not registered yet"}  # JSON, as when registered
        metrics = httpx.get(service.url + "/metrics")
        assert metrics.status_code == 200 and "process_resident_memory_bytes" in metrics.text
        refused = httpx.get(service.url + "/setup/callback", params={"code": "x", "state": "forged"})
        assert refused.status_code == 400 and "state does not match" in refused.text
        missing = httpx.get(service.url + "/setup/callback")
        assert missing.status_code == 400
        # compare_digest raises on non-ASCII text: a hostile state is a plain mismatch.
        odd = httpx.get(service.url + "/setup/callback", params={"code": "x", "state": "é"})
        assert odd.status_code == 400
        assert service.process is not None and service.process.poll() is None
    finally:
        service.stop()
    where = f"http://127.0.0.1:{service.port}/?token={token_of(service)}"
    assert any(where in line["message"] and line.get("url") == where for line in service.log_lines())


def test_setup_mode_logs_the_public_url_when_one_is_set(tmp_path: Path) -> None:
    service = Service(tmp_path, None, PUBLIC_URL="https://parity.example.org")
    service.start()
    service.stop()
    token = token_of(service)
    messages = [line["message"] for line in service.log_lines()]
    assert any(
        f"open https://parity.example.org/?token={token} (on this machine: "
        f"http://127.0.0.1:{service.port}/?token={token}) to register the App" in message
        for message in messages
    )


def _network_address() -> str | None:
    """This machine's address on a network (not loopback), if it has one: the source address
    a datagram socket would use (connecting one sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("203.0.113.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if is_loopback(address) else address


def test_a_stranger_cannot_open_setup_without_the_token_from_the_log(tmp_path: Path) -> None:
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    service = Service(tmp_path, None, GITHUB_API_URL=github.url, HOST="0.0.0.0")
    service.start()
    try:
        strangers: list[tuple[str, dict[str, str]]] = [
            # A reverse proxy on this machine: the peer is loopback, the browser is not.
            (service.url, {"X-Forwarded-For": "203.0.113.7"}),
            (service.url, {"Forwarded": "for=203.0.113.7"}),
            # DNS rebinding: a web page under its own name, resolved to 127.0.0.1.
            (service.url, {"Host": f"rebound.example:{service.port}"}),
        ]
        outside = _network_address()
        if outside is not None:  # the listen address is 0.0.0.0: reached over the network
            strangers.append((f"http://{outside}:{service.port}", {}))
        registration(github, "stolen", app_id=666)
        for base, headers in strangers:
            with httpx.Client(headers=headers) as stranger:
                page = stranger.get(base + "/")
                assert page.status_code == 403, (base, headers, page.text)
                assert "state=" not in page.text and "manifest" not in page.text
                assert stranger.get(base + "/", params={"token": "0" * 32}).status_code == 403
                assert stranger.get(base + "/", params={"token": "é"}).status_code == 403
                callback = stranger.get(base + "/setup/callback", params={"code": "stolen", "state": "x"})
                assert callback.status_code == 403
        assert conversions(github) == 0 and not (tmp_path / ".env").exists()
        # The operator, who read the log, opens the printed link from elsewhere.
        token = token_of(service)
        base, headers = strangers[-1]
        with httpx.Client(headers=headers, follow_redirects=True) as operator:
            opened = operator.get(base + "/", params={"token": token, "org": "octo-org"})
            assert opened.status_code == 200
            assert "token" not in str(opened.url)  # out of the address bar and the Referer
            assert opened.history and opened.history[0].status_code == 303
            target, _ = load_page(operator, base + "/")
            state = target.split("state=", 1)[1]
            registration(github, "c0de")
            done = operator.get(base + "/setup/callback", params={"code": "c0de", "state": state})
            assert done.status_code == 200 and "parity-bot is registered" in done.text
        assert f'APP_ID="{APP_ID}"' in (tmp_path / ".env").read_text()
        # Once registered, the token opens nothing.
        with httpx.Client(headers=headers, follow_redirects=True) as late:
            assert late.get(base + "/", params={"token": token}).status_code == 409
            state = "0" * 32
            late.cookies.set("parity_setup_state", state)
            again = late.get(base + "/setup/callback", params={"code": "stolen", "state": state})
            assert again.status_code == 409
        assert conversions(github) == 1
        assert service.process is not None and service.process.poll() is None
    finally:
        service.stop()
        github.stop()


def test_a_callback_is_one_time_bound_to_the_browser_and_refused_once_registered(tmp_path: Path) -> None:
    """The attack from the issue: a second callback wrote APP_ID="666", dropped the
    operator's DATABASE_URL and left the file 0644."""
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# the operator's settings\nDATABASE_URL=postgresql://parity@db/parity\nLOG_LEVEL=debug\n"
    )
    env_file.chmod(0o644)
    service = Service(tmp_path, None, GITHUB_API_URL=github.url)
    service.env.pop("DATABASE_URL")  # the operator's .env names it
    service.start()
    try:
        registration(github, "c0de")
        registration(github, "evil", app_id=666, secret="evil-secret")
        with httpx.Client() as operator, httpx.Client() as stranger, httpx.Client() as other:
            target, _ = load_page(operator, service.url + "/")
            state = target.split("state=", 1)[1]
            # The stranger learns the operator's state (a shared screen, a log) but has not
            # got the operator's cookie.
            stolen = stranger.get(service.url + "/setup/callback", params={"code": "evil", "state": state})
            assert stolen.status_code == 400
            # A state loaded in one browser and sent with another's cookie: refused too.
            other_target, _ = load_page(other, service.url + "/")
            other_state = other_target.split("state=", 1)[1]
            crossed = other.get(service.url + "/setup/callback", params={"code": "evil", "state": state})
            assert crossed.status_code == 400
            assert conversions(github) == 0
            done = operator.get(service.url + "/setup/callback", params={"code": "c0de", "state": state})
            assert done.status_code == 200, done.text
            written = env_file.read_text()
            # Replayed (a reload, the history) and a second browser's own valid state: refused.
            replay = operator.get(service.url + "/setup/callback", params={"code": "evil", "state": state})
            assert replay.status_code == 409
            late = other.get(service.url + "/setup/callback", params={"code": "evil", "state": other_state})
            assert late.status_code == 409
            assert operator.get(service.url + "/").status_code == 409
        assert conversions(github) == 1 and "evil" in github.manifest_codes
        assert env_file.read_text() == written
        values = dict(line.split("=", 1) for line in written.splitlines() if "=" in line and line[0] != "#")
        assert values["APP_ID"] == f'"{APP_ID}"' and values["WEBHOOK_SECRET"] == '"fresh-secret"'
        assert values["DATABASE_URL"] == "postgresql://parity@db/parity" and values["LOG_LEVEL"] == "debug"
        assert written.startswith("# the operator's settings\n")
        assert env_file.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".env")] == [".env"]  # no leftovers
        assert service.process is not None and service.process.poll() is None
    finally:
        service.stop()
        github.stop()


def test_setup_command_exits_once_registered_and_replicas_serve_from_the_shared_file(tmp_path: Path) -> None:
    """The compose flow: `parity-bot setup` writes the credentials into the shared volume
    and exits; replicas started after it read them; a second `setup` exits at once."""
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    volume = tmp_path / "data"
    volume.mkdir()
    shared = {"GITHUB_API_URL": github.url, "ENV_FILE": str(volume / ".env")}
    setup = Service(tmp_path, None, **shared)
    setup.command = ["setup"]
    setup.start()
    try:
        with httpx.Client() as operator:
            target, _ = load_page(operator, setup.url + "/")
            registration(github, "c0de")
            state = target.split("state=", 1)[1]
            done = operator.get(setup.url + "/setup/callback", params={"code": "c0de", "state": state})
            assert done.status_code == 200 and "parity-bot is registered" in done.text
        assert setup.process is not None
        assert setup.process.wait(timeout=60) == 0  # compose starts the replicas now
    finally:
        setup.stop()
    again = Service(tmp_path, None, **shared)
    again.command = ["setup"]
    again.start(wait=False)
    assert again.process is not None and again.process.wait(timeout=60) == 0
    assert "registered already" in again.logs()
    replicas = [Service(tmp_path, None, **shared).start() for _ in range(2)]
    try:
        for replica in replicas:
            event = example("installation.created")
            event["installation"]["updated_at"] = moment()  # its own event: one body twice is a replay
            response = replica.deliver("installation", event, secret="fresh-secret")
            assert response.status_code == 202
            assert httpx.get(replica.url + "/readyz").status_code == 200
    finally:
        for replica in replicas:
            replica.stop()
        github.stop()


# ------------------------------------------------------------------ the pure parts


def test_env_text_sets_the_credentials_and_keeps_every_other_line() -> None:
    old = '# mine\nDATABASE_URL=postgresql://db/x\nAPP_ID="1"\n\nPRIVATE_KEY=old\nexport_me=1\n'
    new = env_text(old, {"APP_ID": "2", "PRIVATE_KEY": "a\nb", "WEBHOOK_SECRET": "s"})
    assert new == (
        '# mine\nDATABASE_URL=postgresql://db/x\n\nexport_me=1\nAPP_ID="2"\n'
        'PRIVATE_KEY="a\\nb"\nWEBHOOK_SECRET="s"\n'
    )
    assert env_text("", {"APP_ID": "2"}) == 'APP_ID="2"\n'


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("192.0.2.2", False),
        ("::ffff:192.0.2.2", False),
        ("0.0.0.0", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback
