"""Counted words in text people read: '1 job', '2 jobs', never '1 jobs' or 'job(s)'."""

from __future__ import annotations


def count(number: int, singular: str, plural: str | None = None) -> str:
    """The number and the noun that agrees with it: count(1, "job") is '1 job'."""
    return f"{number} {noun(number, singular, plural)}"


def noun(number: int, singular: str, plural: str | None = None) -> str:
    return singular if number == 1 else plural or singular + "s"


def verb(number: int, singular: str, plural: str) -> str:
    """The verb that agrees with a count: verb(1, "adds", "add") is 'adds'."""
    return singular if number == 1 else plural
