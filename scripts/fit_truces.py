"""Fit breakdown hazards by truce type from data/truces.csv and write data/truce_hazards.json.

Kaplan-Meier curves with 95% log-log bands, a Weibull model by maximum likelihood with
right censoring (95% intervals from a parametric bootstrap with a fixed seed) and an
exponential model for comparison; see docs/truces.md. Deterministic: the same CSV gives the
same JSON, byte for byte.

    .venv/bin/python scripts/fit_truces.py           # print the table, rewrite the JSON
    .venv/bin/python scripts/fit_truces.py --check   # print, compare with the JSON; exit 1 if it differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.analysis.reference_class import (  # noqa: E402
    BOOTSTRAP_REPLICATES,
    BOOTSTRAP_SEED,
    HAZARDS_JSON,
    TRUCE_TYPES,
    TRUCES_CSV,
    fit_all,
    load_truces,
)


def _ci(pair, fmt: str = "{:.3f}") -> str:
    return "[" + fmt.format(pair[0]) + ", " + fmt.format(pair[1]) + "]"


def format_table(hazards: dict, csv_path: Path = TRUCES_CSV) -> str:
    """The fitted table as printed by the script (also quoted in docs/truces.md)."""
    lines = []
    types = hazards["types"]
    lines.append("Reference class: truces between Russia (or Russia-backed forces) and Ukraine, 2014 - 2024-12-31")
    lines.append(
        f"data {hazards['meta']['data']} (sha256 {hazards['meta']['data_sha256'][:12]}...), "
        f"95% intervals, bootstrap {hazards['meta']['bootstrap_replicates']} replicates, "
        f"seed {hazards['meta']['bootstrap_seed']}"
    )
    lines.append("")
    lines.append(f"{'type':<10} {'n':>3} {'breakdowns':>10} {'censored':>8}   {'Weibull shape':<24} {'scale (days)':<24}")
    for t in TRUCE_TYPES:
        f = types[t]
        w = f["weibull"]
        lines.append(
            f"{t:<10} {f['n']:>3} {f['events']:>10} {f['censored']:>8}   "
            f"{w['shape']:<6.3f} {_ci(w['shape_ci']):<17} {w['scale_days']:<6.1f} {_ci(w['scale_ci'], '{:.1f}'):<17}"
        )
    lines.append("")
    lines.append(f"{'type':<10} {'median days (Weibull)':<28} {'KM median':>9}   {'AIC Weibull':>11} {'AIC exponential':>15}")
    for t in TRUCE_TYPES:
        f = types[t]
        km = f["kaplan_meier"]
        km_median = next((d for d, s in zip(km["days"], km["survival"]) if s <= 0.5), None)
        km_text = f"{km_median:g}" if km_median is not None else "n/r"
        m = f["median_days"]
        lines.append(f"{t:<10} {m['estimate']:<6.1f} {_ci(m['ci'], '{:.1f}'):<21} {km_text:>9}   {f['weibull']['aic']:>11.2f} {f['exponential']['aic']:>15.2f}")
    lines.append("")
    lines.append("Weekly breakdown hazard, Weibull: P(breaks down in week w | in force at its start)")
    weeks = hazards["meta"]["hazard_weeks"]
    lines.append(f"{'type':<10} " + " ".join(f"{'week ' + str(w):<24}" for w in weeks) + " exponential (any week)")
    for t in TRUCE_TYPES:
        f = types[t]
        cells = []
        for w in weeks:
            h = f["weekly_hazard"][str(w)]
            cells.append(f"{h['estimate']:<6.3f} {_ci(h['ci']):<17}")
        e = f["exponential"]
        lines.append(f"{t:<10} " + " ".join(cells) + f" {e['weekly_hazard']:.3f} {_ci(e['weekly_hazard_ci'])}")
    lines.append("")
    lines.append("Survival S(day), Weibull with bootstrap band | Kaplan-Meier with log-log band")
    days = hazards["meta"]["checkpoint_days"]
    lines.append(f"{'type':<10} " + " ".join(f"{'day ' + str(d):<24}" for d in days))
    for t in TRUCE_TYPES:
        f = types[t]
        cells = [f"{f['survival'][str(d)]['estimate']:<6.3f} {_ci(f['survival'][str(d)]['ci']):<17}" for d in days]
        lines.append(f"{t:<10} " + " ".join(cells))
        km = f["kaplan_meier"]
        km_cells = []
        for d in days:
            idx = [i for i, x in enumerate(km["days"]) if x <= d]
            if idx:
                i = idx[-1]
                km_cells.append(f"{km['survival'][i]:<6.3f} {_ci([km['low'][i], km['high'][i]]):<17}")
            else:
                km_cells.append(f"{1.0:<6.3f} {'':<17}")
        lines.append(f"{'  KM':<10} " + " ".join(km_cells))
    lines.append("")
    lines.append("Kaplan-Meier tables (days, at risk, S, 95% band)")
    for t in TRUCE_TYPES:
        km = types[t]["kaplan_meier"]
        lines.append(f"  {t}:")
        for d, r, s, lo, hi in zip(km["days"], km["at_risk"], km["survival"], km["low"], km["high"]):
            lines.append(f"    {d:>6g} {r:>4} {s:.3f} {_ci([lo, hi])}")
    lines.append("")
    lines.append(_descriptive(csv_path))
    return "\n".join(lines)


def _descriptive(csv_path: Path) -> str:
    """Median observed duration by specificity and monitoring (descriptive only: the samples are small)."""
    truces = load_truces(csv_path)
    out = ["Descriptive: breakdowns and median observed days by specificity and monitoring (not a fitted effect)"]
    for t in TRUCE_TYPES:
        for key in ("specificity", "monitoring"):
            groups: dict[str, list] = {}
            for tr in truces:
                if tr.type == t:
                    groups.setdefault(getattr(tr, key), []).append(tr)
            cells = []
            for value, members in sorted(groups.items()):
                durations = sorted(m.duration_days for m in members)
                mid = durations[len(durations) // 2] if len(durations) % 2 else ((durations[len(durations) // 2 - 1] + durations[len(durations) // 2]) / 2)
                broke = sum(not m.censored for m in members)
                cells.append(f"{value}: n={len(members)}, breakdowns={broke}, median {mid:g} d")
            out.append(f"  {t:<10} {key:<12} " + "; ".join(cells))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=TRUCES_CSV, help="the truces CSV (default data/truces.csv)")
    parser.add_argument("--out", type=Path, default=HAZARDS_JSON, help="the JSON to write (default data/truce_hazards.json)")
    parser.add_argument("--replicates", type=int, default=BOOTSTRAP_REPLICATES, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=BOOTSTRAP_SEED, help="bootstrap seed")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it; exit 1 if it differs")
    args = parser.parse_args(argv)

    hazards = fit_all(args.csv, replicates=args.replicates, seed=args.seed)
    text = json.dumps(hazards, indent=1) + "\n"
    print(format_table(hazards, args.csv))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"\n{args.out} is out of date with {args.csv}: rerun scripts/fit_truces.py", file=sys.stderr)
            return 1
        print(f"\n{args.out} is up to date")
        return 0
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
