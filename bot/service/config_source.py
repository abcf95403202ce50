"""Where a repository's policy comes from: its default branch, never the pull request.

`.github/parity.yml` (or `.github/parity.yaml`; both is an error naming both) on the
repository's default branch, else the same file in the owner's `.github` repository, else
the defaults; `extends: OWNER/REPO[:PATH]` merges one level.
"""

from __future__ import annotations

from bot.core.config import (
    CONFIG_PATH,
    CONFIG_PATHS,
    ConfigError,
    Policy,
    config_path,
    extends_target,
    merge,
    parse_config,
    policy_from_dict,
)
from bot.service.events import Repo
from bot.service.github import Api

__all__ = ["CONFIG_PATH", "load_policy", "policy_from_text", "read_config"]


async def read_config(api: Api, owner: str, repo: str, ref: str | None = None) -> tuple[bytes, str] | None:
    """A repository's config file (its text and `owner/repo:path`), None when it has none.

    Both names are asked for: a repository with both gets a ConfigError naming both."""
    texts = {path: await api.file(owner, repo, path, ref=ref) for path in CONFIG_PATHS}
    found = config_path([path for path, text in texts.items() if text is not None], f"{owner}/{repo}:")
    if found is None:
        return None
    text = texts[found]
    assert text is not None
    return text, f"{owner}/{repo}:{found}"


async def load_policy(api: Api, repo: Repo) -> tuple[Policy, str]:
    """The policy and where it came from; a broken file raises ConfigError naming it."""
    found = await read_config(api, repo.owner, repo.name, ref=repo.default_branch)
    if found is None and repo.name != ".github":
        found = await read_config(api, repo.owner, ".github")
    if found is None:
        return Policy(), "defaults"
    return await policy_from_text(api, *found, repo.owner)


async def policy_from_text(api: Api, text: bytes, source: str, owner: str) -> tuple[Policy, str]:
    """The policy a config file of `owner`'s gives, its `extends:` followed (one level,
    within the same owner), and where it came from."""
    data = _parse(text, source)
    extends = data.get("extends")
    if isinstance(extends, str):
        try:
            base_owner, name, path = extends_target(extends, owner)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc.message}") from None
        base_text = await api.file(base_owner, name, path)
        if base_text is None:
            raise ConfigError(
                f"{source}: extends {extends!r}, which does not exist or is not readable by the App"
            )
        data = merge(_parse(base_text, extends), data)
        source += f" (extends {extends})"
    try:
        return policy_from_dict(data), source
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.message}", exc.line) from None


def _parse(text: bytes, source: str) -> dict[str, object]:
    try:
        return parse_config(text)
    except ConfigError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise ConfigError(f"{where}: {exc.message}", exc.line) from None
