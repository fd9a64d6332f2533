"""AWS IoT's jobs over MQTT: a broker, the jobs request topics and the notifications.

``LocalJobsService(mqtt=True)`` starts :class:`MqttEndpoint` (an embedded broker) beside the
HTTPS endpoint; ``LocalJobsService(mqtt="mqtt://host:port")`` attaches :class:`AttachedEndpoint`
to a broker you run. Both call the same backend, so an HTTPS call and an MQTT request see and
change the same executions.
"""

from __future__ import annotations

from jobsnb.service.mqtt.attached import AttachedEndpoint
from jobsnb.service.mqtt.endpoint import MqttEndpoint

__all__ = ["AttachedEndpoint", "MqttEndpoint"]
