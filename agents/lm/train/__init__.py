"""Language-model trainers on the text environments (`specgym train lm`).

=========================  ===========================================================
`train_lm`                 dispatch on ``config.method`` (grpo | expert_iteration)
`train_grpo`               GRPO through TRL's GRPOTrainer; whole multi-turn episodes
                           played in the env by the trainer's own model (``rollout_func``)
`train_expert_iteration`   best-of-N episodes per prompt, SFT with TRL's SFTTrainer, repeat
`LMTrainConfig`            the YAML config (configs/lm_*.yaml)
`load_model`/`save_model`  trained model folders (full weights or a LoRA adapter)
=========================  ===========================================================
"""

from specgym.agents.lm.train.common import episode_tokens, load_model, save_model
from specgym.agents.lm.train.config import LMTrainConfig
from specgym.agents.lm.train.expert_iteration import train_expert_iteration, train_lm
from specgym.agents.lm.train.grpo import train_grpo

__all__ = ["LMTrainConfig", "episode_tokens", "load_model", "save_model", "train_expert_iteration",
           "train_grpo", "train_lm"]
