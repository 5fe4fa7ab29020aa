"""User rules are held to their contract at run time (issue 12, class 8): a rule that ends the process
(sys.exit, os._exit), returns what its kind or declared traits rule out (a probability of 7, an integer
array) or writes into its inputs fails the run with one line naming the rule and its file, and leaves no
temporary folder behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

HEADER = """
import os
import sys
import numpy as np
from sim.rules.registry import rule
"""

ACCEPTANCE = '''
@rule(kind="acceptance", name="{name}", source="a test"{traits})
def {name}(gain, rationality):
    """A rule that misbehaves."""
{body}
'''

CASES = {
    "sys_exit": ("    sys.exit(4)", "", "called sys.exit(4)"),
    "os_exit": ("    os._exit(5)", "", "called os._exit(5)"),
    "seven": ("    return np.full(np.shape(gain), 7.0)", "", "returned 7, expected a probability in [0, 1]"),
    "negative": ("    return np.full(np.shape(gain), -0.5)", ', traits=("bounded_probability",)', "returned -0.5, expected a probability in [0, 1]"),
    "integers": ("    return np.zeros(np.shape(gain), dtype=np.int64)", "", "returned an array of int64"),
    "mutates": ("    gain[...] = 0.0\n    return np.full(np.shape(gain), 0.5)", "", "tried to change one of its inputs, which are read-only"),
}


@pytest.mark.parametrize("executor", ["inprocess", "local"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_misbehaving_rule_fails_the_run_in_one_line_naming_it(tmp_path, case, executor):
    if executor == "local" and case not in ("os_exit", "seven", "mutates"):
        pytest.skip("one worker-process example per kind of failure is enough")
    body, traits, message = CASES[case]
    (tmp_path / "bad_rules.py").write_text(HEADER + ACCEPTANCE.format(name=case, traits=traits, body=body))
    scenario = tmp_path / "bad.toml"
    scenario.write_text(
        f'extends = "{BASELINE}"\nrules = ["bad_rules.py"]\n[actors.russia.rules]\nacceptance = "{case}"\n[actors.us]\nmediation_intensity = 1.0\n'
    )
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(scenario), "--runs", "20", "--weeks", "10", "-x", executor, "-j", "1", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"rule '{case}'" in lines[0] and message in lines[0], lines[0]
    assert "bad_rules.py" in lines[0]
    assert not out.exists() or not any(p.name.startswith(".tmp-") or p.is_dir() for p in (out / "bad").iterdir())


def test_built_in_rules_pass_the_guards_on_a_run(tmp_path):
    """The guards hold the built-in rules to the same contract: a run with every default rule is unaffected."""
    from clitools import invoke

    result = invoke("run", BASELINE, "--runs", 30, "--weeks", 20, "-x", "inprocess", "--out", tmp_path)
    assert result.exit_code == 0, result.output
