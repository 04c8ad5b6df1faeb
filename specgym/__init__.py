"""specgym: environments, trainers and analysis for goal misgeneralization and specification gaming.

Importing the package registers every environment id (`specgym/<Name>-v<N>`) with Gymnasium,
which has no plugin auto-registration in 1.x.
"""

from specgym.registration import ENV_DESCRIPTIONS, register_all

__version__ = "0.1.0"
__all__ = ["ENV_DESCRIPTIONS", "__version__", "register_all"]

register_all()
