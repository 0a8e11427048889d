"""The project's packaging as an install meets it: no deprecation warnings from setuptools."""

from __future__ import annotations

import re
import tomllib

from tests.paths import PROJECT_ROOT


def test_the_license_is_an_spdx_expression_which_the_build_backend_knows() -> None:
    """A TOML table (`{ text = "MIT" }`) makes setuptools 77+ warn on every install; PEP 639's string does not,
    and only setuptools 77+ reads that string, so the build requirement says so."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    setuptools = next(r for r in project["build-system"]["requires"] if r.startswith("setuptools"))
    minimum = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert minimum is not None and int(minimum.group(1)) >= 77
