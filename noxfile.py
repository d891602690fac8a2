"""The project's menu: `nox -l`. Logic lives in the harness package; each session calls it."""
import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["build_all"]


def _harness(session: nox.Session) -> None:
    session.install("-e", ".[test]")


@nox.session
def setup(session: nox.Session) -> None:
    """Install the toolchains every variant needs (root; idempotent)."""
    _harness(session)
    session.run("python", "-m", "harness", "setup")


@nox.session
def doctor(session: nox.Session) -> None:
    """Report the kernel's BPF features, privileges and each toolchain's version."""
    _harness(session)
    session.run("python", "-m", "harness", "doctor")


@nox.session(requires=["setup"])
def build_all(session: nox.Session) -> None:
    """Build every variant; those whose toolchain is absent are reported (a failure under CI)."""
    _harness(session)
    session.run("python", "-m", "harness", "build", *session.posargs)


@nox.session
def inspect(session: nox.Session) -> None:
    """Inspect the built ELF objects and executables; write results/elf.md and size.md."""
    _harness(session)
    session.run("python", "-m", "harness", "inspect", *session.posargs)


@nox.session(requires=["setup"])
def benchmark(session: nox.Session) -> None:
    """Build, inspect, run and measure every variant; write results/ (e.g. -- --runs 20)."""
    _harness(session)
    session.run("python", "-m", "harness", "bench", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Render results/*.md and the plots again from results/results.json."""
    _harness(session)
    session.run("python", "-m", "harness", "report", *session.posargs)


@nox.session
def compare(session: nox.Session) -> None:
    """Compare two results.json: nox -s compare -- A.json B.json."""
    _harness(session)
    session.run("python", "-m", "harness", "compare", *session.posargs)


@nox.session
def unit(session: nox.Session) -> None:
    """The fast unit tests (no root, no kernel)."""
    _harness(session)
    session.run("python", "-m", "harness", "helpers")
    session.run("pytest", "tests/unit", *session.posargs)


@nox.session(requires=["build_all"])
def matrix(session: nox.Session) -> None:
    """The conformance suite on Debian's 6.1 and 6.12 kernels under qemu and on the host's: results/kernels.md."""
    _harness(session)
    session.run("python", "-m", "harness", "matrix", *session.posargs)


@nox.session(venv_backend="none")
def fresh_machine(session: nox.Session) -> None:
    """The README's quick start in a new minimal Debian 12 root (debootstrap): what a new machine needs."""
    session.run("bash", "tools/fresh-machine.sh", *session.posargs, external=True)


@nox.session(requires=["build_all"])
def tests(session: nox.Session) -> None:
    """Unit tests, then the root integration tests against the real kernel, over every variant."""
    _harness(session)
    session.run("pytest", "tests/unit", "tests/integration", *session.posargs)
