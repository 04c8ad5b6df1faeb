"""Scripted agents that prove environments' detectors (honest vs gaming)."""

from specgym.agents.scripted.text_agents import SCRIPTED_AGENTS, ScriptedAgent, run_episode

__all__ = ["SCRIPTED_AGENTS", "ScriptedAgent", "run_episode"]
