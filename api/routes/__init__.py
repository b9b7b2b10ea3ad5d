"""The routes, one ``APIRouter`` per file: each handler reads, delegates and answers.

``health`` (/health, /ready), ``metrics``, ``model`` (the model card),
``classify``, ``results`` (stored results and corrections), ``fhir``,
``admin`` (model reload, keys), ``ui_pages`` (worklist and case pages) and
``ui_submit`` (the submit page, sign-in and sign-out).
"""
