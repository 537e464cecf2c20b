"""What a tool's marking says about the crib: the issued tool confirmed, another tool (a swap),
a number the crib does not know, or nothing read. The comparison is pure (no database); the
reading itself is inference/markings.py, and `read_markings` runs it on a stored photo.

Confirm, never guess: only an exact number or code, or a long enough tail of the issued tool's
number that fits no other tool the engineer holds, confirms a tool. A partial read never names
another tool, and a code that fits no pattern and no tool is "foreign": it decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inference import markings
from inference.markings import Marking, Read, Source


class Outcome:
    CONFIRMED = "confirmed"
    SWAPPED = "swapped"
    UNKNOWN = "unknown_number"
    NOT_READ = "not_read"
    PARTIAL = "partial"  # at upload: only part of a number read (it may confirm at return)


@dataclass(frozen=True)
class Check:
    outcome: str
    number: str  # the number or code read ("" when none; never a fragment of another tool)
    source: str
    message: str
    names: str = ""  # the crib's inventory number the marking names, when it names one

    @property
    def decides(self) -> bool:
        """True when the marking settles the line, whatever the visual match says."""
        return self.outcome != Outcome.NOT_READ


def _key(number: str) -> str:
    return markings.normalise(number)


def _tail_key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", markings.normalise(text))


def compare(
    marking: Marking | None,
    *,
    issued: str,
    held: Iterable[str] = (),
    crib: Iterable[str] = (),
    patterns=None,
    min_partial: int = markings.DEFAULT_MIN_PARTIAL,
) -> Check:
    """The marking of one returned tool against the number of the tool it was matched to.

    `held`: the numbers of every tool the engineer holds (for the partial-read rule);
    `crib`: every inventory number in the crib (to tell a swap from an unknown number).
    """
    if marking is None:
        return Check(Outcome.NOT_READ, "", "", "marking not read")
    patterns = markings.compile_patterns(None) if patterns is None else patterns
    by_key: Mapping[str, str] = {_key(n): n for n in crib}
    issued_key = _key(issued)
    by_key = {**by_key, issued_key: issued}

    # Codes first (checksummed), then well-formed numbers; every read is looked up.
    reads = reads_of(marking)
    known = [(r, k) for r, k in reads if k in by_key]
    if any(k == issued_key for _, k in known):
        r = next(r for r, k in known if k == issued_key)
        others = sorted({by_key[k] for _, k in known if k != issued_key})
        if others:  # two tools' numbers in one crop: a person must look
            return Check(
                Outcome.SWAPPED,
                r.text,
                r.source,
                f"marking reads both {issued} and {', '.join(others)}",
                names=others[0],
            )
        return Check(
            Outcome.CONFIRMED,
            by_key[issued_key],
            r.source,
            f"verified by marking ({_how(r)})",
            names=issued,
        )
    if known:
        r, k = known[0]
        return Check(
            Outcome.SWAPPED,
            by_key[k],
            r.source,
            f"swapped: this is {by_key[k]}, issued was {issued} ({_how(r)})",
            names=by_key[k],
        )
    for r, k in reads:
        # A code with a foreign payload (a maker's label) says nothing about the crib.
        if r.source == Source.OCR or markings.well_formed(k, patterns):
            near = (
                f"; one character off {issued}, the issued tool's: likely a misread, "
                "take a close-up of its number"
                if _one_off(k, issued_key)
                else ""
            )
            return Check(
                Outcome.UNKNOWN,
                k,
                r.source,
                f"unknown number {k}: it is no tool of the crib ({_how(r)}){near}",
            )
    tail = _confirming_tail(marking, issued, held, min_partial)
    if tail:
        return Check(
            Outcome.CONFIRMED,
            issued,
            Source.OCR,
            f"verified by marking (the end of the number, …{tail}, read)",
            names=issued,
        )
    foreign = [r.text for r in marking.codes]
    if foreign:
        return Check(
            Outcome.NOT_READ,
            "",
            "",
            f"marking not read: the code {foreign[0]!r} is no tool of the crib",
        )
    return Check(Outcome.NOT_READ, "", "", f"marking not read: {marking.message}".rstrip("."))


def _one_off(read: str, number: str) -> bool:
    """Read and number differ in exactly one character, in place (a 9 etched, a 0 read: the
    green wrench of ../shared reads AT-288203-5 for AT-288293-5 in every look). It changes
    only the words: the line still goes to a recount, where a close-up decides it."""
    return len(read) == len(number) and sum(a != b for a, b in zip(read, number)) == 1


def _confirming_tail(marking: Marking, issued: str, held: Iterable[str], min_partial: int) -> str:
    """A fragment whose end is the end of the issued number, at least `min_partial` letters and
    digits long, and the end of no other held tool's number."""
    issued_tail = _tail_key(issued)
    others = [_tail_key(n) for n in held if _key(n) != _key(issued)]
    for fragment in marking.fragments:
        f = _tail_key(fragment.text)
        n = 0
        while n < min(len(f), len(issued_tail)) and f[-1 - n] == issued_tail[-1 - n]:
            n += 1
        # The whole fragment must be the issued number's end, not just share a last digit or two.
        if n >= min_partial and n == len(f):
            shared = f[-n:]
            if not any(o.endswith(shared) for o in others):
                return shared
    return ""


SCANNED = "scanned"  # a label read by the desk's handheld scanner (MarkingSource.SCANNED)


def scanned(number: str) -> Marking:
    """What a scan at the desk read: the code's payload, as sure as a code read off the photo."""
    return Marking(
        codes=[markings.Read(number, SCANNED, 1.0)], status="read", message="scanned at the desk"
    )


TYPED = "typed"  # a tool picked by hand at the desk (MarkingSource.TYPED)


def typed(number: str, read_off: Marking | None = None) -> Marking:
    """A tool picked by hand (its number typed, or chosen from a list), not by its marking or a
    scan: recorded as typed, never as read. Where the photo's marking named this very tool,
    that reading stands (it confirms the pick); any other reading is kept in the message."""
    best = read_off.best if read_off is not None else None
    if best is not None and markings.normalise(best.text) == markings.normalise(number):
        return read_off  # type: ignore[return-value]  # best is not None: read_off is not
    said = ""
    if best is not None:
        said = f"; the photo's marking read {best.text}"
    elif read_off is not None and read_off.message:
        said = f"; the photo's marking: {read_off.message}"
    return Marking(
        codes=[markings.Read(number, TYPED, 1.0)],
        char_height=read_off.char_height if read_off is not None else None,
        status="read",
        message=f"picked by hand at the desk{said}",
    )


def _how(read) -> str:
    return {
        SCANNED: "scanned at the desk",
        TYPED: "picked by hand",
        Source.OCR: "etched or printed number read",
        Source.DATAMATRIX: "DataMatrix read",
        Source.QR: "QR code read",
        Source.BARCODE: "barcode read",
    }.get(read.source, f"{read.source} read")


@dataclass(frozen=True)
class Named:
    """What a marking read at upload says before any tool is picked: it names a tool of the
    crib (confirmed), reads a number no tool has (unknown_number), only part of one (partial),
    or nothing (not_read). A partial read names nothing and is not shown as a number."""

    check: str
    text: str  # the number or code to show ("" when partial or not read)
    message: str
    read: Read | None = None  # the read that says it (source, confidence, where)
    tool_instance_id: int | None = None
    inventory_number: str = ""


def reads_of(marking: Marking) -> list[tuple[Read, str]]:
    """Each code and well-formed number read, with its key for looking up a crib number."""
    return [(r, _key(r.text)) for r in marking.codes] + [(r, r.text) for r in marking.numbers]


def name_tool(marking: Marking, crib: Mapping[str, tuple[int, str]], patterns=None) -> Named:
    """`crib`: key (`normalise`d inventory number) -> (tool instance id, inventory number), for
    at least every key `reads_of(marking)` gives."""
    patterns = markings.compile_patterns(None) if patterns is None else patterns
    reads = reads_of(marking)
    named = {crib[k] for _, k in reads if k in crib}
    if len(named) == 1:
        [(pk, number)] = named
        r = next(r for r, k in reads if k in crib)
        return Named(Outcome.CONFIRMED, number, f"marking {number} read ({_how(r)})", r, pk, number)
    if len(named) > 1:
        both = ", ".join(sorted(n for _, n in named))
        return Named(Outcome.NOT_READ, "", f"the marking reads several tools: {both}")
    for r, k in reads:
        if r.source == Source.OCR or markings.well_formed(k, patterns):
            return Named(Outcome.UNKNOWN, k, f"unknown number {k}: it is no tool of the crib", r)
    if marking.codes:
        return Named(
            Outcome.NOT_READ, "", f"the code {marking.codes[0].text!r} is no tool of the crib"
        )
    if marking.fragments:
        return Named(Outcome.PARTIAL, "", "only part of a number read: take a close-up")
    return Named(Outcome.NOT_READ, "", f"marking not read: {marking.message}".rstrip("."))
