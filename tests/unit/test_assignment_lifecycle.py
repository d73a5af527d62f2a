"""The life cycles of offers, assignments and requests: every allowed step, and every other step refused."""

import datetime as dt
import itertools

import pytest

from lotsen.assignments.lifecycle import (ASSIGNMENT_TRANSITIONS, OFFER_TRANSITIONS, AssignmentAction,
                                          AssignmentStatus, OfferAction, OfferStatus, can_assignment, can_offer,
                                          next_assignment_status, next_offer_status)
from lotsen.assignments.models import Assignment, DeclineReason, Offer
from lotsen.requests.lifecycle import TRANSITIONS, Action, RequestStatus, TransitionError, can, next_status

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

# The life cycles as the issue describes them, written out once more by hand: the tables must say the same.
OFFER_STEPS = {
    (OfferStatus.OPEN, OfferAction.ACCEPT): OfferStatus.ACCEPTED,
    (OfferStatus.OPEN, OfferAction.DECLINE): OfferStatus.DECLINED,
    (OfferStatus.OPEN, OfferAction.EXPIRE): OfferStatus.EXPIRED,
    (OfferStatus.OPEN, OfferAction.TAKE): OfferStatus.TAKEN,
    (OfferStatus.OPEN, OfferAction.WITHDRAW): OfferStatus.WITHDRAWN,
    (OfferStatus.OPEN, OfferAction.CANCEL): OfferStatus.CANCELLED,
    (OfferStatus.ACCEPTED, OfferAction.CONFIRM): OfferStatus.CONFIRMED,
    (OfferStatus.ACCEPTED, OfferAction.RELEASE): OfferStatus.RELEASED,
    (OfferStatus.ACCEPTED, OfferAction.WITHDRAW): OfferStatus.WITHDRAWN,
    (OfferStatus.ACCEPTED, OfferAction.CANCEL): OfferStatus.CANCELLED,
}
ASSIGNMENT_STEPS = {
    (AssignmentStatus.CONFIRMED, AssignmentAction.CANCEL): AssignmentStatus.CANCELLED,
    (AssignmentStatus.CONFIRMED, AssignmentAction.STEP_BACK): AssignmentStatus.WITHDRAWN,
    (AssignmentStatus.CONFIRMED, AssignmentAction.REASSIGN): AssignmentStatus.REASSIGNED,
    (AssignmentStatus.CONFIRMED, AssignmentAction.RELEASE): AssignmentStatus.RELEASED,
    (AssignmentStatus.CONFIRMED, AssignmentAction.COMPLETE): AssignmentStatus.COMPLETED,
}
OFFER_VERBS = {
    OfferAction.ACCEPT: lambda o: o.accept(NOW),
    OfferAction.DECLINE: lambda o: o.decline(NOW, DeclineReason.TOO_FAR),
    OfferAction.EXPIRE: lambda o: o.expire(NOW),
    OfferAction.TAKE: lambda o: o.take(NOW),
    OfferAction.WITHDRAW: lambda o: o.withdraw(NOW),
    OfferAction.RELEASE: lambda o: o.release(NOW),
    OfferAction.CONFIRM: lambda o: o.confirm(NOW),
    OfferAction.CANCEL: lambda o: o.cancel(NOW),
}
ASSIGNMENT_VERBS = {
    AssignmentAction.CANCEL: lambda a: a.cancel(NOW, "the agency cancelled", late=True),
    AssignmentAction.STEP_BACK: lambda a: a.step_back(NOW, "ill", late=False),
    AssignmentAction.REASSIGN: lambda a: a.reassign(NOW, "agreed"),
    AssignmentAction.RELEASE: lambda a: a.release(NOW, "account deactivated"),
    AssignmentAction.COMPLETE: lambda a: a.complete(NOW, 90, 12.5),
}


def test_the_tables_say_what_the_life_cycles_are():
    assert OFFER_TRANSITIONS == OFFER_STEPS
    assert ASSIGNMENT_TRANSITIONS == ASSIGNMENT_STEPS


@pytest.mark.parametrize("status, action", list(itertools.product(OfferStatus, OfferAction)))
def test_every_offer_step_is_taken_or_refused_by_its_verb(status, action):
    offer = Offer(status=status)
    if (status, action) in OFFER_STEPS:
        assert can_offer(status, action)
        OFFER_VERBS[action](offer)
        assert offer.status is OFFER_STEPS[(status, action)] is next_offer_status(status, action)
    else:
        assert not can_offer(status, action)
        with pytest.raises(TransitionError):
            OFFER_VERBS[action](offer)
        assert offer.status is status  # a refused step changes nothing


@pytest.mark.parametrize("status, action", list(itertools.product(AssignmentStatus, AssignmentAction)))
def test_every_assignment_step_is_taken_or_refused_by_its_verb(status, action):
    assignment = Assignment(status=status, end_reason="", ended_late=False)
    if (status, action) in ASSIGNMENT_STEPS:
        assert can_assignment(status, action)
        ASSIGNMENT_VERBS[action](assignment)
        assert assignment.status is ASSIGNMENT_STEPS[(status, action)] is next_assignment_status(status, action)
    else:
        assert not can_assignment(status, action)
        with pytest.raises(TransitionError):
            ASSIGNMENT_VERBS[action](assignment)
        assert assignment.status is status


def test_the_verbs_keep_what_the_step_means():
    offer = Offer(status=OfferStatus.OPEN)
    offer.decline(NOW, DeclineReason.TOO_FAR)
    assert (offer.answered_at, offer.decline_reason) == (NOW, DeclineReason.TOO_FAR)
    accepted = Offer(status=OfferStatus.OPEN)
    accepted.accept(NOW)
    accepted.confirm(NOW + dt.timedelta(hours=1))
    assert accepted.answered_at == NOW  # the volunteer's answer, not the coordinator's confirmation

    stepped = Assignment(status=AssignmentStatus.CONFIRMED)
    stepped.step_back(NOW, "  Mein Kind ist krank. ", late=True)
    assert (stepped.ended_at, stepped.end_reason, stepped.ended_late) == (NOW, "Mein Kind ist krank.", True)
    assert not stepped.is_live
    done = Assignment(status=AssignmentStatus.CONFIRMED)
    done.complete(NOW, 105, 12.5)
    assert (done.completed_at, done.actual_minutes, done.travel_km, done.is_live) == (NOW, 105, 12.5, True)


def test_only_open_and_accepted_offers_count_as_asked_and_only_held_assignments_as_live():
    assert {s for s in OfferStatus if s.is_waiting} == {OfferStatus.OPEN, OfferStatus.ACCEPTED}
    assert {s for s in AssignmentStatus if s.is_live} == {AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED}


# The request's own steps that this life cycle added.
REQUEST_STEPS = {
    (RequestStatus.CONFIRMED, Action.STEP_BACK): RequestStatus.OPEN,
    (RequestStatus.CONFIRMED, Action.TAKE_OFF): RequestStatus.OPEN,
    (RequestStatus.OPEN, Action.CLOSE): RequestStatus.UNFILLED,
    (RequestStatus.OFFERED, Action.CLOSE): RequestStatus.UNFILLED,
    (RequestStatus.ACCEPTED, Action.CLOSE): RequestStatus.UNFILLED,
}


@pytest.mark.parametrize("status, action", list(itertools.product(RequestStatus, [Action.STEP_BACK, Action.TAKE_OFF,
                                                                                  Action.CLOSE, Action.REOPEN])))
def test_the_request_reopens_on_a_step_back_and_closes_when_it_cannot_be_filled(status, action):
    expected = {**REQUEST_STEPS, (RequestStatus.OFFERED, Action.REOPEN): RequestStatus.OPEN}.get((status, action))
    if expected is None:
        assert not can(status, action)
        with pytest.raises(TransitionError):
            next_status(status, action)
    else:
        assert TRANSITIONS[(status, action)] is expected is next_status(status, action)
