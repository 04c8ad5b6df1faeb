"""Text environments for language models: a sandboxed shell, the tool-use env base and the
sycophancy-to-subterfuge curriculum. See `specgym.envs.text.registry` for the ids."""
