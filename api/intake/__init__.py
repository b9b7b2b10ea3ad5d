"""How a request body is read into profiles: JSON or Arrow, checked field by field.

:mod:`~api.intake.profile` is the type every form is read into
(:class:`~api.intake.profile.ProfileInput`) and the rules all forms share;
:mod:`~api.intake.text_rules` the rule for text a client sends;
:mod:`~api.intake.json_body` the JSON reader (with
:mod:`~api.intake.betas_object` for large ``betas`` objects and
:mod:`~api.intake.repeated_keys`); :mod:`~api.intake.arrow_body` the Arrow
IPC reader.
"""
