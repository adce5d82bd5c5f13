"""GSM-7: which characters travel in the cheap encoding, how many segments a text costs, and how
to fit a text into one segment."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set (one septet each) and its extension table (two septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

SINGLE_GSM7 = 160  # septets in a single-segment message
MULTI_GSM7 = 153  # per segment when concatenated (the UDH takes 7)
SINGLE_UCS2 = 70
MULTI_UCS2 = 67

# Look-alikes people and data bring in, mapped to GSM-7 so a text stays in one cheap encoding.
_REPLACEMENTS = {
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "-",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "ı": "i",
    "œ": "oe",
    "Œ": "OE",
}


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a text travels: GSM-7 or UCS-2, its length in units, and how many segments it costs."""

    gsm7: bool
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic set or its extension table."""
    return _GSM7_ALL.issuperset(text)


def encoding_of(text: str) -> Encoding:
    """The encoding Twilio would pick and the number of segments the text is billed as."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi = SINGLE_GSM7, MULTI_GSM7
        gsm7 = True
    else:
        # UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) takes two.
        units = len(text.encode("utf-16-le")) // 2
        single, multi = SINGLE_UCS2, MULTI_UCS2
        gsm7 = False
    segments = 1 if units <= single else -(-units // multi)
    return Encoding(gsm7, units, max(segments, 1))


def to_gsm7(text: str) -> str:
    """`text` with look-alikes replaced and accents dropped where GSM-7 lacks them; '?' else."""
    if _GSM7_ALL.issuperset(text):  # the usual case: nothing to replace (no look-alike is GSM-7)
        return text
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in ch):
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        out.append(base if base and is_gsm7(base) else "?")
    return "".join(out)


def fit(text: str, limit: int = SINGLE_GSM7) -> str:
    """GSM-7 text cut to `limit` septets (with an ellipsis of dots), for one segment."""
    text = to_gsm7(text)
    if encoding_of(text).units <= limit:
        return text
    while encoding_of(text + "..").units > limit:
        text = text[:-1]
    return text.rstrip() + ".."
