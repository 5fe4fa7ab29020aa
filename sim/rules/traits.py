"""The trait vocabulary: what a rule may declare about itself, each trait with exactly one property check.

A trait is a promise about a rule's behaviour ("output bounded in [0, 1]", "increasing in
the gain"). Rules declare traits in `@rule(traits=...)`; the registry refuses a trait that
is not in this vocabulary, or whose arguments the rule does not take, so that every
declared trait is checked by its property in `sim.testing.properties` (`sim check`).

Besides the named traits below, two families name a monotone dependence on any argument
or declared parameter of the rule: `increasing_in_<name>` and `decreasing_in_<name>`
(for example `increasing_in_resume_gain`, or `decreasing_in_reservation` for a parameter).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import did_you_mean


@dataclass(frozen=True)
class Trait:
    """A declarable trait: its name, what it promises, and the arguments a rule needs to declare it."""

    name: str
    description: str
    needs: tuple[str, ...] = ()
    # For monotone traits: the argument (or parameter) varied and the direction (+1 rising, -1 falling).
    argument: str | None = None
    direction: int = 0


def _monotone(name: str, argument: str, direction: int, what: str) -> Trait:
    word = "non-decreasing" if direction > 0 else "non-increasing"
    return Trait(name, f"The output is {word} in `{argument}` ({what}), all else equal.", (argument,), argument, direction)


TRAITS: dict[str, Trait] = {
    t.name: t
    for t in (
        Trait("deterministic", "No hidden randomness: the same output, bit for bit, whatever the state of the global random generators."),
        Trait("bounded_probability", "Every output is a probability: it lies in [0, 1]."),
        Trait("bounded_unit", "Every output lies on the 0-1 scale (an issue point or an aid level)."),
        Trait("bounded_unit_negative", "Every output lies in [-1, 0] (minus a salience-weighted distance)."),
        Trait("non_negative", "Every output is >= 0."),
        _monotone("increasing_in_gain", "gain", +1, "the utility gain of accepting over fighting on"),
        _monotone("decreasing_in_enforcement", "enforcement", -1, "the reassurance force relative to full strength"),
        _monotone("decreasing_in_age", "truce_age", -1, "the weeks the truce has held"),
        _monotone("increasing_in_aid", "aid_index", +1, "foreign military aid"),
        _monotone("decreasing_in_cost", "weekly_cost", -1, "the weekly cost of war"),
        Trait("half_at_zero_rationality", "With rationality 0 the output is exactly one half: a coin flip (McKelvey & Palfrey 1995).", ("rationality",)),
        Trait(
            "best_response_limit",
            "As rationality grows the output tends monotonically to the best response: 1 for a gain, 0 for a loss.",
            ("gain", "rationality"),
        ),
        Trait("never_crosses_red_line", "The output stays within [low, high] on every issue when the input position does.", ("position", "low", "high")),
        Trait("moves_toward_target", "The output lies between the position and the target: never away from it, never past it.", ("position", "target")),
        Trait("bounded_by_scale", "The output's magnitude never exceeds `drift_scale`.", ("drift_scale",)),
        Trait("antisymmetric", "Swapping the two sides (the first two arguments) negates the output.", ()),
        Trait("moves_toward_observation", "The posterior mean lies between the prior mean and the observation.", ("mean", "observation")),
        Trait("shrinks_variance", "The posterior variance is below the prior variance (precision grows).", ("precision",)),
        Trait(
            "monotone_commitment",
            "No one leaves: a committed member stays committed, and more commitments never keep anyone out (Granovetter 1978).",
            ("committed",),
        ),
        Trait("within_joint_red_lines", "Where the sides' joint acceptable interval is not empty, the output lies inside it.", ("joint_low", "joint_high")),
        Trait("monotone_in_time", "The output moves monotonically from `start` toward `target` as `week` grows.", ("week", "start", "target")),
        Trait(
            "invariant_to_relabelling",
            "Relabelling the actors (permuting the actor axis of the inputs) permutes the output the same way, "
            "or leaves it unchanged when the output has no actor axis.",
            (),
        ),
        Trait(
            "within_initial_range",
            "Every output lies within the range of the positions given (from the lowest to the highest actor's, per "
            "replication and issue): the model never leaves the span of the debate.",
            ("positions",),
        ),
        Trait(
            "within_own_red_lines",
            "Each actor's new positions lie within its own [low, high] wherever its positions given did.",
            ("positions", "low", "high"),
        ),
    )
}

# Properties every rule is held to, whatever it declares (checked by `sim check` besides its traits).
GENERIC_PROPERTIES: dict[str, str] = {
    "shape": "The output has the shape its kind declares (for a selectable kind: the shape of its first argument).",
    "no_nan": "No NaN (nor infinity) for valid input.",
    "repeatable": "The same inputs give the same result, and the inputs are left unmodified.",
    "batch_consistent": "Each replication's result is the same computed alone as inside a batch.",
}

MONOTONE_PREFIXES = {"increasing_in_": +1, "decreasing_in_": -1}


def resolve_trait(name: str, arguments: tuple[str, ...] = ()) -> Trait:
    """The Trait called `name`; `increasing_in_<x>` / `decreasing_in_<x>` for an argument x in `arguments`.

    Raises ValueError with a "did you mean" when the name is neither in the vocabulary nor a
    monotone family member over one of `arguments`.
    """
    if name in TRAITS:
        return TRAITS[name]
    for prefix, direction in MONOTONE_PREFIXES.items():
        if name.startswith(prefix):
            argument = name[len(prefix) :]
            if argument in arguments:
                return _monotone(name, argument, direction, "declared by the rule")
            tail = did_you_mean(name, [prefix + a for a in arguments], listing=None) or f" (its arguments: {', '.join(arguments)})"
            raise ValueError(f"trait {name!r} names {argument!r}, which is not an argument or parameter of the rule{tail}")
    known = list(TRAITS) + [p + "<argument>" for p in MONOTONE_PREFIXES]
    tail = did_you_mean(name, TRAITS, listing=None) or f" (known traits: {', '.join(known)})"
    raise ValueError(f"unknown trait {name!r}{tail}")
