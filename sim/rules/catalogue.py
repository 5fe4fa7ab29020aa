"""The rule catalogue as Markdown, derived from the registry (docs/rules.md embeds the built-ins' one).

`sim rules --markdown` prints it; tests/test_docs_rules.py checks that the copy in the docs is
current, so the documentation never lists a rule, kind or trait by hand.
"""

from __future__ import annotations

from sim.rules.registry import KINDS, RuleInfo
from sim.rules.traits import GENERIC_PROPERTIES, MONOTONE_PREFIXES, TRAITS


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def catalogue_markdown(infos: list[RuleInfo]) -> str:
    """Kinds (with calling conventions), traits, generic properties, and the rules in `infos`, as Markdown tables."""
    out = ["### Kinds", "", "| kind | what it computes | arguments -> output | chosen in a scenario at | default |", "|---|---|---|---|---|"]
    for kind, spec in KINDS.items():
        out.append(
            f"| {kind} | {_cell(spec.summary)} | `{spec.convention()}` | {f'`{spec.path}`' if spec.path else '—'} | "
            f"{f'`{spec.default}`' if spec.default else '—'} |"
        )
    out += ["", "Shapes: R replications, K issues, A bargaining sides, M coalition members; R? is one number or one per replication.", ""]
    out += ["### Traits", "", "| trait | what it promises |", "|---|---|"]
    for name, trait in TRAITS.items():
        out.append(f"| `{name}` | {_cell(trait.description)} |")
    for prefix, direction in MONOTONE_PREFIXES.items():
        word = "non-decreasing" if direction > 0 else "non-increasing"
        out.append(f"| `{prefix}<argument>` | The output is {word} in that argument or declared parameter of the rule, all else equal. |")
    out += ["", "### Properties every rule is held to", "", "| property | what it checks |", "|---|---|"]
    for name, what in GENERIC_PROPERTIES.items():
        out.append(f"| `{name}` | {_cell(what)} |")
    out += ["", "### Rules", "", "| rule | kind | traits | summary | source |", "|---|---|---|---|---|"]
    for r in infos:
        traits = ", ".join(f"`{t}`" for t in sorted(r.traits))
        out.append(f"| `{r.name}` | {r.kind} | {traits} | {_cell(r.summary)} | {_cell(r.source)} |")
    return "\n".join(out) + "\n"
