"""Things and thing groups: the registry that jobs target.

A million things must fit in a few hundred MB, so a :class:`Thing` stores only what is its own:
its ARN and id are derived from its name when asked, and things without attributes, or in the
same groups, share one read-only mapping and one tuple of group names.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["NO_ATTRIBUTES", "Thing", "ThingGroup", "list_once", "stable_id"]

# Stable ids: the same name always gets the same id, so a seeded fleet is the same fleet.
_ID_NAMESPACE = uuid.UUID("6f1c1f52-8f0e-4c53-9c1e-2a4ad3bb7e01")

#: The attributes of every thing that has none: one shared, read-only mapping.
NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


def stable_id(arn: str) -> str:
    """The id of the resource with ``arn``: a UUID derived from the ARN, the same in every run."""
    return str(uuid.uuid5(_ID_NAMESPACE, arn))


@dataclass(eq=False, slots=True)
class Thing:
    """A registered thing: name, attributes, type, version and its groups' names.

    ``arn_prefix`` is its registry's ``arn:aws:iot:<region>:<account>:thing/``, one string
    shared by every thing. ``attributes`` is read-only: the registry replaces it on update.
    ``groups`` lists the groups it joined, in the order it joined them.
    """

    name: str
    arn_prefix: str
    attributes: Mapping[str, str]
    thing_type: str | None = None
    version: int = 1
    groups: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        """The thing's ARN."""
        return self.arn_prefix + self.name

    @property
    def thing_id(self) -> str:
        """The thing's id: :func:`stable_id` of its ARN."""
        return stable_id(self.arn)

    def describe(self) -> dict[str, object]:
        """DescribeThing's answer: the list summary plus ids."""
        return {**self.summary(), "defaultClientId": self.name, "thingId": self.thing_id}

    def summary(self) -> dict[str, object]:
        """ListThings' entry (ThingAttribute): name, ARN, attributes, version and type if set."""
        shape: dict[str, object] = {
            "thingName": self.name,
            "thingArn": self.arn,
            "attributes": dict(self.attributes),
            "version": self.version,
        }
        if self.thing_type:
            shape["thingTypeName"] = self.thing_type
        return shape


@dataclass(eq=False, slots=True)
class ThingGroup:
    """A thing group: its properties, its parent's name and its members.

    ``members`` holds the current members; ``member_order`` every thing that ever joined, in
    the order it first joined: offset page tokens index it, so it only grows. ``former_members``
    holds the things that left: only they can be in ``member_order`` and not members.
    """

    name: str
    arn: str
    group_id: str
    created_at: float
    description: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    parent: str | None = None
    version: int = 1
    # dict as an ordered set: membership tests are O(1) and listing keeps insertion order.
    members: dict[str, None] = field(default_factory=dict)
    member_order: list[str] = field(default_factory=list)
    former_members: set[str] = field(default_factory=set)

    def describe(self) -> dict[str, object]:
        """DescribeThingGroup's answer: ids, version, properties and metadata."""
        properties: dict[str, object] = {"attributePayload": {"attributes": dict(self.attributes)}}
        if self.description is not None:
            properties["thingGroupDescription"] = self.description
        metadata: dict[str, object] = {"creationDate": self.created_at}
        if self.parent:
            metadata["parentGroupName"] = self.parent
        return {
            "thingGroupName": self.name,
            "thingGroupId": self.group_id,
            "thingGroupArn": self.arn,
            "version": self.version,
            "thingGroupProperties": properties,
            "thingGroupMetadata": metadata,
        }


def list_once(order: list[str], former: set[str], name: str) -> None:
    """Append ``name``, absent now, to an append-only listing order unless it was listed before.

    Offset page tokens index these lists, so they only grow; entries of names that went are
    skipped when a page is read. Only a name that went (one in ``former``) can have been listed
    and be absent, so the names present cost no set.
    """
    if name not in former:
        order.append(name)
