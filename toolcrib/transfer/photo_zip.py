"""Reference photos from a ZIP whose file names carry the inventory number.

`AT-288293-6.jpg`, `AT-288293-6_2.jpg` and `AT-288293-6 (2).jpg` are all photos of the tool
AT-288293-6 (folders inside the ZIP are ignored). Each photo shows one tool, filling the frame: it
is enrolled with the whole photo as the box, through the enrolment service. Every entry is checked
before anything is stored; one bad entry saves nothing.

Nothing is unpacked to disk. Entries whose names climb out of the archive (`..`, absolute
paths), encrypted entries, and archives that would unpack to more than MAX_UNPACKED bytes or
whose entries are packed more tightly than a photo can be (a ZIP bomb) are refused.
"""

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from toolcrib.crib import audit, services
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import ToolInstance
from toolcrib.crib.photos import check_photo

MAX_PHOTOS = 200
MAX_UNPACKED = 200 * 1024 * 1024
# Photos are already compressed: an entry packed tighter than this is not a photo.
MAX_RATIO = 10
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_SEPARATORS = re.compile(r"[ _(]")


@dataclass
class Entry:
    name: str
    tool: ToolInstance | None = None
    problems: list[str] = field(default_factory=list)
    data: bytes = b""
    size: tuple[int, int] = (0, 0)


@dataclass
class PhotoCheck:
    entries: list[Entry]
    file_problem: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.file_problem
            and bool(self.entries)
            and not any(e.problems for e in self.entries)
        )


def _ignored(name: str) -> bool:
    """Folders and what operating systems add to ZIPs (__MACOSX/, .DS_Store, Thumbs.db)."""
    base = posixpath.basename(name)
    return (
        name.endswith("/")
        or name.startswith("__MACOSX/")
        or base.startswith(".")
        or (base.lower() == "thumbs.db")
    )


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"^[A-Za-z]:", name))


def candidates(stem: str) -> list[str]:
    """The inventory numbers a file name may carry, longest first: the whole stem, then the
    stem cut before each separator (`AT-1_2` -> `AT-1_2`, `AT-1`)."""
    cuts = [m.start() for m in _SEPARATORS.finditer(stem)]
    cut = [stem[:i].strip() for i in reversed(cuts)]
    return list(dict.fromkeys(c for c in [stem, *cut] if c))


def check_zip(data: bytes) -> PhotoCheck:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return PhotoCheck([], "The file is not a ZIP archive.")
    with archive:
        infos = [i for i in archive.infolist() if not _ignored(i.filename)]
        for info in infos:
            if _unsafe(info.filename):
                return PhotoCheck(
                    [], f"Refused: the entry “{info.filename}” points outside the ZIP."
                )
        if not infos:
            return PhotoCheck([], "The ZIP holds no photos.")
        if len(infos) > MAX_PHOTOS:
            return PhotoCheck(
                [], f"The ZIP holds {len(infos)} files; at most {MAX_PHOTOS} per ZIP."
            )
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            return PhotoCheck([], "Refused: the ZIP unpacks to more than 200 MB.")
        entries = [_read(archive, info) for info in infos]
    _find_tools(entries)
    return PhotoCheck(entries)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    entry = Entry(info.filename)
    limit = settings.TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024
    if not info.filename.lower().endswith(IMAGE_SUFFIXES):
        entry.problems.append("not a photo (JPEG, PNG or WEBP)")
        return entry
    if info.flag_bits & 0x1:
        entry.problems.append("encrypted")
        return entry
    if info.file_size > limit or info.file_size > MAX_RATIO * max(info.compress_size, 1):
        entry.problems.append("refused: unpacks far larger than a photo (ZIP bomb?)")
        return entry
    try:
        with archive.open(info) as f:
            data = f.read(limit + 1)  # never more than a photo may be, whatever it claims
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as e:
        entry.problems.append(f"cannot be unpacked ({e})")
        return entry
    try:
        width, height, _ = check_photo(data)
    except CribError as e:
        entry.problems.append(str(e))
        return entry
    entry.data, entry.size = data, (width, height)
    return entry


def _find_tools(entries: list[Entry]) -> None:
    stems = {
        e.name: candidates(posixpath.splitext(posixpath.basename(e.name.replace("\\", "/")))[0])
        for e in entries
    }
    wanted = {c for cs in stems.values() for c in cs}
    tools = {
        t.inventory_number: t for t in ToolInstance.objects.filter(inventory_number__in=wanted)
    }
    for entry in entries:
        found = next((tools[c] for c in stems[entry.name] if c in tools), None)
        if found is None:
            entry.problems.append(
                f"no tool instance numbered “{stems[entry.name][0]}” (name the file after the "
                "tool's inventory number, e.g. AT-288293-6_2.jpg)"
            )
        entry.tool = found


def enrol_all(check: PhotoCheck, *, user: User, filename: str) -> int:
    """Store and enrol every photo of a checked ZIP in one transaction: all or none, and no file
    left behind when one fails."""
    if not check.ok:
        raise CribError("The ZIP has problems; nothing was saved.")
    with services.photos_kept_only_if_done(), audit.acting_as(user), transaction.atomic():
        for entry in check.entries:
            assert entry.tool is not None
            photo = services.store_photo(entry.data, name=entry.name, user=user)
            services.enrol(entry.tool, photo, (0, 0, photo.width, photo.height), user=user)
        audit.write(
            "imported",
            "import",
            "photos",
            f"{len(check.entries)} reference photos from {filename}"[:200],
            after={"kind": "photos", "file": filename, "rows": len(check.entries)},
        )
    return len(check.entries)
