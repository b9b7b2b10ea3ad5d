"""The shapes the service answers in: classify results, stored results, errors, FHIR, OpenAPI texts.

:mod:`~api.contract.profile_result` (the classify request and result),
:mod:`~api.contract.stored_results` (``/v1/results`` and corrections),
:mod:`~api.contract.service_info` (model card, health),
:mod:`~api.contract.error_body`, :mod:`~api.contract.fhir_report` (a result
as FHIR R4), :mod:`~api.contract.openapi_texts` and
:mod:`~api.contract.percentages` (shares written for people).
"""
