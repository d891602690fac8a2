from harness.env import REPO
from harness.manifest import discover
from harness.toolchains import load_catalogue

VARIANTS, MANIFEST_ERRORS = discover(REPO / "variants", set(load_catalogue()))
