"""Running a classification: the flow of a request, the result it builds, its fingerprint.

:mod:`~api.classification.flow` reads, aligns, classifies and stores a
request's profiles (for the API and the submit page alike);
:mod:`~api.classification.result_builder` writes one profile's result;
:mod:`~api.classification.input_fingerprint` hashes what was sent, the key
of idempotent resubmission.
"""
