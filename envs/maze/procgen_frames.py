"""Decode procgen's 64x64 maze frames back into cells: walls, mouse, cheese.

procgen draws walls with a fixed sand texture, the mouse and the cheese as sprites over a
background image that varies by level. Opaque texels keep their exact colour when procgen
scales the sprites (no smoothing), so each cell is classified by the colours of the game's own
asset files: a wall's centre pixel is a colour of the wall texture; the mouse is the open cell
with the most pixels of the mouse sprite's colours; the cheese is the open cell with pixels of
the cheese sprite's colours. Background pixels never take those colours (checked on thousands
of frames, tests/procgen/test_frames.py).
"""

from __future__ import annotations

import os
from functools import cache

import numpy as np

from specgym.envs.maze.render import PixelMap

ASSETS = {
    "wall": "kenney/Ground/Sand/sandCenter.png",
    "mouse": "kenney/Enemies/mouse_move.png",
    "cheese": "misc_assets/cheese.png",
}


@cache
def palette(name: str) -> np.ndarray:
    """Sorted 24-bit codes of the opaque texel colours of one of procgen's maze assets."""
    import procgen
    from PIL import Image

    path = os.path.join(os.path.dirname(procgen.__file__), "data", "assets", ASSETS[name])
    rgba = np.asarray(Image.open(path).convert("RGBA"))
    return np.unique(_codes(rgba[rgba[..., 3] == 255][:, :3]))


def _codes(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def decode_frame(
    frame: np.ndarray, world: int
) -> tuple[np.ndarray, tuple[int, int] | None, tuple[int, int] | None]:
    """(walls bool[world, world], mouse cell or None, cheese cell or None) of one frame."""
    pixels = PixelMap(world, frame.shape[0])
    codes = _codes(frame)
    centre = pixels.center_pixel
    walls = np.isin(codes[centre[:, None], centre[None, :]], palette("wall"))
    block = pixels.pixels_of_cell
    cells = codes[block[:, None, :, None], block[None, :, None, :]]  # (world, world, k, k)
    found = []
    for name in ("mouse", "cheese"):
        count = np.isin(cells, palette(name)).sum(axis=(-1, -2))
        count[walls] = 0
        best = np.unravel_index(int(count.argmax()), count.shape)
        found.append((int(best[0]), int(best[1])) if count[best] > 0 else None)
    return walls, found[0], found[1]
