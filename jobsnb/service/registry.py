"""Things and thing groups: the registry that jobs target."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

__all__ = ["Thing", "ThingGroup", "stable_id"]

# Stable ids: the same name always gets the same id, so a seeded fleet is the same fleet.
_ID_NAMESPACE = uuid.UUID("6f1c1f52-8f0e-4c53-9c1e-2a4ad3bb7e01")


def stable_id(arn: str) -> str:
    """The id of the resource with ``arn``: a UUID derived from the ARN, the same in every run."""
    return str(uuid.uuid5(_ID_NAMESPACE, arn))


@dataclass(eq=False, slots=True)
class Thing:
    """A registered thing: name, ARN, id, attributes, type, version and its groups' names."""

    name: str
    arn: str
    thing_id: str
    attributes: dict[str, str]
    thing_type: str | None = None
    version: int = 1
    groups: set[str] = field(default_factory=set)

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
    the order it first joined: offset page tokens index it, so it only grows.
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
    ever_members: set[str] = field(default_factory=set)

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
