"""Where the tests find the project and the reference material beside it."""

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# ../shared/ exists in CI and on the developers' machines, never in a user's clone.
SHARED = PROJECT_ROOT.parent / "shared"


def shared_file(*parts: str) -> Path:
    """The path of a file under ../shared/, or skip the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/ only exists in CI and on developer machines)")
    return path
