"""The HTTP frame around every route: error bodies, request ids, logs, metrics, body limits.

Nothing here knows about methylation: :mod:`~api.frame.errors` (one error
body for every 4xx/5xx), :mod:`~api.frame.request_id` (ids and the access
log), :mod:`~api.frame.logging_config`, :mod:`~api.frame.prometheus`
(``/metrics``), :mod:`~api.frame.request_body` (media type and size limit
while reading), :mod:`~api.frame.body_limit`, :mod:`~api.frame.startup_errors`
and :mod:`~api.frame.memory`.
"""
