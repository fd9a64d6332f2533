"""AWS IoT's jobs over MQTT: a broker, the jobs request topics and the notifications.

``LocalJobsService(mqtt=True)`` starts :class:`MqttEndpoint` beside the HTTPS endpoint; both
call the same backend, so an HTTPS call and an MQTT request see and change the same executions.
"""

from __future__ import annotations

from jobsnb.service.mqtt.endpoint import MqttEndpoint

__all__ = ["MqttEndpoint"]
