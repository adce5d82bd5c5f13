"""Phone numbers: E.164 normalisation and masking."""

from __future__ import annotations

import pytest

from oncall.phones import InvalidPhoneNumber, mask_phone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01534 700101", "+441534700101"),
        ("+44 (0)7797 910000", "+447797910000"),
        ("07797910000", "+447797910000"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_numbers_are_stored_in_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "hello", "12", "+44 1534 1"])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw)


def test_masking_hides_numbers_but_not_references_or_times() -> None:
    text = "from +441534700101 ref OOH-2027-00042 at 2027-01-08T23:00:00 tel 07797 910000"
    masked = mask_phone(text)
    assert "+441534700101" not in masked and "+*********101" in masked
    assert "07797 910000" not in masked and masked.endswith("000")
    assert "OOH-2027-00042" in masked and "2027-01-08T23:00:00" in masked
