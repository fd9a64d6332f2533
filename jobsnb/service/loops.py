"""The event loops the service's servers run on."""

from __future__ import annotations

import asyncio

__all__ = ["new_event_loop"]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's if installed, else asyncio's.

    uvloop gives about 4% more HTTP requests/s here, and about twice amqtt's MQTT messages/s.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
