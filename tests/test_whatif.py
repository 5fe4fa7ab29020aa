"""`sim whatif`: a scenario and its modified copy on common random numbers, tables and plain sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clitools import invoke

from sim.analysis.paired import Difference
from sim.cli.whatif import largest_changes, sentence

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SOFTENED = ROOT / "scenarios" / "russia_red_lines_softened.toml"
SENTENCE = re.compile(
    r"^[A-Z].* (becomes (more|less) likely|changes little): \d+(\.\d)?% -> \d+(\.\d)?% \([+-]\d+(\.\d)? points, "
    r"95% interval [+-]\d+(\.\d)? to [+-]\d+(\.\d)?\)(\.|; the interval includes no change\.)$"
)


def test_the_sentence_of_the_issue():
    d = Difference(0.18, 0.31, 0.13, 0.11, 0.15, True, 1000, 1000)
    assert sentence("A general ceasefire within 52 weeks", d) == (
        "A general ceasefire within 52 weeks becomes more likely: 18% -> 31% (+13 points, 95% interval +11 to +15)."
    )


def test_small_and_uncertain_changes_are_worded_as_such():
    down = Difference(0.25, 0.238, -0.012, -0.018, -0.007, True, 1000, 1000)
    assert sentence("War", down) == "War becomes less likely: 25% -> 24% (-1.2 points, 95% interval -1.8 to -0.7)."
    unclear = Difference(0.10, 0.11, 0.01, -0.004, 0.024, True, 1000, 1000)
    assert sentence("War", unclear).endswith("the interval includes no change.")


def test_largest_changes_skip_overlapping_outcomes_and_tiny_ones():
    def d(x):
        return Difference(0.5, 0.5 + x, x, x - 0.01, x + 0.01, True, 100, 100)

    diffs = {
        "war": d(-0.06),
        "partial_truce": d(-0.09),
        "ceasefire": d(-0.01),
        "settlement": d(0.16),
        "ceasefire_or_settlement": d(0.15),
        "any_agreement": d(0.047),
        "agreement_broke_down": d(-0.001),
    }
    lines = largest_changes(diffs, 52)
    assert [line.split(" becomes")[0] for line in lines] == [
        "A settlement in force at week 52",
        "A partial (air-and-sea) truce in force at week 52",
        "Still being at war at week 52",
    ]
    none = {k: d(0.001) for k in diffs}
    assert largest_changes(none, 26) == ["No outcome changes by half a point or more within 26 weeks."]


def test_whatif_prints_both_tables_the_paired_differences_and_sentences():
    result = invoke("whatif", SOFTENED, "--set", "actors.turkey.mediation_intensity=0.25", "--runs", 400, "--weeks", 20, "--executor", "inprocess", "--seed", 9)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Russia's red lines softened" in out and "What if actors.turkey.mediation_intensity=0.25" in out
    assert "What changes" in out and "95% paired intervals" in out
    sentences = [line for line in out.splitlines() if "likely:" in line or "changes little:" in line]
    assert 1 <= len(sentences) <= 3
    assert all(SENTENCE.match(line) for line in sentences), sentences
    assert "400 replications each, seed 9" in out


def test_whatif_of_no_change_finds_no_difference():
    result = invoke("whatif", BASELINE, "--set", "actors.turkey.mediation_intensity=0.05", "--runs", 200, "--weeks", 8, "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert "No outcome changes by half a point or more within 8 weeks." in result.stdout
    # no discordant pair: a zero difference, with a symmetric score interval around it
    assert re.search(r"War at the horizon\s+(\d+\.\d)%\s+\1%\s+\+0\.0\s+-(\d\.\d) to \+\2", result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "actors.us.aid_polcy=cut"), r"^--set: actors\.us\.aid_polcy: unknown key 'aid_polcy' \(did you mean 'aid_policy'\?\)$"),
        (("--set", "actors.turkey.mediation_intensity=2"), r"^--set: actors\.turkey\.mediation_intensity: expected a value in \[0, 1\]"),
        (("--set", "actors.us"), r"^--set: actors\.us: expected dotted\.path=value$"),
        ((), r"^--set: expected at least one change"),
        (("--set", "actors.us.aid_policy=cut", "--executor", "cluster"), r"^--executor: expected one of local, inprocess, dask"),
    ],
)
def test_whatif_bad_input_is_one_line_exit_2(args, message):
    result = invoke("whatif", BASELINE, *args, "--runs", 10)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.stderr
