"""PPO (stable-baselines3) on the mazes: the vector-env adapter, the IMPALA policy glue, training."""
