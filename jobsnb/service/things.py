"""The thing registry operations: things, thing groups and their members.

A base of :class:`~jobsnb.service.backend.JobsBackend`, which reacts to membership changes
(CONTINUOUS jobs follow their groups) through the ``_joined_group``/``_left_group``/
``_deleted_thing`` hooks. Every operation takes the backend's lock (:mod:`~.locking`).
"""

from __future__ import annotations

from collections.abc import Iterable

from jobsnb.limits import check_thing_name
from jobsnb.service.clock import Clock
from jobsnb.service.errors import (
    InvalidRequestException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    VersionConflictException,
)
from jobsnb.service.locking import operation
from jobsnb.service.paging import page
from jobsnb.service.registry import NO_ATTRIBUTES, Thing, ThingGroup, list_once, stable_id

__all__ = ["ThingRegistry"]


class ThingRegistry:
    """Things and thing groups of one account in one region, with ARNs built from both."""

    region: str
    account_id: str

    def __init__(self, clock: Clock, region: str, account_id: str) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.things: dict[str, Thing] = {}
        self.thing_order: list[str] = []
        self.groups: dict[str, ThingGroup] = {}
        self.group_order: list[str] = []
        # Names listed that went (deleted): one that comes back keeps its place (list_once).
        self._former_things: set[str] = set()
        self._former_groups: set[str] = set()
        self._thing_arn_prefix = self.thing_arn("")
        # Things in the same groups share one tuple of their names (see _shared).
        self._group_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def _joined_group(self, group: ThingGroup, thing: Thing) -> None:
        """Called after ``thing`` joined ``group``."""

    def _left_group(self, group: ThingGroup, thing: Thing) -> None:
        """Called after ``thing`` left ``group``."""

    def _deleted_thing(self, thing: Thing) -> None:
        """Called when ``thing`` is about to be deleted (it has left its groups already)."""

    # ----------------------------------------------------------------- ARNs
    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account_id}:{kind}/{name}"

    def thing_arn(self, name: str) -> str:
        """The ARN of thing ``name`` in this account and region, whether or not it exists."""
        return self._arn("thing", name)

    def group_arn(self, name: str) -> str:
        """The ARN of thing group ``name`` in this account and region, whether or not it exists."""
        return self._arn("thinggroup", name)

    def _name_from_arn(self, arn: str, kind: str) -> str | None:
        prefix = self._arn(kind, "")
        return arn[len(prefix) :] if arn.startswith(prefix) else None

    # ----------------------------------------------------------------- things
    @operation
    def create_thing(
        self,
        thing_name: str,
        attributes: dict[str, str] | None = None,
        thing_type: str | None = None,
    ) -> Thing:
        """Register a thing and return it; one with the same attributes and type is returned.

        Raises
        ------
        ResourceAlreadyExistsException
            When the thing exists with other attributes or another type.
        InvalidRequestException
            When the name breaks AWS's rules.
        """
        check_thing_name(thing_name)
        attributes = dict(attributes or {})
        existing = self.things.get(thing_name)
        if existing is not None:
            if existing.attributes != attributes or existing.thing_type != thing_type:
                raise ResourceAlreadyExistsException(
                    f"Thing {thing_name} already exists with different attributes"
                )
            return existing
        thing = Thing(thing_name, self._thing_arn_prefix, attributes or NO_ATTRIBUTES, thing_type)
        self.things[thing_name] = thing
        list_once(self.thing_order, self._former_things, thing_name)
        return thing

    @operation
    def describe_thing(self, thing_name: str) -> Thing:
        """The thing named ``thing_name``; ResourceNotFoundException when there is none."""
        thing = self.things.get(thing_name)
        if thing is None:
            raise ResourceNotFoundException(f"Thing {thing_name} cannot be found.")
        return thing

    @operation
    def update_thing(
        self,
        thing_name: str,
        attributes: dict[str, str] | None = None,
        merge: bool = False,
        expected_version: int | None = None,
        thing_type: str | None = None,
        remove_thing_type: bool = False,
    ) -> Thing:
        """Change the thing's attributes or type, add one to its version, and return it.

        With ``merge``, ``attributes`` are merged into the thing's and an empty value removes its
        key; without, they replace them.

        Raises
        ------
        ResourceNotFoundException
            When the thing does not exist.
        VersionConflictException
            When ``expected_version`` is not the thing's version.
        """
        thing = self.describe_thing(thing_name)
        if expected_version is not None and expected_version != thing.version:
            raise VersionConflictException(
                f"The version for thing {thing_name} does not match the expected version."
            )
        if attributes is not None:
            if merge:
                merged = {**thing.attributes, **attributes}
                attributes = {k: v for k, v in merged.items() if v != ""}
            thing.attributes = dict(attributes) or NO_ATTRIBUTES
        if thing_type is not None:
            thing.thing_type = thing_type
        if remove_thing_type:
            thing.thing_type = None
        thing.version += 1
        return thing

    @operation
    def delete_thing(self, thing_name: str, expected_version: int | None = None) -> None:
        """Delete a thing: it leaves its groups and its pending executions become REMOVED."""
        thing = self.describe_thing(thing_name)
        if expected_version is not None and expected_version != thing.version:
            raise VersionConflictException(
                f"The version for thing {thing_name} does not match the expected version."
            )
        for group_name in list(thing.groups):
            self.remove_thing_from_thing_group(group_name, thing_name)
        self._deleted_thing(thing)
        del self.things[thing_name]
        self._former_things.add(thing_name)

    @operation
    def list_things(
        self,
        next_token: str | None = None,
        max_results: int | None = None,
        attribute_name: str | None = None,
        attribute_value: str | None = None,
        use_prefix: bool = False,
        thing_type: str | None = None,
    ) -> tuple[list[Thing], str | None]:
        """One page of things in the order they were first created, and the next token.

        ``attribute_name`` keeps the things with that attribute; with ``attribute_value``, those
        whose value equals it (starts with it when ``use_prefix``); ``thing_type`` those of that
        type. The token is None on the last page; InvalidRequestException for a bad
        ``next_token`` or a ``max_results`` outside 1-250.
        """

        def keep(name: str) -> Thing | None:
            thing = self.things.get(name)
            if thing is None or (thing_type is not None and thing.thing_type != thing_type):
                return None
            if attribute_name is not None:
                value = thing.attributes.get(attribute_name)
                if value is None:
                    return None
                if attribute_value is not None and not (
                    value.startswith(attribute_value) if use_prefix else value == attribute_value
                ):
                    return None
            return thing

        return page(self.thing_order, keep, next_token, max_results)

    # ----------------------------------------------------------------- thing groups
    @operation
    def create_thing_group(
        self,
        group_name: str,
        description: str | None = None,
        attributes: dict[str, str] | None = None,
        parent: str | None = None,
    ) -> ThingGroup:
        """Create a thing group and return it; one with the same description and parent is returned.

        Raises
        ------
        ResourceAlreadyExistsException
            When the group exists with another description or parent.
        InvalidRequestException
            When the name breaks AWS's rules, or ``parent`` does not exist.
        """
        check_thing_name(group_name, "thingGroupName")
        existing = self.groups.get(group_name)
        if existing is not None:
            if existing.description != description or existing.parent != parent:
                raise ResourceAlreadyExistsException(
                    f"Thing group {group_name} already exists with different properties"
                )
            return existing
        if parent is not None and parent not in self.groups:
            raise InvalidRequestException(f"Parent thing group {parent} does not exist")
        arn = self.group_arn(group_name)
        group = ThingGroup(
            group_name,
            arn,
            stable_id(arn),
            self.clock.now(),
            description,
            dict(attributes or {}),
            parent,
        )
        self.groups[group_name] = group
        list_once(self.group_order, self._former_groups, group_name)
        return group

    @operation
    def describe_thing_group(self, group_name: str) -> ThingGroup:
        """The thing group named ``group_name``; ResourceNotFoundException when there is none."""
        group = self.groups.get(group_name)
        if group is None:
            raise ResourceNotFoundException(f"Thing group {group_name} cannot be found.")
        return group

    @operation
    def delete_thing_group(self, group_name: str, expected_version: int | None = None) -> None:
        """Delete the group after its members leave it; a group that does not exist is no error.

        Raises
        ------
        VersionConflictException
            When ``expected_version`` is not the group's version.
        InvalidRequestException
            When the group has child groups.
        """
        group = self.groups.get(group_name)
        if group is None:
            return  # AWS answers success for a group that does not exist.
        if expected_version is not None and expected_version != group.version:
            raise VersionConflictException(f"The version for thing group {group_name} differs.")
        if any(child.parent == group_name for child in self.groups.values()):
            raise InvalidRequestException(f"Thing group {group_name} has child groups")
        for thing_name in list(group.members):
            self.remove_thing_from_thing_group(group_name, thing_name)
        del self.groups[group_name]
        self._former_groups.add(group_name)

    @operation
    def list_thing_groups(
        self,
        next_token: str | None = None,
        max_results: int | None = None,
        parent: str | None = None,
        name_prefix: str | None = None,
    ) -> tuple[list[ThingGroup], str | None]:
        """One page of thing groups in the order they were first created, and the next token.

        ``parent`` keeps the direct children of that group, ``name_prefix`` the groups whose
        name starts with it. The token is None on the last page.
        """

        def keep(name: str) -> ThingGroup | None:
            group = self.groups.get(name)
            if group is None or (parent is not None and group.parent != parent):
                return None
            if name_prefix is not None and not name.startswith(name_prefix):
                return None
            return group

        return page(self.group_order, keep, next_token, max_results)

    def _group_and_thing(
        self,
        group_name: str | None,
        thing_name: str | None,
        group_arn: str | None = None,
        thing_arn: str | None = None,
    ) -> tuple[ThingGroup, Thing]:
        if group_name is None and group_arn is not None:
            group_name = self._name_from_arn(group_arn, "thinggroup")
        if thing_name is None and thing_arn is not None:
            thing_name = self._name_from_arn(thing_arn, "thing")
        if group_name is None or thing_name is None:
            raise InvalidRequestException("A thing group and a thing, by name or ARN, are required")
        group = self.describe_thing_group(group_name)
        thing = self.describe_thing(thing_name)
        return group, thing

    @operation
    def add_thing_to_thing_group(
        self,
        group_name: str | None,
        thing_name: str | None,
        group_arn: str | None = None,
        thing_arn: str | None = None,
    ) -> None:
        """Add the thing to the group, each given by name or ARN; adding a member does nothing.

        CONTINUOUS jobs that target the group queue an execution for the thing.

        Raises
        ------
        InvalidRequestException
            When the group or the thing is given neither by name nor by an ARN of this account
            and region.
        ResourceNotFoundException
            When the group or the thing does not exist.
        """
        group, thing = self._group_and_thing(group_name, thing_name, group_arn, thing_arn)
        if thing.name in group.members:
            return
        group.members[thing.name] = None
        list_once(group.member_order, group.former_members, thing.name)
        thing.groups = self._shared((*thing.groups, group.name))
        self._joined_group(group, thing)

    @operation
    def remove_thing_from_thing_group(
        self,
        group_name: str | None,
        thing_name: str | None,
        group_arn: str | None = None,
        thing_arn: str | None = None,
    ) -> None:
        """Remove the thing from the group, each given by name or ARN; a non-member is no error.

        The thing's pending execution of a CONTINUOUS job that targets the group becomes
        REMOVED, unless the job still targets the thing otherwise. Raises as
        :meth:`add_thing_to_thing_group` does.
        """
        group, thing = self._group_and_thing(group_name, thing_name, group_arn, thing_arn)
        if thing.name not in group.members:
            return
        del group.members[thing.name]
        group.former_members.add(thing.name)
        thing.groups = self._shared(tuple(name for name in thing.groups if name != group.name))
        self._left_group(group, thing)

    def _shared(self, groups: tuple[str, ...]) -> tuple[str, ...]:
        # A million things in one group hold one tuple; combinations are few and kept for good.
        return self._group_tuples.setdefault(groups, groups)

    def _members(self, group: ThingGroup, recursive: bool) -> Iterable[str]:
        yield from (name for name in group.member_order if name in group.members)
        if recursive:
            for child in self.groups.values():
                if child.parent == group.name:
                    yield from self._members(child, True)

    @operation
    def list_things_in_thing_group(
        self,
        group_name: str,
        recursive: bool = False,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> tuple[list[str], str | None]:
        """One page of the names of the group's members, and the next token.

        Members come in the order they first joined; ``recursive`` adds the members of its
        child groups, each name once. ResourceNotFoundException when the group does not exist.
        """
        group = self.describe_thing_group(group_name)
        if recursive:
            names = list(dict.fromkeys(self._members(group, True)))
            return page(names, lambda name: name, next_token, max_results)
        return page(
            group.member_order,
            lambda name: name if name in group.members else None,
            next_token,
            max_results,
        )
