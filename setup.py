"""Packages for setuptools (the rest of the metadata is in pyproject.toml).

gen's own packages are found as usual; two more carry data that lives at the top of the
repository: ``gen.corpora`` is the corpora/ folder and ``gen.bundled`` the models that come with
gen (checkpoints/shakespeare, checkpoints/irish-abc; only the files a bundled run keeps, never a
user's runs beside them). gen.resources finds them inside an installed wheel.
"""

from setuptools import find_packages, setup

BUNDLED = ("shakespeare", "irish-abc")
RUN_FILES = ("meta.json", "model.safetensors", "metrics.jsonl")

setup(
    packages=find_packages(include=["gen", "gen.*"]) + ["gen.corpora", "gen.bundled"],
    package_dir={"gen.corpora": "corpora", "gen.bundled": "checkpoints"},
    package_data={
        "gen.studio": ["static/*"],
        "gen.export": ["page/*"],
        "gen.corpora": ["*.txt", "*.abc"],
        "gen.bundled": [f"{run}/{name}" for run in BUNDLED for name in RUN_FILES],
    },
    include_package_data=False,
)
