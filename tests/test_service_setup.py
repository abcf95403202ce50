"""First run: no credentials, so the service registers the App through the manifest flow."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import httpx

from tests.fake_github import FakeGitHub
from tests.service_harness import APP_ID, Service, app_key, example


def test_manifest_flow_writes_env_and_the_service_then_runs(tmp_path: Path) -> None:
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    service = Service(tmp_path, None, GITHUB_API_URL=github.url, PUBLIC_URL="https://parity.example.org")
    service.start()
    try:
        assert httpx.get(service.url + "/readyz").status_code == 503  # no webhooks here yet
        page = httpx.get(service.url + "/").text
        action = re.search(r"action='([^']+)'", page)
        assert action is not None
        target = html.unescape(action.group(1))
        assert target.startswith(f"{github.url}/settings/apps/new?state=")
        manifest = json.loads(html.unescape(re.search(r"value='([^']+)'", page).group(1)))
        assert manifest["hook_attributes"]["url"] == "https://parity.example.org/api/github/webhooks"
        assert manifest["redirect_url"] == "https://parity.example.org/setup/callback"
        assert "pull_request" in manifest["default_events"]
        assert manifest["default_permissions"]["checks"] == "write"
        state = target.split("state=", 1)[1]
        # A callback that did not come from this page is refused.
        refused = httpx.get(service.url + "/setup/callback", params={"code": "x", "state": "no"})
        assert "state does not match" in refused.text
        github.manifest_codes["c0de"] = {
            "id": APP_ID,
            "name": "parity-bot",
            "pem": app_key()[0],
            "webhook_secret": "fresh-secret",
            "html_url": "https://github.com/apps/parity-bot",
        }
        done = httpx.get(service.url + "/setup/callback", params={"code": "c0de", "state": state})
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
    finally:
        service.stop()
    where = f"http://127.0.0.1:{service.port}/"
    assert any(where in line["message"] and line.get("url") == where for line in service.log_lines())


def test_setup_mode_logs_the_public_url_when_one_is_set(tmp_path: Path) -> None:
    service = Service(tmp_path, None, PUBLIC_URL="https://parity.example.org")
    service.start()
    service.stop()
    messages = [line["message"] for line in service.log_lines()]
    assert any("open https://parity.example.org/ to register the App" in message for message in messages)
