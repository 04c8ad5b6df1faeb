"""PPO (stable-baselines3) on the mazes: the vector-env adapter, the IMPALA policy glue, training.

stable-baselines3 imports the old ``gym`` at import time whenever it is installed (the procgen
extra needs it), only to recognise old gym envs, which specgym never hands it; and importing
gym prints a four-line "unmaintained" notice. This package imports SB3 with ``gym`` marked
absent, so gym is imported only when a procgen env is actually made.
"""

import sys


def _import_sb3_without_old_gym() -> None:
    if "stable_baselines3" in sys.modules or "gym" in sys.modules:
        return
    sys.modules["gym"] = None  # `import gym` raises ImportError: SB3 does without it
    try:
        import stable_baselines3  # noqa: F401
    finally:
        del sys.modules["gym"]


_import_sb3_without_old_gym()
