"""What the model tells an observer at defined points of a week, and the trace that `sim story` reads.

The model (`sim.model.model.CeasefireModel`) calls its observer once at each of these points:
a dated event put into effect, the start and end of the support phase, the battlefield, the
beliefs, each proposal tabled with each side's answer and its result, the start and end of
the concessions, a truce's breakdown or survival, and its renewal or lapse. The base
`Observer` listens to nothing, so a model run without tracing pays one method call per point
and week, never work per replication. `Trace` records every decision of the batch's first
replication as a list of event dicts (`Trace.events`, also `model.events`): the story
(`sim.report.story`) and the browser app (`sim.viz`) are told from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.aggregate import SETTLEMENT
from sim.rules.utility import breaks_red_line

if TYPE_CHECKING:
    from sim.model.agents import Actor, Belligerent
    from sim.model.model import CeasefireModel
    from sim.scenario.schema import Event as DatedEvent

Event = dict[str, Any]


class Observer:
    """Listens to nothing: the observer of a model run without tracing (each method is a no-op)."""

    events: list[Event]

    def __init__(self) -> None:
        self.events = []

    def event(self, model: CeasefireModel, index: int, event: DatedEvent, mask: np.ndarray) -> None:
        """A dated event was put into effect in the replications `mask`."""

    def support_started(self, model: CeasefireModel) -> None:
        """Phase 1 is about to set aid and commitments."""

    def support(self, model: CeasefireModel) -> None:
        """Phase 1 has set aid, commitments and pressure."""

    def battlefield(self, model: CeasefireModel, drift: np.ndarray, fighting: np.ndarray, share: np.ndarray) -> None:
        """Phase 2 has moved the front (`drift`: the expected move; `share`: the share of the week's costs paid)."""

    def beliefs(self, model: CeasefireModel) -> None:
        """Phase 3 has updated the belligerents' beliefs."""

    def proposal(self, model: CeasefireModel, mediator: Actor, idx: np.ndarray, kind: np.ndarray, point: np.ndarray, withheld: np.ndarray) -> None:
        """`mediator` tabled proposals of type `kind` at `point` in the replications `idx` (`withheld`: the third
        parties' consents withheld from a settlement's terms, bits 1 Europe, 2 US)."""

    def decision(
        self,
        model: CeasefireModel,
        side: Belligerent,
        mediator: Actor,
        idx: np.ndarray,
        kind: np.ndarray,
        choice: np.ndarray,
        value: np.ndarray,
        war: np.ndarray,
        gain: np.ndarray,
        risk: np.ndarray,
        probability: np.ndarray,
        point: np.ndarray,
        fixed: np.ndarray,
        accepted: np.ndarray,
    ) -> None:
        """`side` answered the proposals in `idx`. Per replication of `idx`: `choice` the index of the type tabled
        among the three (`value`, `gain` (m, 3) and `risk` (3, m) hold all three), `war` the value of fighting on,
        `probability` of accepting, `point`/`fixed` the terms and the issues they fix, `accepted` the answer."""

    def answered(self, model: CeasefireModel, mediator: Actor, idx: np.ndarray, kind: np.ndarray, accepted: np.ndarray) -> None:
        """Both sides have answered `mediator`'s proposals in `idx` (`accepted`: both said yes)."""

    def concession_started(self, model: CeasefireModel) -> None:
        """Phase 5 is about to move the belligerents' positions."""

    def concession(self, model: CeasefireModel, active: np.ndarray) -> None:
        """Phase 5 has moved the belligerents' positions where `active`."""

    def truce(
        self, model: CeasefireModel, idx: np.ndarray, status: np.ndarray, breaks: np.ndarray, hazard: np.ndarray, enforcement: np.ndarray, gain: np.ndarray
    ) -> None:
        """Phase 6: the truces in force in `idx` broke down where `breaks`, at the weekly `hazard`."""

    def renewal(self, model: CeasefireModel, at: np.ndarray, kind: np.ndarray, renewed: np.ndarray) -> None:
        """Phase 6: the truces whose term ended in `at` were renewed where `renewed`, else lapsed."""


def side_vetoes(side: Actor, point: np.ndarray, fixed: np.ndarray, issue_ids: tuple[str, ...]) -> list[str]:
    """Issues of the first replication on which `point` crosses the side's red lines."""
    issues = []
    for k in range(point.shape[1]):
        mask = np.zeros_like(fixed[:1])
        mask[0, k] = fixed[0, k]
        if breaks_red_line(point[:1], side.low[:1], side.high[:1], mask)[0]:
            issues.append(issue_ids[k])
    return issues


class Trace(Observer):
    """Records every decision of the batch's first replication in `events` (for `sim story` and the browser app)."""

    def __init__(self) -> None:
        super().__init__()
        self._support_before: tuple[Any, Any, list[Any]] | None = None
        self._positions_before: list[np.ndarray] = []

    def log(self, model: CeasefireModel, phase: str, event: str, **data: Any) -> None:
        """Record an event of the first replication: arrays give their first entry, issue vectors a dict by issue."""
        record: Event = {"week": model.week, "phase": phase, "event": event}
        for key, value in data.items():
            if isinstance(value, np.ndarray):
                value = value[0] if value.ndim == 1 else value[0].tolist()
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, list) and len(value) == len(model.issue_ids) and key in ("terms", "position", "point"):
                value = dict(zip(model.issue_ids, value))
            record[key] = value
        self.events.append(record)

    def event(self, model: CeasefireModel, index: int, event: DatedEvent, mask: np.ndarray) -> None:
        if mask[0]:
            self.log(model, "events", "event", index=index, label=event.label or ", ".join(event.set))

    def support_started(self, model: CeasefireModel) -> None:
        europe = model.europe
        self._support_before = (model.us.aid[0], europe.force_size[0], [m.committed[0] for m in europe.members])

    def support(self, model: CeasefireModel) -> None:
        assert self._support_before is not None, "support() before support_started()"
        aid_before, force_before, committed_before = self._support_before
        self.log(
            model,
            "support",
            "aid",
            us_aid=model.us.aid,
            europe_aid=model.europe.aid,
            aid_index=model.aid_index,
            us_aid_before=aid_before,
            us_mediating=model.us.active,
        )
        for m, was in zip(model.europe.members, committed_before):
            if m.committed[0] and not was:
                self.log(model, "support", "member_commits", member=m.member_id, troops=m.pledge)
        if model.europe.force_size[0] != force_before:
            self.log(model, "support", "force", size=model.europe.force_size, before=force_before)

    def battlefield(self, model: CeasefireModel, drift: np.ndarray, fighting: np.ndarray, share: np.ndarray) -> None:
        self.log(
            model,
            "battlefield",
            "front",
            before=model.front - model.delta,
            after=model.front,
            drift=drift,
            fighting=fighting,
            cost_russia=share * model.russia.weekly_cost(),
            cost_ukraine=share * model.ukraine.weekly_cost(),
        )

    def beliefs(self, model: CeasefireModel) -> None:
        russia, ukraine = model.russia.belief_mean, model.ukraine.belief_mean
        self.log(model, "beliefs", "beliefs", russia=russia, ukraine=ukraine, gap=np.abs(russia - ukraine))

    def proposal(self, model: CeasefireModel, mediator: Actor, idx: np.ndarray, kind: np.ndarray, point: np.ndarray, withheld: np.ndarray) -> None:
        if idx[0] == 0:
            self.log(
                model,
                "negotiation",
                "proposal",
                mediator=mediator.actor_id,
                type=int(kind[0]),
                terms=point,
                withheld=int(withheld[0]) if kind[0] == SETTLEMENT else 0,
            )

    def decision(
        self,
        model: CeasefireModel,
        side: Belligerent,
        mediator: Actor,
        idx: np.ndarray,
        kind: np.ndarray,
        choice: np.ndarray,
        value: np.ndarray,
        war: np.ndarray,
        gain: np.ndarray,
        risk: np.ndarray,
        probability: np.ndarray,
        point: np.ndarray,
        fixed: np.ndarray,
        accepted: np.ndarray,
    ) -> None:
        if idx[0] != 0:
            return
        j = int(choice[0])
        self.log(
            model,
            "negotiation",
            "decision",
            side=side.actor_id,
            mediator=mediator.actor_id,
            type=int(kind[0]),
            value_agreement=value[0, j],
            value_war=war,
            gain=gain[0, j],
            breakdown_risk=risk[j, 0],
            probability=probability,
            red_lines_crossed=side_vetoes(side, point, fixed, model.issue_ids),
            accepted=accepted,
        )

    def answered(self, model: CeasefireModel, mediator: Actor, idx: np.ndarray, kind: np.ndarray, accepted: np.ndarray) -> None:
        if idx[0] == 0:
            self.log(model, "negotiation", "agreement" if accepted[0] else "rejected", mediator=mediator.actor_id, type=int(kind[0]))

    def concession_started(self, model: CeasefireModel) -> None:
        self._positions_before = [side.position[0].copy() for side in (model.russia, model.ukraine)]

    def concession(self, model: CeasefireModel, active: np.ndarray) -> None:
        if not active[0]:
            return
        for side, before in zip((model.russia, model.ukraine), self._positions_before):
            moved = float(np.max(np.abs(side.position[0] - before)))
            if moved > 1e-9:
                self.log(model, "concession", "concession", side=side.actor_id, moved=moved, position=side.position)

    def truce(
        self, model: CeasefireModel, idx: np.ndarray, status: np.ndarray, breaks: np.ndarray, hazard: np.ndarray, enforcement: np.ndarray, gain: np.ndarray
    ) -> None:
        if idx[0] == 0:
            self.log(model, "truce", "breakdown" if breaks[0] else "holds", type=int(status[0]), hazard=hazard, enforcement=enforcement, resume_gain=gain)

    def renewal(self, model: CeasefireModel, at: np.ndarray, kind: np.ndarray, renewed: np.ndarray) -> None:
        if at[0] == 0:
            self.log(model, "truce", "renewed" if renewed[0] else "lapsed", type=int(kind[0]))
