"""The theme colour palette: each preset is a primary colour and the light tint that goes with it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    key: str  # the i18n key is template.preset.<key>
    primary: str
    secondary: str


PRESETS = (
    Preset("navy", "#1f4e79", "#dce6f0"),
    Preset("teal", "#2a9d8f", "#e0f2f0"),
    Preset("forest", "#2d6a4f", "#e3efe8"),
    Preset("ocean", "#1d6fa5", "#e1eef7"),
    Preset("plum", "#6d3b6f", "#f0e6f0"),
    Preset("rose", "#b83b5e", "#f7e4ea"),
    Preset("terracotta", "#c0583a", "#f8e8e2"),
    Preset("graphite", "#3d4450", "#e6e8eb"),
)
BY_KEY = {preset.key: preset for preset in PRESETS}


def preset_for(primary: str) -> Preset | None:
    return next((p for p in PRESETS if p.primary == primary.lower()), None)


def tint(primary: str, white: float = 0.86) -> str:
    """A light tint of ``primary`` for table headings and stripes (and Stripe's secondary colour)."""
    r, g, b = (int(primary[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * white) for c in (r, g, b))
    return "#" + "".join(f"{c:02x}" for c in mixed)
