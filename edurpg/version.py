"""The product's version: the installed package's, so a running process says what it runs."""

import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def product_version() -> str:
    """The version installed (`pip install -e .`), or pyproject's in a checkout never installed."""
    try:
        return version("edurpg")
    except PackageNotFoundError:
        return tomllib.loads(PYPROJECT.read_text())["project"]["version"]
