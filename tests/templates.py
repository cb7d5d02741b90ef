"""Templates a test adds beside the real ones, in the environment of every language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from jinja2 import ChoiceLoader, DictLoader

from app.templating import environments


@contextmanager
def added_templates(sources: dict[str, str]) -> Iterator[None]:
    """The templates named in `sources` found first while the block runs, whatever the language."""
    envs = environments()
    originals = [env.loader for env in envs]
    for env, original in zip(envs, originals, strict=True):
        env.loader = ChoiceLoader([DictLoader(sources), original])  # type: ignore[list-item]
    try:
        yield
    finally:
        for env, original in zip(envs, originals, strict=True):
            env.loader = original
