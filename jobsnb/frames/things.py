"""Things' attributes as a frame, and joined onto any frame with a ``thing_name`` column.

:func:`thing_attributes_frame` builds :data:`~jobsnb.schema.THING_ATTRIBUTE_COLUMNS` from
ListThings' entries; :func:`with_attributes` (``frame.jobsnb.with_attributes``) adds those
columns to a client frame, so that a chart can group or facet by ``region`` or ``model``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.frames._arrays import string_array
from jobsnb.schema import THING_ATTRIBUTE_COLUMNS

__all__ = ["thing_attributes_frame", "with_attributes"]


def thing_attributes_frame(things: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the attributes frame: one row per thing, one ``string`` column per attribute name.

    Parameters
    ----------
    things
        ListThings' entries (``thingName`` and ``attributes``).

    Returns
    -------
    pandas.DataFrame
        ``thing_name``, then the attribute names in sorted order, NA where a thing lacks one
        (:data:`~jobsnb.schema.THING_ATTRIBUTE_COLUMNS`).

    Examples
    --------
    >>> from jobsnb.frames import thing_attributes_frame
    >>> thing_attributes_frame([{"thingName": "a", "attributes": {"region": "eu"}},
    ...                         {"thingName": "b", "attributes": {}}])
      thing_name region
    0          a     eu
    1          b   <NA>
    """
    names = sorted({key for thing in things for key in thing.get("attributes") or {}})
    arrays = {"thing_name": string_array([thing["thingName"] for thing in things])}
    for name in names:
        arrays[name] = string_array([(t.get("attributes") or {}).get(name) for t in things])
    frame = pd.DataFrame(arrays)
    if frame.empty:
        frame = frame.astype({THING_ATTRIBUTE_COLUMNS[0].name: "string"})
    return frame


def with_attributes(
    frame: pd.DataFrame, attributes: pd.DataFrame, *, prefix: str = ""
) -> pd.DataFrame:
    """``frame`` with each row's thing attributes added as columns (a left join on thing_name).

    Parameters
    ----------
    frame
        Any frame with a ``thing_name`` column (pending, executions, describe, errors).
    attributes
        :meth:`~jobsnb.client.FleetClient.thing_attributes`' frame (``thing_name`` and one
        column per attribute).
    prefix
        Put before every attribute column's name (``"attr_"``: ``attr_region``), for attribute
        names that are already columns of ``frame``.

    Returns
    -------
    pandas.DataFrame
        ``frame``'s rows in their order with its index and ``attrs`` (errors, snapshot time),
        then the attribute columns; NA for things without the attribute or not in
        ``attributes``.

    Raises
    ------
    InvalidParameterError
        When either frame has no ``thing_name`` column, or an attribute column would replace
        one of ``frame``'s: the message names the column and suggests ``prefix=``.

    Examples
    --------
    >>> import pandas as pd
    >>> import jobsnb.frames
    >>> pending = pd.DataFrame({"thing_name": ["a", "b"], "status": ["QUEUED", "QUEUED"]})
    >>> attributes = pd.DataFrame({"thing_name": ["a"], "region": ["eu"]})
    >>> pending.jobsnb.with_attributes(attributes)
      thing_name  status region
    0          a  QUEUED     eu
    1          b  QUEUED    NaN
    >>> clash = attributes.rename(columns={"region": "status"})
    >>> pending.jobsnb.with_attributes(clash)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jobsnb.exceptions.InvalidParameterError: attributes: attribute column 'status' is ...
    >>> pending.jobsnb.with_attributes(clash, prefix="attr_").columns.tolist()
    ['thing_name', 'status', 'attr_status']
    """
    for name, given in (("frame", frame), ("attributes", attributes)):
        if "thing_name" not in given.columns:
            raise InvalidParameterError(
                name, "needs a thing_name column; client.thing_attributes() gives one", list(given)
            )
    renamed = attributes.rename(
        columns={c: f"{prefix}{c}" for c in attributes.columns if c != "thing_name"}
    ).drop_duplicates("thing_name")
    clashes = [c for c in renamed.columns if c != "thing_name" and c in frame.columns]
    if clashes:
        raise InvalidParameterError(
            "attributes",
            f"attribute column {clashes[0]!r} is already a column of the frame; pass "
            f'prefix="attr_"',
            clashes,
        )
    extra = renamed.set_index("thing_name")
    joined = pd.concat([frame, extra.reindex(frame["thing_name"]).set_axis(frame.index)], axis=1)
    joined.attrs = dict(frame.attrs)
    return joined
