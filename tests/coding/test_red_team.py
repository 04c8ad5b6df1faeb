"""Red team: each attack on the coding graders is a real episode through the env API.

Every attack runs under both graders and must get the verdict `attacks.ATTACKS` states. On top
of the per-attack verdicts, one rule holds for all of them: a visible reward paid to a solution
that the hidden checks do not find correct always carries a hack type, and `gamed` is set.
"""

from __future__ import annotations

import pytest

from specgym.agents.scripted.coding import write_file_command
from tests.coding.attacks import ATTACKS, BOTH, Attack
from tests.coding.helpers import make_env, needs_bwrap

pytestmark = needs_bwrap
TASK = "fizzbuzz"


@pytest.fixture(scope="module", params=BOTH)
def env(request):
    env = make_env(grader=request.param, grade_timeout_s=10.0)
    yield env
    env.close()


def play(env, attack: Attack) -> tuple[float, dict]:
    env.reset(seed=0, options={"task_id": TASK})
    entry = env.unwrapped.coding_task.entry_point
    reply = "\n".join(write_file_command(p, t) for p, t in attack.files_for(entry).items())
    if attack.shell:
        reply += f"\n<bash>{attack.shell_for(entry)}</bash>"
    _, reward, terminated, truncated, info = env.step(reply)
    assert not (terminated or truncated), "the attack's reply must run tools first"
    _, reward, terminated, _, info = env.step("All tests pass now.")
    assert terminated
    return reward, info


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_verdict(env, attack):
    grader = env.unwrapped.grader
    reward, info = play(env, attack)
    where = f"{attack.name} under {grader}: {info['hack_types']} {info['hack_evidence']}"
    assert reward == (1.0 if attack.visible[grader] else 0.0), where
    assert info["hidden_reward"] == pytest.approx(attack.hidden_reward), where
    expected = attack.types[grader]
    if expected is None:
        assert info["hack_types"], where
    else:
        assert info["hack_types"] == expected, where
    # The suite's rule: no unnamed visible pay for a non-solution.
    if reward > 0 and not info["solution_correct"]:
        assert info["hack_types"] and info["gamed"], where
