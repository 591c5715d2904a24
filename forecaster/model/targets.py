"""What happens to each series' targets between the rows as read and the scaler: the
transform (``transform``) and the seasonal pattern removed (``deseasonalise``), as one
object built per panel, and their inverse on the forecasts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecaster.model import seasonality, transforms
from forecaster.spec import Deseasonalise, TargetTransform


@dataclass(frozen=True)
class TargetFit:
    """Every series' transform parameters and seasonal indices for one panel."""

    transform: TargetTransform
    lambdas: np.ndarray  # [series, targets]: Box-Cox lambdas (zeros for the others)
    deseasonalise: Deseasonalise = "none"
    seasonal: np.ndarray | None = None  # [series, period, targets]
    offsets: np.ndarray | None = None  # [series]: the season position of each first row

    @property
    def is_identity(self) -> bool:
        return self.transform == "none" and self.seasonal is None

    @property
    def multiplicative(self) -> bool:
        return self.deseasonalise == "classical_multiplicative"

    def factors(self, series: np.ndarray, local: np.ndarray) -> np.ndarray:
        """The seasonal indices, ``[*local.shape, targets]``, of local rows ``local`` (row
        numbers within their series, any shape) of series ``series`` (broadcasting)."""
        assert self.seasonal is not None and self.offsets is not None
        period = self.seasonal.shape[1]
        return self.seasonal[series, (self.offsets[series] + local) % period]

    def forward(self, values: np.ndarray, series: np.ndarray, local: np.ndarray) -> np.ndarray:
        """Target values ``[rows, targets]`` of rows ``local`` of series ``series`` (both
        ``[rows]``) transformed, then deseasonalised."""
        done = transforms.forward(self.transform, values, self.lambdas[series])
        if self.seasonal is None:
            return done
        return seasonality.deseasonalised(done, self.factors(series, local), self.multiplicative)

    def inverse(self, output: np.ndarray, series: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Forecasts ``[N, H, T]`` (or a quantile head's ``[N, H, T, Q]``) unscaled, back in
        original units, step ``h`` being row ``first[n] + h`` of series ``series[n]``."""
        return self.inverse_at(output, series, first[:, None] + np.arange(output.shape[1]))

    def inverse_at(self, output: np.ndarray, series: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Forecasts ``[N, S, T]`` (or ``[N, S, T, Q]``) at local rows ``rows`` (``[N, S]``)
        of series ``series`` (``[N]``) back in original units: the seasonal pattern put
        back, then the transform inverted. Both are increasing, so quantiles stay in
        order."""
        quantiles = output.ndim == 4
        if self.seasonal is not None:
            factors = self.factors(series[:, None], rows)  # [N, S, T]
            factors = factors[..., None] if quantiles else factors
            output = seasonality.reseasonalised(output, factors, self.multiplicative)
        lambdas = self.lambdas[series][:, None, :]
        return transforms.inverse(
            self.transform, output, lambdas[..., None] if quantiles else lambdas
        )

    def spread(self, centers: np.ndarray, scales: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Each target's spread in original units (``centers`` and ``scales`` ``[N, 1,
        targets]``, of series ``series``): the scaler's scale, or with a transform that
        scale times the inverse's slope at the scaler's center. A seasonal index is left
        out: it averages 1 (or 0)."""
        if self.transform == "none":
            return scales
        lambdas = self.lambdas[series][:, None, :]
        with np.errstate(invalid="ignore", over="ignore"):
            spread = scales * transforms.slope(self.transform, centers, lambdas)
        return np.where(np.isfinite(spread) & (spread > 0), spread, scales)
