"""Who and where: what the inventory says about people and places, for the artifacts people read.

The devices say what changes; this says what a site is called and where it is, who to call in each
department, vendor and integrator, which sites are special (seed 3.4) with their venue's contact and
approval, and the window and time zone the artifacts' times are shown in. None of it reaches a device.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hostdata import Contact, Settings, SiteInfo, SpecialSite
    from .model import Device


@dataclass(frozen=True)
class Approval:
    """A special site's approval: who, when (UTC, ISO 8601) and why it was needed."""

    site: str
    by: str
    at: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"by": self.by, "at": self.at, "reason": self.reason}


@dataclass(frozen=True)
class Directory:
    """The inventory's people and places (defaults.yaml `data`), with the devices' own fields."""

    timezone: str | None = None
    window: str | None = None
    site_info: Mapping[str, SiteInfo] = field(default_factory=dict)
    special: Mapping[str, SpecialSite] = field(default_factory=dict)
    contacts: Mapping[str, tuple[Contact, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings) -> Directory:
        from .hostdata import SpecialSite

        special = {
            site: value if isinstance(value, SpecialSite) else SpecialSite(reason=value)
            for site, value in settings.special_sites.items()
        }
        return cls(
            timezone=settings.timezone,
            window=settings.window,
            site_info=dict(settings.site_info),
            special=special,
            contacts={name: tuple(people) for name, people in settings.contacts.items()},
        )

    def site_name(self, site: str) -> str:
        """The display name, or the ID when the inventory gives none."""
        info = self.site_info.get(site)
        return info.name if info is not None and info.name else site

    def site_label(self, site: str) -> str:
        """`天河体育中心 (GZ-TIANHE-001)`: the name people use, with the ID the tool uses."""
        name = self.site_name(site)
        return site if name == site else f"{name} ({site})"

    def address(self, site: str, devices: Iterable[Device] = ()) -> str:
        """The site's address, else the first address one of its devices gives."""
        info = self.site_info.get(site)
        if info is not None and info.address:
            return info.address
        return next((d.address for d in devices if d.address and site in d.sites), "")

    def people(self, *names: str | None) -> list[tuple[str, Contact]]:
        """(whose, contact) for each named department, vendor or integrator that has contacts."""
        return [
            (name, c) for name in dict.fromkeys(n for n in names if n) for c in self.contacts.get(name, ())
        ]

    def approval(self, site: str, recorded: Mapping[str, Approval] | None = None) -> Approval | None:
        """The approval recorded at a push, else the one the inventory records."""
        if recorded and site in recorded:
            return recorded[site]
        entry = self.special.get(site)
        if entry is None or not entry.approved_by:
            return None
        return Approval(site, entry.approved_by, entry.approved_at or "", entry.reason)


def contact_text(contact: Contact) -> str:
    """`王老师 (宿管) 020-1234 5678 wang@example.edu`: one line, for a table cell."""
    parts = [contact.name + (f" ({contact.role})" if contact.role else ""), contact.phone, contact.email]
    return " ".join(p for p in parts if p)
