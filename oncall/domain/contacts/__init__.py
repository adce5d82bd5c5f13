"""Contacts: a call or text from the public, its reference number (OOH-2027-00042, 0042 in texts),
who is calling (known agency numbers, registered foster carers, unverified), and opening one
with its first events.
"""

from oncall.domain.contacts.records import (
    CallerIdentity,
    contact_exists,
    identify_caller,
    open_contact,
)

__all__ = ["CallerIdentity", "contact_exists", "identify_caller", "open_contact"]
