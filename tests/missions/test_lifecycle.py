"""The mission lifecycle, table-driven: every status × every move, through the services.
Legal moves are stored with their history; every other one is refused with
``illegal_transition`` and changes nothing."""

from __future__ import annotations

import pytest

from alize.errors import ApplicationError
from alize.tenancy import scope
from missions import services
from missions.models import MISSION_TRANSITIONS, MissionStatus, MissionTransition

pytestmark = pytest.mark.django_db

REASON = "Le dirigeant a changé ses priorités."


def move(mission, to_status, world):
    """Ask the service that makes ``to_status``, as the person who may ask it."""
    if to_status == MissionStatus.ACCEPTED:
        return services.mission_accept(mission=mission, by=world.correspondent_a)
    if to_status == MissionStatus.DECLINED:
        return services.mission_decline(mission=mission, by=world.correspondent_a, reason=REASON)
    if to_status == MissionStatus.IN_PROGRESS:
        return services.mission_start(mission=mission, by=world.animateur_a)
    if to_status == MissionStatus.COMPLETED:
        return services.mission_complete(mission=mission, by=world.animateur_a)
    return services.mission_cancel(mission=mission, by=world.animateur_a, reason=REASON)


TARGETS = [status for status in MissionStatus.values if status != MissionStatus.PROPOSED]


@pytest.mark.parametrize("current", MissionStatus.values)
@pytest.mark.parametrize("target", TARGETS)
def test_every_move_of_the_lifecycle(missions_world, current, target):
    mw = missions_world
    with scope(every_dispositif=True, reason="test"):
        mission = type(mw.mission_a).objects.get(pk=mw.mission_a.pk)
        # Put the mission (evaluated, with its expert) in the status under test.
        type(mission).objects.filter(pk=mission.pk).update(
            status=current, sme_evaluation="Utile.", expert_evaluation="Bien."
        )
        mission.refresh_from_db()
        before = MissionTransition.objects.filter(mission=mission).count()
        if target in MISSION_TRANSITIONS[current]:
            move(mission, target, mw.world)
            mission.refresh_from_db()
            assert mission.status == target
            last = MissionTransition.objects.filter(mission=mission).last()
            assert (last.from_status, last.to_status) == (current, target)
        else:
            with pytest.raises(ApplicationError) as refused:
                move(mission, target, mw.world)
            assert refused.value.code == "illegal_transition"
            mission.refresh_from_db()
            assert mission.status == current
            assert MissionTransition.objects.filter(mission=mission).count() == before
