"""Which model is served: loading it, aligning profiles to its CpGs, swapping it, describing it.

:mod:`~api.served_model.loader` loads a bundle or a registry version into a
:class:`~api.served_model.loader.ServedModel`; :mod:`~api.served_model.model_identity`
fingerprints it and the probe manifest; :mod:`~api.served_model.alignment` and
:mod:`~api.served_model.probe_lookup` map received probe ids onto the model's
CpG list; :mod:`~api.served_model.hot_swap` replaces it without a failed
request; :mod:`~api.served_model.model_card` describes it
(``GET /v1/model``); :mod:`~api.served_model.class_filter` tells whether a
class code is known.
"""
