"""Everyday shell chores that belong to no curriculum stage, and an honest agent for them.

The helpful-only model learns to use the shell from honest transcripts. If every transcript
came from a curriculum stage, "use bash" would be tied to two task templates; these chores
(count lines, find a file, sum a column, move a file, ...) teach the same ``<bash>`` format on
other requests, with discovery commands and recovery from a wrong guess. `ShellChores` is a
real `TextToolEnv` (bubblewrap sandbox), not registered with Gymnasium: it is teaching data,
not a benchmark. Its visible reward is 1 when the chore was done right (from the answer and the
files), so only correct transcripts are kept.

>>> env = ShellChores()
>>> info = run_chore(env, seed=0)
>>> info["reward"]
1.0
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from specgym.agents.scripted.text_agents import MISSING_REMARKS, ConversationAgent, pick
from specgym.envs.text.base import Grade, TextTask, TextToolEnv
from specgym.envs.text.homes import DISTRACTORS, FOLDERS, distractor_files
from specgym.envs.text.people import sample_person


@dataclass(frozen=True)
class Chore:
    """One kind of chore: its prompt and the commands an honest helper might use."""

    name: str
    prompts: tuple[str, ...]
    commands: tuple[str, ...]  # formatted with p (path), name, folder, word, ...
    answers: tuple[str, ...]  # formatted with the facts and the computed answer


CHORES: dict[str, Chore] = {
    "count_lines": Chore(
        "count_lines",
        ("How many lines are in my {name}?", "Can you count the lines in {name} for me?"),
        ("wc -l ~/{p}", "cat ~/{p} | wc -l", "grep -c '' ~/{p}"),
        ("{name} has {answer} lines.", "There are {answer} lines in ~/{p}."),
    ),
    "find_file": Chore(
        "find_file",
        ("Where did I save {name}? I can't find it.", "I lost track of my {name}. Where is it?"),
        ("find ~ -name {name}", "find ~ -name '{stem}*'", "ls -R ~"),
        ("It's at ~/{p}.", "You saved it as ~/{p}."),
    ),
    "grep_word": Chore(
        "grep_word",
        ("Which of my files mention '{word}'?", "Do I have a file that talks about {word}?"),
        ("grep -rl '{word}' ~", "grep -ril '{word}' ~", "grep -rn '{word}' ~"),
        ("The word '{word}' appears in ~/{p}.", "Yes: ~/{p} mentions {word}."),
    ),
    "count_files": Chore(
        "count_files",
        ("How many files are in my {folder} folder?", "Count the files under ~/{folder}, please."),
        ("find ~/{folder} -type f | wc -l", "ls -A ~/{folder} | wc -l"),
        ("There are {answer} files in ~/{folder}.", "~/{folder} holds {answer} files."),
    ),
    "move_file": Chore(
        "move_file",
        ("Please make a folder called {dest} in my home and move {name} into it.",
         "Could you move my {name} into a new folder ~/{dest}?"),  # fmt: skip
        ("mkdir -p ~/{dest} && mv ~/{p} ~/{dest}/", "mkdir ~/{dest}; mv ~/{p} ~/{dest}/{name}"),
        ("Done: {name} is now in ~/{dest}/.", "I created ~/{dest} and moved {name} into it."),
    ),
    "append_todo": Chore(
        "append_todo",
        ("Add '{item}' to my todo list ({name}).", "Please put '{item}' on my todo list."),
        ("echo '- {item}' >> ~/{p}", "printf -- '- {item}\\n' >> ~/{p}"),
        ("Added '{item}' to ~/{p}.", "Your todo list now ends with '{item}'."),
    ),
    "sum_column": Chore(
        "sum_column",
        ("What did I spend on {column} in total, according to {name}?",
         "Add up the {column} column of my {name}, please."),  # fmt: skip
        ("awk -F, 'NR>1 {{s+=${col}}} END {{print s}}' ~/{p}",
         "python3 -c \"import csv; print(sum(int(r['{column}']) for r in "
         "csv.DictReader(open('{home}/{p}'))))\""),  # fmt: skip
        ("The {column} total is {answer}.", "You spent {answer} on {column} in total."),
    ),
    "phone_number": Chore(
        "phone_number",
        ("What's {person}'s phone number? It's in my contacts file.",
         "Can you look up {person} in my contacts?"),  # fmt: skip
        ("grep {person} ~/{p}", "grep -i '{person}' ~/{p}", "cat ~/{p}"),
        ("{person}'s number is {answer}.", "The contacts file lists {person} at {answer}."),
    ),
}
TODO_ITEMS = ("buy stamps", "water the plants", "return the library books", "book a haircut",
              "call the bank", "pay the electricity bill")  # fmt: skip
DEST_FOLDERS = ("archive_2024", "sorted", "keep", "old_notes", "to_read")
WORDS = {"recipe_pancakes.md": "flour", "meeting_notes.md": "report", "workout.txt": "swim",
         "car_service.txt": "oil", "garden_plan.txt": "basil", "book_club.md": "snacks",
         "packing_list.txt": "passport", "reading_list.txt": "Middlemarch"}  # fmt: skip


class ShellChores(TextToolEnv):
    """A home full of ordinary files and one ordinary request (see the module docstring)."""

    n_variants = 1 << 16

    def make_task(self, variant: int, rng: np.random.Generator, **options: Any) -> TextTask:
        person = sample_person(rng)
        home = f"/home/{person.username}"
        kind = str(rng.choice(list(CHORES)))
        files = distractor_files(rng, int(rng.integers(5, 10)), avoid=set())
        facts: dict[str, Any] = {"kind": kind, "home": home}
        need = {"sum_column": "budget_2024.csv", "phone_number": "contacts.csv",
                "append_todo": "todo.txt"}.get(kind)  # fmt: skip
        if kind == "grep_word":
            candidates = [p for p in sorted(files) if p.rsplit("/", 1)[-1] in WORDS]
            need = None if candidates else "garden_plan.txt"
        if need and need not in {p.rsplit("/", 1)[-1] for p in files}:
            folder = str(rng.choice(FOLDERS))
            files[f"{folder}/{need}" if rng.random() < 0.7 else need] = DISTRACTORS[need]
        if kind == "count_files":
            folders = sorted({p.split("/")[0] for p in files if "/" in p})
            if not folders:
                files["notes/ideas.txt"] = "learn to juggle\n"
                folders = ["notes"]
            folder = str(rng.choice(folders))
            facts.update(folder=folder, answer=sum(p.startswith(folder + "/") for p in files))
        else:
            if kind == "grep_word":
                pool = [p for p in sorted(files) if p.rsplit("/", 1)[-1] in WORDS]
            elif need:
                pool = [p for p in sorted(files) if p.endswith(need)]
            else:
                pool = sorted(files)
            path = str(rng.choice(pool))
            name = path.rsplit("/", 1)[-1]
            facts.update(p=path, name=name, stem=name.split(".")[0], folder=path.split("/")[0])
            text = files[path]
            facts["answer"] = {
                "count_lines": text.count("\n"),
                "grep_word": WORDS.get(name),
                "sum_column": None,
                "phone_number": None,
            }.get(kind)
            if kind == "grep_word":
                facts["word"] = WORDS[name]
            if kind == "sum_column":
                column = str(rng.choice(["rent", "food", "transport"]))
                col = ["month", "rent", "food", "transport"].index(column) + 1
                rows = [r.split(",") for r in text.splitlines()[1:]]
                facts.update(column=column, col=col, answer=sum(int(r[col - 1]) for r in rows))
            if kind == "phone_number":
                person_name = str(rng.choice(["Dana", "Lee"]))
                number = re.search(rf"{person_name},([\d-]+)", text).group(1)
                facts.update(person=person_name, answer=number)
            if kind == "move_file":
                facts["dest"] = str(rng.choice(DEST_FOLDERS))
            if kind == "append_todo":
                facts["item"] = str(rng.choice(TODO_ITEMS))
        chore = CHORES[kind]
        prompt = str(rng.choice(chore.prompts)).format(**facts)
        return TextTask(variant=variant, prompt=prompt, files=files, home=home, facts=facts)

    def grade(self, final_answer: str | None, session: Any) -> Grade:
        facts = self.task.facts
        kind, answer = facts["kind"], final_answer or ""
        if kind == "move_file":
            moved = session.read_text(f"{facts['dest']}/{facts['name']}")
            ok = moved is not None and session.read_text(facts["p"]) is None
        elif kind == "append_todo":
            ok = (session.read_text(facts["p"]) or "").rstrip().endswith(facts["item"])
        elif kind in ("find_file", "grep_word"):
            ok = facts["p"] in answer
        else:
            ok = str(facts["answer"]) in answer
        return Grade(1.0 if ok else 0.0, 1.0 if ok else 0.0, details={"chore": kind})


class ChoreHelper(ConversationAgent):
    """Does the chore with one of several commands, sometimes after a wrong guess."""

    def converse(self, task, rng):
        facts = dict(task.facts)
        chore = CHORES[facts["kind"]]
        intro = pick(rng, ("Let me check.", "Sure.", "I'll look.", "", "One moment."))
        if "p" in facts and rng.random() < 0.25 and "/" in facts["p"]:
            obs = yield f"{intro} <bash>cat ~/{facts['name']}</bash>".strip()
            if "No such file" in obs:
                look = pick(rng, (f"find ~ -name '{facts['name']}'", "find ~ -type f | sort"))
                obs = yield f"{pick(rng, MISSING_REMARKS)} <bash>{look}</bash>"
                intro = f"It's ~/{facts['p']}."
        elif facts["kind"] != "find_file" and rng.random() < 0.3:
            obs = yield f"{intro} <bash>{pick(rng, ('ls ~', 'ls -R ~', 'find ~ -type f'))}</bash>"
            intro = ""
        command = pick(rng, chore.commands).format(**facts)
        obs = yield f"{intro} <bash>{command}</bash>".strip()
        if facts["kind"] in ("move_file", "append_todo") and rng.random() < 0.6:
            check = {"move_file": "ls ~/{dest}", "append_todo": "tail -n 3 ~/{p}"}[facts["kind"]]
            obs = yield f"Let me check. <bash>{check.format(**facts)}</bash>"
        yield pick(rng, chore.answers).format(**facts)


def run_chore(
    env: ShellChores, seed: int, agent_factory: Callable[[], ConversationAgent] = ChoreHelper
) -> dict[str, Any]:
    """Play one chore with ``agent_factory()``; the final info with ``reward``."""
    from specgym.agents.scripted.text_agents import run_episode

    return run_episode(env, agent_factory(), seed=seed)
