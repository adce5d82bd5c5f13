"""The domain's error vocabulary: every refusal is Invalid, Conflict, NotFound or Busy."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import oncall.domain
from oncall.domain.errors import Busy, Conflict, DomainError, Invalid, NotFound
from oncall.domain.people import StaffInvalid, UserConflict
from oncall.domain.rota import Month, RotaInvalid


def _domain_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of oncall.domain, by its qualified name."""
    found: dict[str, type[BaseException]] = {}
    prefix = oncall.domain.__name__ + "."
    for info in pkgutil.walk_packages(oncall.domain.__path__, prefix):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            if inspect.isclass(value) and issubclass(value, BaseException) and defined_here:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_domain_error_is_invalid_conflict_not_found_or_busy() -> None:
    classes = _domain_exceptions()
    assert "oncall.domain.rota.errors.RotaConflict" in classes  # the scan sees the packages
    strays = [
        name
        for name, cls in classes.items()
        if cls is not DomainError and not issubclass(cls, (Invalid, Conflict, NotFound, Busy))
    ]
    assert not strays, f"domain errors outside Invalid / Conflict / NotFound / Busy: {strays}"


def test_invalid_names_its_field_however_it_is_given() -> None:
    one = Invalid("month", "expected YYYY-MM")
    assert (one.field, str(one)) == ("month", "month: expected YYYY-MM")
    several = StaffInvalid({"code": "taken", "phone": "not a number"})
    assert several.errors == {"code": "taken", "phone": "not a number"}
    assert str(several) == "code: taken; phone: not a number" and several.field == "code"
    sentence = RotaInvalid("time limit: give between 1 and 300 seconds")
    assert (sentence.field, str(sentence)) == (
        "time limit",
        "time limit: give between 1 and 300 seconds",
    )


def test_refusals_keep_the_builtin_families_callers_relied_on() -> None:
    with pytest.raises(ValueError, match=r"^month: expected YYYY-MM"):
        Month.parse("2027-13")
    assert issubclass(NotFound, LookupError)
    conflict = UserConflict("USERNAME", "a user named 'ana' already exists")
    assert isinstance(conflict, Conflict) and not isinstance(conflict, Invalid)
    assert (conflict.field, str(conflict)) == (
        "USERNAME",
        "USERNAME: a user named 'ana' already exists",
    )
