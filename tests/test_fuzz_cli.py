"""Fuzzing the command line (issue 12): hypothesis builds argument lists for every command from the options
the typer app declares (introspected, so a new option is fuzzed without editing this file), with extreme and
malformed values: huge and negative integers, NaN and infinity, empty strings, special files (FIFOs, device
nodes, symlinks to them) and paths into a tmp dir. Each call runs in a subprocess with a timeout and a
memory limit, with its working directory (and every path it is given) inside the tmp dir. Whatever the
arguments: no traceback, no hang, exit code 0, 1 or 2.

Not fuzzed: `viz` (with valid arguments it serves until Ctrl-C; tests/test_viz_browser.py starts it),
`--scheduler` and `--executor dask` (Dask addresses and timeouts are issue 12's class 7, tested with the
Dask executor). Valid but large `--runs`, `--examples` and `--workers` are left out too (the sizes of class
5: they are slow by request, not broken); values beyond their declared range are fuzzed.

Examples per command: a tenth of the hypothesis profile's (`ci`: 5 per command; `thorough`: 100).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
TIMEOUT = 90  # seconds per call: a hang fails the test
MEMORY = 4 * 1024**3  # bytes of address space per call (RLIMIT_AS): runaway memory fails instead of swapping

COMMAND = typer.main.get_command(app)
SKIPPED_COMMANDS = {"viz"}
SKIPPED_OPTIONS = {"--scheduler"}
# Valid values of these are slow by request (many replications, examples or processes): fuzz small ones only.
SMALL_ONLY = {"--runs": 3, "--examples": 2, "--workers": 2, "--chunk-size": None}

MALFORMED_NUMBERS = [
    "",
    " ",
    "-1",
    "0",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e400",
    "1.5",
    "0x10",
    "1_000",
    "９",
    "--",
    "-",
    str(2**63),
    str(2**64),
    "9" * 40,
    "-" + "9" * 40,
    "1" * 5000,
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.fixture(scope="module")
def playground(tmp_path_factory) -> Path:
    """A tmp dir holding every kind of file the fuzzer names: scenarios, a sweep file, a result folder, rule
    modules, special files (our own FIFO and device nodes) and symlinks into the dir."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copy(BASELINE, root / "baseline.toml")
    (root / "broken.toml").write_text('extends = "baseline.toml"\n[actors.us]\nbias = {dist = "normal", mean = 0.3, sd = inf}\n')
    (root / "sweep.toml").write_text(
        'base = "baseline.toml"\nruns = 3\nseed = 1\nset = ["horizon_weeks=4"]\n[design]\nkind = "grid"\n'
        '[[parameters]]\npath = "actors.turkey.mediation_intensity"\nvalues = [0.1, 0.4]\n'
    )
    (root / "rules_ok.py").write_text((ROOT / "examples" / "grudging_acceptance.py").read_text())
    (root / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (root / "not_rules.toml").write_text("x = 1\n")
    (root / "dir").mkdir()
    os.mkfifo(root / "fifo.toml")
    os.symlink(root / "fifo.toml", root / "link_to_fifo.toml")
    if hasattr(os, "mknod") and os.geteuid() == 0:
        os.mknod(root / "zero", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        os.mknod(root / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with (root / "big.toml").open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", "baseline.toml", "--runs", "5", "--weeks", "4", "-x", "inprocess", "--out", "results"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    (run,) = (root / "results" / "baseline").iterdir()
    os.symlink(run, root / "run")
    (root / "truncated_run").mkdir()
    for item in run.iterdir():
        if item.is_file():
            shutil.copy(item, root / "truncated_run" / item.name)
    (root / "truncated_run" / "runs.parquet").write_bytes((run / "runs.parquet").read_bytes()[:100])
    os.mkdir(root / "results" / "baseline" / ".tmp-20200101-000000-seed1")
    return root


PATHS = [
    "baseline.toml",
    "broken.toml",
    "sweep.toml",
    "missing.toml",
    "fifo.toml",
    "link_to_fifo.toml",
    "zero",
    "null",
    "big.toml",
    "dir",
    "",
    ".",
    "results",
    "run",
    "run#0",
    "truncated_run",
    "results/baseline/.tmp-20200101-000000-seed1",
    "out.html",
    "dir/out.json",
    "rules_ok.py",
    "exits.py",
    "not_rules.toml",
    "a\nb",
    "-",
    "--",
]
SETS = [
    "actors.us.bias=0.3",
    "actors.us.bias=2",
    "actors.us.bias=nan",
    "actors.us.bias=inf",
    "actors.us.bias=1e400",
    "actors.us.bias={dist='normal', mean=0.3, sd=inf}",
    "actors.us.bias={dist='beta', mean=0.3, sd=1e-300}",
    "horizon_weeks=0",
    "horizon_weeks=" + "9" * 30,
    "horizon_weeks=4",
    "actors.russia.overrides.territory.position=0.1",
    "=",
    "x",
    "a..b=1",
    "actors=1",
    "actors.us=[]",
    "",
]


def _option_values(param) -> st.SearchStrategy:
    """Values for one declared option or argument, from its declared type and range."""
    name = param.opts[0]
    kind = param.bare_type()
    if param.type_descriptor.is_choice and name != "--executor":  # every choice, a misspelt one and an empty one
        values = [str(getattr(choice, "value", choice)) for choice in param.type_descriptor.choices]
        return st.sampled_from([*values, values[0].upper(), values[0][:-1], "bogus", ""])
    if "int" in kind:
        lo = param.min if param.min is not None else -(10**6)
        hi = param.max if param.max is not None else 10**6
        cap = SMALL_ONLY.get(name, hi) if name in SMALL_ONLY else hi
        valid_hi = min(hi, lo + 2 if name in SMALL_ONLY else hi, cap if cap is not None else hi)
        return st.one_of(
            st.integers(lo, max(lo, valid_hi)).map(str),
            st.sampled_from(MALFORMED_NUMBERS),
            st.integers(-(10**40), 10**40).filter(lambda v: not lo <= v <= hi).map(str),
        )
    if name == "--set":
        return st.one_of(st.sampled_from(SETS), TEXT)
    if name in ("--executor", "-x"):
        return st.sampled_from(["inprocess", "local", "bogus", "", "INPROCESS"])
    if name == "--find":
        return st.one_of(
            st.sampled_from(
                [
                    "breakdown",
                    "settlement",
                    "week<10",
                    "status=war and territory>0.6",
                    "week<nan",
                    "territory>1e400",
                    "__import__('os')",
                    "",
                    "week<" + "9" * 40,
                ]
            ),
            TEXT,
        )
    if name in ("--trait", "--rule", "name"):
        return st.one_of(st.sampled_from(["acceptance", "logit", "bounded_probability", "concession", "", "nope"]), TEXT)
    if name in ("--rules",):
        return st.sampled_from(["rules_ok.py", "exits.py", "not_rules.toml", "fifo.toml", "zero", "missing.py", "", "os", "dir"])
    if name == "targets":
        return st.sampled_from(PATHS)
    return st.one_of(st.sampled_from(PATHS), TEXT.filter(lambda t: not t.startswith("/") and ".." not in t))


@st.composite
def argument_lists(draw, command_name: str) -> list[str]:
    command = COMMAND.commands[command_name]
    args: list[str] = []
    if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
        args += ["--rules", draw(_option_values(COMMAND.params[0]))]
    args.append(command_name)
    if command_name == "check":
        args += ["--rule", "logit", "--examples", "1"]  # fuzzed options below override these (the last one wins)
    for param in command.params:
        name = param.opts[0]
        if name in SKIPPED_OPTIONS:
            continue
        if param.param_type_name == "argument":
            if param.nargs == -1:
                args += draw(st.lists(_option_values(param), min_size=0, max_size=3))
            elif param.required or draw(st.booleans()):
                args.append(draw(_option_values(param)))
            continue
        if draw(st.integers(0, 2)) != 0:  # each option given one time in three
            continue
        if getattr(param, "is_flag", False):
            args.append(draw(st.sampled_from(param.opts + param.secondary_opts)))
            continue
        flag = draw(st.sampled_from(param.opts))
        for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
            value = draw(_option_values(param))
            if flag.startswith("--") and draw(st.booleans()):
                args.append(f"{flag}={value}")
            else:
                args += [flag, value]
    return args


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HOME": str(cwd),
        "MPLCONFIGDIR": str(cwd / ".mpl"),
        "XDG_CACHE_HOME": str(cwd / ".cache"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "120",
        "PYTHONFAULTHANDLER": "1",
    }
    env.pop("SIM_RULE_MODULES", None)
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, env=env, preexec_fn=_limit_memory
    )


def _outside_snapshot(playground: Path) -> list[str]:
    """What the fuzzer must never touch outside its tmp dir: the repository's results folder and the tmp dir's parent."""
    results = ROOT / "results"
    inside = sorted(p.name for p in results.iterdir()) if results.is_dir() else []
    return inside + ["--"] + sorted(p.name for p in playground.parent.iterdir())


FUZZED = sorted(name for name in COMMAND.commands if name not in SKIPPED_COMMANDS)
PER_COMMAND = max(2, settings.default.max_examples // 10)


@pytest.mark.parametrize("command", FUZZED)
def test_fuzzed_command_lines_end_cleanly(playground, command):
    before = _outside_snapshot(playground)

    @settings(
        max_examples=PER_COMMAND, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
    )
    @given(args=argument_lists(command))
    def check(args):
        try:
            result = _run(args, playground)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sim {' '.join(map(repr, args))}: no answer within {TIMEOUT} s")
        err = result.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err, f"sim {args!r}:\n{err[-3000:]}"
        assert result.returncode in (0, 1, 2), f"sim {args!r}: exit code {result.returncode}\n{err[-3000:]}"
        if result.returncode != 0:
            assert err.strip(), f"sim {args!r} failed without a word"

    check()
    assert _outside_snapshot(playground) == before
    assert stat.S_ISFIFO(os.lstat(playground / "fifo.toml").st_mode)
    if (playground / "null").exists():
        assert stat.S_ISCHR(os.lstat(playground / "null").st_mode)


def test_every_command_is_fuzzed_or_skipped_for_a_reason():
    assert set(FUZZED) | SKIPPED_COMMANDS == set(COMMAND.commands)
    assert json.dumps(FUZZED)
