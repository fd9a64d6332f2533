"""What the account knows about things: their attributes, and which asked-for names it lacks.

IoT Jobs' data plane answers a thing it does not know as one it knows with nothing pending
(GetPendingJobExecutions returns two empty lists), so a typo reads as "nothing pending".
:func:`unknown_things` asks the control plane's DescribeThing about the names that came back
without rows, and each name the account lacks becomes a ``ResourceNotFoundException`` error
row. Names that :meth:`~jobsnb.client.FleetClient.things` listed (a :class:`ThingNames`) are
known already and cost no call; names with pending executions neither.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from jobsnb import frames
from jobsnb.client._calls import Calls, Outcome
from jobsnb.client.progress import Progress

if TYPE_CHECKING:
    from jobsnb.client.control_plane import ControlPlane

__all__ = ["Registry", "ThingNames", "unknown_things"]


class ThingNames(list[str]):
    """Thing names the account listed (``client.things()``): a list known to name real things.

    ``client.pending(names, check_things=True)`` checks none of them.
    """


def unknown_things(
    calls: Calls,
    things: Sequence[str],
    answered: Iterable[str],
    progress: Progress,
    stop: threading.Event | None,
) -> Outcome:
    """DescribeThing for each of ``things`` not in ``answered``; unknown ones are error rows.

    Returns an empty frame with the errors (``ResourceNotFoundException``, "Thing … cannot be
    found", HTTP 404 for a name the account lacks) and the calls made. Callers skip names
    that are a :class:`ThingNames`: those are known.
    """
    seen = set(answered)
    asked = list(dict.fromkeys(name for name in things if name not in seen))
    result = calls.fan_out(
        asked,
        lambda name: calls.control.describe_thing(thingName=name),
        "DescribeThing",
        lambda name: (name, None),
        calls.control_budget,
        progress,
        stop,
    )
    return Outcome.of(pd.DataFrame(), result, len(asked))


class Registry:
    """The thing registry's reads of a :class:`~jobsnb.client.FleetClient`, on its control plane."""

    def __init__(self, control: ControlPlane) -> None:
        self.control = control

    def thing_attributes(
        self, things: Iterable[str] | None = None, *, limit: int | None = None
    ) -> pd.DataFrame:
        """Every thing's attributes, one row per thing: ListThings, page after page.

        Parameters
        ----------
        things
            Keep only these names (e.g. ``client.things(group)``); ``None`` keeps all. The
            whole registry is listed either way: one call per 250 things (a 100,000-thing
            account is 400 calls, 40 s at AWS's default 10 calls/s).
        limit
            Stop listing after that many things.

        Returns
        -------
        pandas.DataFrame
            ``thing_name`` and one ``string`` column per attribute name
            (:data:`~jobsnb.schema.THING_ATTRIBUTE_COLUMNS`), for
            ``frame.jobsnb.with_attributes``. A call that fails for good raises its boto3
            error.

        Examples
        --------
        >>> import jobsnb
        >>> from jobsnb.service import LocalJobsService
        >>> with LocalJobsService() as service:
        ...     _ = service.backend.create_thing("sensor-1", {"region": "eu", "model": "s1"})
        ...     _ = service.backend.create_thing("sensor-2", {"region": "us"})
        ...     jobsnb.connect(service).thing_attributes()
          thing_name model region
        0   sensor-1    s1     eu
        1   sensor-2  <NA>     us
        """
        pages = self.control.pages_or_raise(
            self.control.calls.control.list_things, {}, "things", limit
        )
        listed: list[dict[str, Any]] = [t for page in pages for t in page.get("things", [])]
        listed = listed[:limit]
        if things is not None:
            wanted = set([things] if isinstance(things, str) else things)
            listed = [thing for thing in listed if thing["thingName"] in wanted]
        return frames.thing_attributes_frame(listed)
