"""The calibrated methylation classifier, a scikit-learn estimator.

Fitting follows the reference method (Capper 2018, Koelsche 2021) step by
step, on training data only:

1. drop probes removed by the named manifest filters (SNP, cross-reactive,
   X/Y, ambiguous mapping, non-CpG) and probes missing in too many samples;
2. optionally fit the FFPE / frozen batch adjustment
   (:mod:`classifier.batch_adjustment`) and apply it;
3. select CpGs with a class-balanced ranking (:func:`~classifier.selection.select_cpgs`);
4. compute out-of-fold scores of the base learner by an inner stratified
   cross-validation, redoing steps 2-3 inside every inner fold;
5. choose the forest size and the calibrator's C on those scores
   (:mod:`classifier.tuning`), fit the calibrator on them, and a
   split-conformal quantile on the calibrator's cross-fitted probabilities;
6. refit adjustment, selection and base learner on all training data, and
   the out-of-distribution detector on the selected CpGs.

Prediction aligns a profile to the model's ordered CpG list, fills CpGs
that were not measured with the training median, and reports how many of
its CpGs it saw.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from classifier.batch_adjustment import BATCH_ADJUSTMENTS, fit_material_offsets, is_ffpe
from classifier.calibration import make_calibrator
from classifier.conformal import conformal_quantile
from classifier.embedding import ReferenceMap
from classifier.errors import ClassifierError
from classifier.learners import DEFAULT_LEARNER, make_base_learner, serving_predictor
from classifier.manifest import DEFAULT_FILTERS, load_manifest
from classifier.ood import ReferenceDistance
from classifier.selection import Selection, fill_missing, select_cpgs
from classifier.tuning import choose, staged_proba

__all__ = ["MethylationClassifier", "Prediction"]


@dataclass(frozen=True)
class Prediction:
    """Everything the model says about a batch of aligned profiles.

    Attributes
    ----------
    raw : ndarray (n_samples, n_classes)
        Base learner scores.
    calibrated : ndarray (n_samples, n_classes)
        Calibrated probabilities.
    coverage : ndarray (n_samples,)
        Share of the model's CpGs that were measured.
    ood_distance : ndarray (n_samples,)
        Distance to the reference cohort (see :mod:`classifier.ood`).
    ood : ndarray of bool (n_samples,)
        Whether the distance exceeds the reference threshold.
    prediction_sets : list of list of str
        Classes that cannot be excluded at the conformal confidence level.
    embedding : ndarray (n_samples, 2)
        Position on the reference map (see
        :meth:`MethylationClassifier.embed_aligned`), where the reference
        cohort can be drawn beside the profile.
    """

    raw: np.ndarray
    calibrated: np.ndarray
    coverage: np.ndarray
    ood_distance: np.ndarray
    ood: np.ndarray
    prediction_sets: list[list[str]]
    embedding: np.ndarray


class MethylationClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated classifier of DNA-methylation beta profiles.

    Parameters
    ----------
    learner : {"rf", "xgb", "linear"}, default="rf"
        Base learner (see :data:`classifier.learners.LEARNERS`).
    learner_params : dict, optional
        Parameters set on the base learner (e.g. ``{"n_estimators": 500}``,
        which also fixes the forest size instead of choosing it).
    calibration : {"ridge", "temperature", "none"}, default="ridge"
        Calibrator fitted on out-of-fold scores.
    n_features : int, default=10000
        CpGs selected.
    filters : sequence of str, default=DEFAULT_FILTERS
        Manifest probe filters applied before selection (by probe id).
    max_missing : float, default=0.1
        Largest share of training samples in which a selected CpG may be missing.
    inner_folds : int, default=3
        Folds of the inner cross-validation that produces calibration scores
        (lowered to the smallest class size when a class is smaller).
    conformal_alpha : float, default=0.05
        Miscoverage of the conformal prediction sets (0.05: 95 % sets).
    random_state : int, default=0
        Seed.
    n_jobs : int, default=1
        Training threads of the base learner.
    selection : {"balanced", "anova"}, default="balanced"
        CpG ranking (see :data:`classifier.selection.SELECTION_METHODS`).
    tree_grid : tuple of int, optional, default=(100, 200, 300)
        Forest sizes the inner folds choose among (forest learners only;
        None, or ``n_estimators`` in ``learner_params``, keeps one size).
        The largest is what the 15-minute budget of a 5 x 3 nested
        evaluation allows on 2 cores; ``tuning_`` shows whether the inner
        log loss still falls at the top of the grid.
    c_grid : tuple of float, optional, default=(10.0, 100.0, 1000.0, 10000.0)
        Ridge calibrator C values the inner folds choose among (None: the
        calibrator's default). On the default cohort every outer fold chose
        1,000, the top of a grid that then ended there, so the grid reaches
        10,000: an optimum at the edge of a grid is no optimum.
    batch_adjustment : {"none", "material"}, default="none"
        FFPE / frozen adjustment (see :mod:`classifier.batch_adjustment`);
        ``"material"`` needs ``material`` in :meth:`fit`.

    Attributes
    ----------
    classes_ : ndarray of str
        Class labels, sorted.
    cpgs_ : ndarray of str
        The model's ordered CpG list: the profile columns it reads.
    medians_ : ndarray of float32
        Training median of each CpG, used where it was not measured.
    base_ : estimator
        Base learner fitted on all training data, in the form that scores new
        profiles: a forest as its :class:`~classifier.flat_forest.FlatForest`
        (the same probabilities, ~30 times faster and half the memory), any
        other learner as fitted.
    calibrator_ : estimator
        Calibrator fitted on out-of-fold scores.
    ood_ : ReferenceDistance
        Out-of-distribution detector.
    conformal_quantile_ : float
        Threshold on 1 - probability for the prediction sets.
    selection_scores_ : ndarray of float
        Ranking score of each CpG of :attr:`cpgs_` (how strongly it separates classes).
    oof_raw_ : ndarray
        Out-of-fold base learner scores of the training samples (at the chosen size).
    n_estimators_ : int or None
        Trees of the fitted forest (None for other learners).
    calibrator_c_ : float or None
        C of the fitted ridge calibrator (None for other calibrators).
    tuning_ : list of dict
        Inner cross-validated log loss of every (forest size, C) tried.
    ffpe_offsets_ : ndarray of float32 or None
        FFPE offset of each CpG of :attr:`cpgs_`, subtracted from FFPE
        profiles (None without batch adjustment).
    inner_folds_ : int
        Inner folds actually used.
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (when ``X`` was a DataFrame).
    """

    def __init__(
        self,
        learner: str = DEFAULT_LEARNER,
        learner_params: dict | None = None,
        calibration: str = "ridge",
        n_features: int = 10_000,
        filters: Sequence[str] = DEFAULT_FILTERS,
        max_missing: float = 0.1,
        inner_folds: int = 3,
        conformal_alpha: float = 0.05,
        random_state: int = 0,
        n_jobs: int = 1,
        selection: str = "balanced",
        tree_grid: tuple[int, ...] | None = (100, 200, 300),
        c_grid: tuple[float, ...] | None = (10.0, 100.0, 1000.0, 10000.0),
        batch_adjustment: str = "none",
    ) -> None:
        self.learner = learner
        self.learner_params = learner_params
        self.calibration = calibration
        self.n_features = n_features
        self.filters = filters
        self.max_missing = max_missing
        self.inner_folds = inner_folds
        self.conformal_alpha = conformal_alpha
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.selection = selection
        self.tree_grid = tree_grid
        self.c_grid = c_grid
        self.batch_adjustment = batch_adjustment

    def __setstate__(self, state: dict) -> None:
        """Restore a pickled model; one pickled before a parameter existed gets the
        value it was fitted with (ANOVA selection, fixed forest size and C, no
        batch adjustment), so that ``get_params`` and the model card still work."""
        for name, fitted_as in _FITTED_BEFORE_PARAMETER.items():
            state.setdefault(name, fitted_as)
        super().__setstate__(state)

    # ---------------------------------------------------------------- fitting

    def fit(self, X, y, material=None, calibration_scores=None):
        """Fit adjustment, selection, base learner, calibrator and OOD detector.

        Parameters
        ----------
        X : pandas.DataFrame or array-like (n_samples, n_cpgs)
            Beta values, NaN where not measured. Column names (probe ids) are
            needed for the manifest filters and for aligning new profiles.
            Not copied whole: every step reads the rows and columns it needs.
        y : array-like (n_samples,)
            Class labels.
        material : array-like of str (n_samples,), optional
            Each sample's material (``FFPE``, ``frozen``, ...); needed by
            ``batch_adjustment="material"``, ignored otherwise.
        calibration_scores : (int or None, ndarray), optional
            A forest size and out-of-fold base scores of these samples
            (n_samples x n_classes) computed elsewhere: the outer folds of a
            nested cross-validation, whose models each held the sample out.
            The calibrator (and its C) is then fitted on them and the inner
            cross-validation is skipped; the forest gets that size.

        Returns
        -------
        self
        """
        values, names = _as_matrix(X)
        y = np.asarray(y).astype(str)
        if len(y) != len(values):
            raise ClassifierError(
                f"X has {len(values)} samples but y has {len(y)} labels", field="y"
            )
        self._check_options()
        ffpe = self._ffpe_rows(material, len(y))
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ClassifierError("at least two classes are needed to train", field="y")
        counts = np.bincount(codes)
        self.inner_folds_ = int(min(self.inner_folds, counts.min()))
        if self.inner_folds_ < 2:
            small = self.classes_[counts < 2].tolist()
            raise ClassifierError(
                f"every class needs at least 2 samples for calibration; too small: {small}",
                field="y",
            )
        self.n_features_in_ = values.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        keep = np.flatnonzero(self._filter_mask(names, values.shape[1]))
        n_classes = len(self.classes_)
        sizes = self._forest_sizes()
        inner = StratifiedKFold(self.inner_folds_, shuffle=True, random_state=self.random_state)
        if calibration_scores is not None:
            size, scores = calibration_scores
            scores = np.asarray(scores, dtype=float)
            if scores.shape != (len(y), n_classes):
                raise ClassifierError(
                    f"calibration_scores must be {len(y)} x {n_classes} (samples x classes), "
                    f"got {scores.shape}",
                    field="calibration_scores",
                )
            sizes = (None,) if sizes == (None,) else (int(size),)
            oof = {sizes[0]: scores}
        else:
            oof = {size: np.zeros((len(y), n_classes)) for size in sizes}
        # Small matrix products (calibrators, PCA) run ten times slower with
        # two BLAS threads on a busy 2-core machine than with one; the
        # forest's own threads are unaffected.
        with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
            # Small reference classes are the norm here (7 samples of 65
            # classes); sklearn's hint that this may be regression is noise.
            warnings.filterwarnings("ignore", message="The number of unique classes")
            splits = [] if calibration_scores is not None else inner.split(np.zeros(len(y)), codes)
            for train, test in splits:
                part = self._fit_part(values, codes, train, keep, ffpe, max(sizes, key=_size_key))
                scores_at = self._scores_by_size(part, values, test, ffpe, sizes, n_classes)
                for size in sizes:
                    oof[size][test] = scores_at[size]
            tuning = choose(
                oof,
                codes,
                make_calibrator(self.calibration),
                self.c_grid if self.calibration == "ridge" else None,
                inner,
            )
            self.n_estimators_ = tuning.size
            self.calibrator_c_ = tuning.c
            self.tuning_ = tuning.table
            self.oof_raw_ = oof[tuning.size]
            calibrator = make_calibrator(self.calibration)
            if tuning.c is not None:
                calibrator.set_params(C=tuning.c)
            self.calibrator_ = calibrator.fit(self.oof_raw_, codes)
            self.conformal_quantile_ = _conformal_quantile(
                tuning.cross_fitted, codes, self.conformal_alpha
            )
            rows = np.arange(len(y))
            final = self._fit_part(values, codes, rows, keep, ffpe, tuning.size)
            self.base_ = serving_predictor(final.base)
            self.ood_ = ReferenceDistance().fit(final.train_matrix)
        kept_names = names if names is not None else np.arange(values.shape[1]).astype(str)
        self.cpgs_ = np.asarray(kept_names[final.selection.support], dtype=object)
        self.medians_ = final.selection.medians
        self.selection_scores_ = final.selection.scores
        self.ffpe_offsets_ = final.offsets
        return self

    # ------------------------------------------------------------- prediction

    def predict_proba(self, X) -> np.ndarray:
        """Return calibrated class probabilities (columns follow ``classes_``)."""
        return self.predict_detail(X).calibrated

    def predict(self, X) -> np.ndarray:
        """Return the most probable class of each profile."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_detail(self, X, material=None) -> Prediction:
        """Return raw and calibrated scores, coverage, OOD signal and prediction sets.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            A DataFrame is aligned to :attr:`cpgs_` by column name (missing
            CpGs count as not measured); an array must have the columns seen
            in ``fit``.
        material : str or sequence of str, optional
            Material of the profiles (one for all, or one each); FFPE
            profiles get the model's FFPE adjustment, if it has one.
        """
        return self.predict_aligned(self.align(X), material)

    def align(self, X) -> np.ndarray:
        """Return ``X`` as a float32 matrix over :attr:`cpgs_`, NaN where not measured."""
        check_is_fitted(self, "cpgs_")
        if isinstance(X, pd.DataFrame):
            pos = pd.Index(X.columns.astype(str)).get_indexer(self.cpgs_)
            values = X.to_numpy(dtype=np.float32)
            out = np.full((len(values), len(self.cpgs_)), np.nan, dtype=np.float32)
            found = pos >= 0
            out[:, found] = values[:, pos[found]]
            return out
        values = np.asarray(X, dtype=np.float32)
        if values.ndim != 2 or values.shape[1] != self.n_features_in_:
            raise ClassifierError(
                f"X has shape {values.shape}; expected {self.n_features_in_} CpG columns as "
                "in fit, or a DataFrame with probe ids as columns",
                field="X",
            )
        names = getattr(self, "feature_names_in_", np.arange(self.n_features_in_).astype(str))
        pos = pd.Index(names).get_indexer(self.cpgs_)
        return values[:, pos]

    def predict_aligned(self, aligned: np.ndarray, material=None) -> Prediction:
        """Predict from a matrix already aligned to :attr:`cpgs_` (NaN = not measured).

        This is the service's fast path: no name lookup, only arithmetic.
        ``material`` as in :meth:`predict_detail`.
        """
        check_is_fitted(self, "cpgs_")
        aligned = np.asarray(aligned, dtype=np.float32)
        if aligned.ndim != 2 or aligned.shape[1] != len(self.cpgs_):
            raise ClassifierError(
                f"aligned profiles must have {len(self.cpgs_)} columns, got {aligned.shape}",
                field="X",
            )
        coverage = 1.0 - np.isnan(aligned).mean(axis=1)
        # Models pickled before the batch adjustment existed have no offsets.
        offsets = getattr(self, "ffpe_offsets_", None)
        if offsets is not None and material is not None:
            if isinstance(material, str):
                material = [material] * len(aligned)
            aligned = _adjusted(aligned, offsets, is_ffpe(material))
        filled = fill_missing(aligned, self.medians_)
        raw = _full_proba(self.base_, filled, len(self.classes_))
        calibrated = _full_proba(self.calibrator_, raw, len(self.classes_))
        # One projection serves the distance and the map position.
        projected = self.ood_.transform(filled)
        distance = self.ood_.score_projected(projected)
        sets = [self.classes_[1.0 - p <= self.conformal_quantile_].tolist() for p in calibrated]
        return Prediction(
            raw=raw,
            calibrated=calibrated,
            coverage=coverage,
            ood_distance=distance,
            ood=distance > self.ood_.threshold_,
            prediction_sets=sets,
            embedding=self._place(projected),
        )

    def embed_aligned(self, aligned: np.ndarray) -> np.ndarray:
        """Positions of aligned profiles on the reference map.

        With a fitted map (:meth:`fit_reference_map`), its placement among
        the nearest reference samples; without one, the first two PCA
        components of the OOD space. The reference cohort's own positions
        are :meth:`reference_coordinates` (a bundle's ``reference_embedding``).
        Missing values are filled as for prediction.
        """
        check_is_fitted(self, "cpgs_")
        filled = fill_missing(np.asarray(aligned, dtype=np.float32), self.medians_)
        return self._place(self.ood_.transform(filled))

    def fit_reference_map(self, method: str = "tsne") -> MethylationClassifier:
        """Fit the 2-D reference map of the case page on the fitted reference space.

        A step after :meth:`fit`, on training data only (the reference
        samples in the OOD space), taken for the served model alone: nested
        cross-validation's models draw no map. See :mod:`classifier.embedding`.
        """
        check_is_fitted(self, "cpgs_")
        self.reference_map_ = ReferenceMap(method=method, random_state=self.random_state).fit(
            self.ood_.reference_
        )
        return self

    def reference_coordinates(self) -> np.ndarray:
        """Map positions of the reference samples, in training order."""
        check_is_fitted(self, "cpgs_")
        fitted = getattr(self, "reference_map_", None)
        if fitted is None:
            return _first_components(self.ood_.reference_, 2)
        return fitted.coords_

    def set_conformal_quantile(self, quantile: float, basis: str) -> MethylationClassifier:
        """Replace the prediction sets' quantile by one calibrated outside this fit.

        Training sets the served model's quantile from the nested
        cross-validation's outer out-of-fold scores (see
        :mod:`classifier.conformal` for what that does and does not
        guarantee); ``basis`` records where it came from.
        """
        check_is_fitted(self, "cpgs_")
        if not 0.0 <= quantile <= 1.0:
            raise ClassifierError(
                f"a conformal quantile lies in [0, 1], got {quantile}", field="quantile"
            )
        self.conformal_quantile_ = float(quantile)
        self.conformal_basis_ = basis
        return self

    # ---------------------------------------------------------------- helpers

    def _check_options(self) -> None:
        if self.batch_adjustment not in BATCH_ADJUSTMENTS:
            raise ClassifierError(
                f"unknown batch_adjustment {self.batch_adjustment!r}; expected one of "
                f"{list(BATCH_ADJUSTMENTS)}",
                field="batch_adjustment",
            )
        for name in ("tree_grid", "c_grid"):
            grid = getattr(self, name)
            if grid is not None and (not len(grid) or min(grid) <= 0):
                raise ClassifierError(f"{name} must hold positive values, got {grid!r}", field=name)

    def _place(self, projected: np.ndarray) -> np.ndarray:
        # Models pickled before the reference map existed have none.
        fitted = getattr(self, "reference_map_", None)
        return _first_components(projected, 2) if fitted is None else fitted.transform(projected)

    def _ffpe_rows(self, material, n: int) -> np.ndarray | None:
        if self.batch_adjustment == "none":
            return None
        if material is None or len(material) != n:
            given = "none" if material is None else f"{len(material)} values"
            raise ClassifierError(
                f"batch_adjustment='material' needs the material of each of the {n} samples; "
                f"got {given}",
                field="material",
            )
        return is_ffpe(material)

    def _forest_sizes(self) -> tuple:
        fixed = "n_estimators" in (self.learner_params or {})
        if self.learner != "rf" or fixed or not self.tree_grid:
            return (None,)
        return tuple(sorted({int(t) for t in self.tree_grid}))

    def _learner(self, n_estimators: int | None = None):
        learner = make_base_learner(self.learner, self.random_state, self.n_jobs)
        learner.set_params(**(self.learner_params or {}))
        if n_estimators is not None:
            learner.set_params(n_estimators=n_estimators)
        return learner

    def _fit_part(self, values, codes, rows, keep, ffpe, n_estimators) -> _Part:
        """Adjustment, selection and base learner fitted on ``rows`` only."""
        shift = None
        if ffpe is not None:
            offsets = fit_material_offsets(values, codes[rows], ffpe[rows], rows, keep)
            shift = (ffpe[rows], offsets)
        selection = select_cpgs(
            values, codes[rows], self.n_features, self.max_missing, self.selection,
            rows=rows, columns=keep, shift=shift,
        )  # fmt: skip
        part_offsets = None if shift is None else shift[1][selection.positions]
        part = _Part(selection, part_offsets, None, np.empty((0, 0), dtype=np.float32))
        train = part.matrix(values, rows, ffpe)
        base = self._learner(n_estimators).fit(train, codes[rows])
        return _Part(selection, part_offsets, base, train)

    def _scores_by_size(self, part, values, rows, ffpe, sizes, n_classes) -> dict:
        """Base scores of ``rows`` for every forest size (one entry, None, for other learners)."""
        X = part.matrix(values, rows, ffpe)
        if sizes == (None,):
            return {None: _full_proba(part.base, X, n_classes)}
        return staged_proba(part.base, X, sizes, n_classes)

    def _filter_mask(self, names: np.ndarray | None, n: int) -> np.ndarray:
        keep = np.ones(n, dtype=bool)
        if names is not None and self.filters:
            excluded = load_manifest().excluded(self.filters)
            keep &= ~pd.Index(names).isin(excluded)
        if not keep.any():
            raise ClassifierError(
                f"the probe filters {list(self.filters)} removed every CpG", field="filters"
            )
        return keep


#: What a model pickled before each parameter existed was fitted with.
_FITTED_BEFORE_PARAMETER = {
    "selection": "anova",
    "tree_grid": None,
    "c_grid": None,
    "batch_adjustment": "none",
}


@dataclass(frozen=True)
class _Part:
    """Selection, FFPE offsets and base learner of one fit (inner fold or final)."""

    selection: Selection
    offsets: np.ndarray | None
    base: object
    train_matrix: np.ndarray

    def matrix(self, values: np.ndarray, rows: np.ndarray, ffpe: np.ndarray | None):
        """The selected CpGs of ``rows``, adjusted and median-filled."""
        block = values[np.ix_(rows, self.selection.support)]
        block = _adjusted(block, self.offsets, None if ffpe is None else ffpe[rows])
        return fill_missing(block, self.selection.medians)


def _adjusted(block: np.ndarray, offsets, flagged) -> np.ndarray:
    """Subtract FFPE offsets from the flagged rows (a copy; NaN stays NaN)."""
    if offsets is None or flagged is None or not np.any(flagged):
        return block
    out = block.astype(np.float32, copy=True)
    out[flagged] = np.clip(out[flagged] - offsets[None, :], 0.0, 1.0)
    return out


def _size_key(size) -> int:
    return -1 if size is None else int(size)


def _as_matrix(X) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=np.float32), X.columns.astype(str).to_numpy(dtype=object)
    values = np.asarray(X, dtype=np.float32)
    if values.ndim != 2:
        raise ClassifierError(
            f"X must be 2-D (samples x CpGs), got shape {values.shape}", field="X"
        )
    return values, None


def _first_components(coords: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` columns, padded with zeros for a model with fewer components."""
    coords = coords[:, :n]
    if coords.shape[1] < n:
        coords = np.pad(coords, ((0, 0), (0, n - coords.shape[1])))
    return coords


def _full_proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over all classes, also when a fold's model saw fewer."""
    proba = model.predict_proba(X)
    if proba.shape[1] == n_classes:
        return proba
    out = np.zeros((len(X), n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = proba
    return out


def _conformal_quantile(proba: np.ndarray, codes: np.ndarray, alpha: float) -> float:
    """Split-conformal threshold on the nonconformity 1 - p(true class).

    Taken on the inner cross-validation's cross-fitted scores: models other
    than the final one, so no guarantee for the final model (see
    :mod:`classifier.conformal`); training replaces it when it has outer
    scores (:meth:`MethylationClassifier.set_conformal_quantile`).
    """
    return conformal_quantile(proba, codes, alpha)
