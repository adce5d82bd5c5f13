"""Durations are elapsed time from the offsets, so clock changes shorten or lengthen rests."""

from __future__ import annotations

from rota_solver import check, parse_problem, solve


def _two_shifts(
    first_end: str, second_start: str, second_end: str, rest: float
) -> dict[str, object]:
    return {
        "format": "oncall-rota-problem/1",
        "tiers": ["worker"],
        "shifts": [
            {
                "id": "night",
                "start": "2027-03-27T17:00:00+00:00",
                "end": first_end,
                "tier": "worker",
            },
            {"id": "day", "start": second_start, "end": second_end, "tier": "worker"},
        ],
        "people": [{"id": "a", "name": "Ann", "tier": "worker"}],
        "rules": {"min_rest_hours": rest},
    }


def test_spring_forward_rest_is_one_hour_shorter_than_the_clock_says() -> None:
    # 00:30 GMT to 09:00 BST is 7.5 hours elapsed, though the wall clock shows 8.5.
    doc = _two_shifts(
        "2027-03-28T00:30:00+00:00", "2027-03-28T09:00:00+01:00", "2027-03-28T17:00:00+01:00", 8
    )
    solution = solve(parse_problem(doc), time_limit_s=60)
    assert solution.status == "infeasible"
    assert "rest:a" in solution.explanation[0].constraints


def test_fall_back_rest_is_one_hour_longer_than_the_clock_says() -> None:
    # 00:30 BST to 08:00 GMT is 8.5 hours elapsed, though the wall clock shows 7.5.
    doc = _two_shifts(
        "2027-10-31T00:30:00+01:00", "2027-10-31T08:00:00+00:00", "2027-10-31T16:00:00+00:00", 8
    )
    doc["shifts"][0]["start"] = "2027-10-30T17:00:00+01:00"  # type: ignore[index]
    problem = parse_problem(doc)
    solution = solve(problem, time_limit_s=60)
    assert solution.status == "optimal"
    assert check(problem, solution) == []
    assert len(solution.assignments) == 2


def test_night_across_the_change_has_its_elapsed_length() -> None:
    # A 17:00 to 09:00 night is 15 hours in March and 17 in October; a 16-hour rest after
    # the March night's end is measured from its real end.
    spring = parse_problem(
        _two_shifts(
            "2027-03-28T09:00:00+01:00",
            "2027-03-29T01:00:00+01:00",
            "2027-03-29T09:00:00+01:00",
            16,
        )
    )
    night = spring.shifts[0]
    assert (night.end - night.start).total_seconds() == 15 * 3600
    assert solve(spring, time_limit_s=60).status == "optimal"  # exactly 16 h of rest
    autumn = parse_problem(
        {
            **_two_shifts(
                "2027-10-31T09:00:00+00:00",
                "2027-11-01T01:00:00+00:00",
                "2027-11-01T09:00:00+00:00",
                16.5,
            ),
            "shifts": [
                {
                    "id": "night",
                    "start": "2027-10-30T17:00:00+01:00",
                    "end": "2027-10-31T09:00:00+00:00",
                    "tier": "worker",
                },
                {
                    "id": "day",
                    "start": "2027-11-01T01:00:00+00:00",
                    "end": "2027-11-01T09:00:00+00:00",
                    "tier": "worker",
                },
            ],
        }
    )
    night = autumn.shifts[0]
    assert (night.end - night.start).total_seconds() == 17 * 3600
    assert solve(autumn, time_limit_s=60).status == "infeasible"  # 16 h of rest, 16.5 needed
