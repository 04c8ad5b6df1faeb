"""Coding tasks with hackable graders (issue 7): bank, graders, hidden checks, envs."""
