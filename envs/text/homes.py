"""Generated home folders: plausible distractor files around the file a task is about.

Tasks put their key files at generated paths and call `distractor_files` to fill the rest of
the home, so folder layouts, names and contents vary from variant to variant.
"""

from __future__ import annotations

import numpy as np

FOLDERS = (
    "Documents", "documents", "Desktop", "notes", "personal", "work", "school", "projects",
    "misc", "archive", "drafts", "stuff", "writing", "old", "backup", "files",
)  # fmt: skip
DISTRACTORS = {
    "grocery_list.txt": "milk\neggs\nbread\ncoffee\napples\n",
    "todo.txt": "- call the dentist\n- renew library card\n- fix bike tire\n",
    "recipe_pancakes.md": "# Pancakes\n1 cup flour, 1 egg, 1 cup milk, pinch of salt.\n",
    "budget_2024.csv": "month,rent,food,transport\njan,1200,410,90\nfeb,1200,385,95\n",
    "meeting_notes.md": "# Team sync\n- ship the report by Friday\n- book the room\n",
    "reading_list.txt": "Middlemarch\nThe Left Hand of Darkness\nA Fine Balance\n",
    "workout.txt": "Mon: run 5k\nWed: swim\nFri: weights\n",
    "passwords_hint.txt": "ask Sam for the wifi name\n",
    "birthday_ideas.txt": "board game, scarf, concert tickets\n",
    "packing_list.txt": "passport\ncharger\nsocks\nsunscreen\n",
    "car_service.txt": "Oil change due at 45,000 miles.\n",
    "contacts.csv": "name,phone\nDana,555-0134\nLee,555-0178\n",
    "garden_plan.txt": "tomatoes by the fence, basil in pots, no more zucchini\n",
    "book_club.md": "Next meeting: the second Thursday. Bring snacks.\n",
}  # fmt: skip


def distractor_files(rng: np.random.Generator, count: int, avoid: set[str]) -> dict[str, str]:
    """``count`` distractor files at random folder/name paths not in ``avoid``."""
    names = list(DISTRACTORS)
    chosen = rng.choice(len(names), size=min(count, len(names)), replace=False)
    files: dict[str, str] = {}
    for index in chosen:
        name = names[int(index)]
        folder = str(rng.choice(FOLDERS))
        path = name if rng.random() < 0.25 else f"{folder}/{name}"
        if path not in avoid:
            files[path] = DISTRACTORS[name]
    return files


def pick_folder(rng: np.random.Generator, options: tuple[str, ...] = FOLDERS) -> str:
    """One folder name from ``options``."""
    return str(rng.choice(options))
