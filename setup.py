"""Map the top-level folders onto the `specgym` import package.

The repository root shows the architecture (envs/, agents/, curricula/, analysis/) while
`import specgym.envs` works from an editable install and from a wheel alike.
"""

from setuptools import find_packages, setup

FOLDERS = {
    "envs": "specgym.envs",
    "agents": "specgym.agents",
    "curricula": "specgym.curricula",
    "analysis": "specgym.analysis",
}

packages = ["specgym"] + [f"specgym.{p}" for p in find_packages("specgym")]
package_dir = {"specgym": "specgym"}
for folder, name in FOLDERS.items():
    package_dir[name] = folder
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

DATA_PATTERNS = ["*.json", "*.jsonl", "*.yaml", "*.txt", "*.md", "*.pt", "*.png", "data/**/*"]

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: DATA_PATTERNS for name in packages},
)
