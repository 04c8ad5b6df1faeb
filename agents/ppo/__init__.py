"""PPO (stable-baselines3) on the mazes: the vector-env adapter, the IMPALA policy glue, training.

stable-baselines3 imports the old ``gym`` whenever it is installed (the procgen extra needs it),
and gym prints a four-line "unmaintained" notice to stderr on import. This package imports gym
first with that notice held back, so it never reaches a specgym user; anything else gym writes
while importing still reaches stderr.
"""

import contextlib
import io
import sys


def _import_gym_without_its_notice() -> None:
    if "gym" in sys.modules:
        return
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            import gym  # noqa: F401
    except ImportError:  # gym not installed: SB3 does without it
        return
    text = held.getvalue()
    if "unmaintained" not in text:
        sys.stderr.write(text)


_import_gym_without_its_notice()
